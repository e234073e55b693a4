"""A plain start (container_action=started: the caches' start in phase 2, the restart in phase 4, start.yml) runs its
preflight itself, before it creates anything, rather than after a separate validate-only call: on the dry-run, a
problem that start's preflight finds fails its 'validate-only preflight' check with the problem named, no after-start
check judges a start that did not happen, and the dev container is neither created nor started."""
import os

import docker
import pytest

from conftest import dryrun_playbook as playbook, dryrun_report as report

CONTAINER = "sglang-dev-dryrun"
NETWORK = "gh200-no-such-network"


def container_state():
    """The dry-run dev container's id, status and start time (None when there is none)."""
    try:
        found = docker.from_env().containers.get(CONTAINER)
    except docker.errors.NotFound:
        return None
    return found.id, found.status, found.attrs["State"]["StartedAt"]


def test_a_start_whose_own_preflight_finds_a_problem_fails_that_check_and_starts_nothing(tmp_path):
    if "GH200_DRYRUN_USER" not in os.environ:
        pytest.skip("GH200_DRYRUN_USER unset: run through scripts/test.sh (it loads .cache/testbed.env)")
    before = container_state()
    rc, out = playbook("playbooks/verify.yml", "--tags", "phase2", "-e", "container_network_mode=%s" % NETWORK,
                       "-e", "report_dir=%s" % tmp_path)
    assert rc != 0, out[-3000:]
    host = report(tmp_path, source="tests/engine/test_start_preflight.py")
    checks = dict((c["name"], c) for c in host["checks"] if c["phase"] == "phase2")
    preflight = checks["start: validate-only preflight"]
    assert preflight["status"] == "failed", preflight
    assert "network_mode %r is not host, none, bridge, container:<name> or a network the engine has" % NETWORK in preflight["detail"]
    assert [n for n in checks if n.startswith("start: ")] == ["start: validate-only preflight"], sorted(checks)
    assert container_state() == before
