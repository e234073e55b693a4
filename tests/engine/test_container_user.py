"""Images other than the stand-in (issue 26, item 5), on the local dry-run, in one phase-1 run (after phase 0, which makes
the tree): gh200_container_user is the user every probe, stage, server and install runs as in the container, so an
image user that cannot write the tree (nobody) fails the writable check, named after that user, and only that check
(devuser, as shipped, passes it in every other dry-run test); gh200_container_services says what the image's
entrypoint runs, so with none listed the ready line, run log, node exporter and Prometheus checks are each skipped by
name, never failed or passed, while the stand-in's entrypoint still runs them all."""
import json
import tempfile

import pytest

from conftest import dryrun_playbook as playbook, dryrun_report

SERVICE_CHECKS = ("entrypoint logged its ready line", "run log of this run", "node exporter answers /metrics",
                  "Prometheus ready, TSDB written by this run")


@pytest.fixture(scope="module")
def phase1():
    """(exit code, output, the host's checks of phase 1 by name) of one run as nobody, with no services listed."""
    reports = tempfile.mkdtemp(prefix="gh200-container-user-")
    rc, out = playbook("playbooks/verify.yml", "--tags", "phase0,phase1", "-e", json.dumps(
        {"gh200_container_user": "nobody", "gh200_container_services": [], "container_editable_install": False,
         "report_dir": reports}))
    host = dryrun_report(reports)
    return rc, out, dict((c["name"], c) for c in host["checks"] if c["phase"] == "phase1")


def test_the_writable_check_runs_as_the_container_user_and_names_it(phase1):
    rc, out, checks = phase1
    assert rc != 0, out[-3000:]
    failed = dict((n, c) for n, c in checks.items() if c["status"] == "failed")
    assert list(failed) == ["scaffolding and telemetry writable by nobody"], failed
    detail = failed["scaffolding and telemetry writable by nobody"]["detail"]
    assert detail.startswith("not writable by nobody: /profiles/flashinfer, ") and "/telemetry/logs" in detail, detail


def test_a_service_the_image_does_not_run_is_skipped_by_name(phase1):
    rc, out, checks = phase1
    for name in SERVICE_CHECKS:
        assert checks[name]["status"] == "skipped: not run by this image", (name, checks[name])
    assert checks["container runs"]["status"] == "passed" and checks["pointer names the current run"]["status"] == "passed"
