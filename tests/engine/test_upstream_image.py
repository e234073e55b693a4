"""An image shaped like the upstream SGLang image (issue 26, item 5): the test bed's sglang-upstream-standin
(tests/testbed/upstream-image.sh) runs as root with no entrypoint and a `sleep infinity` command, has no devuser and
runs no service. The whole plan passes on it, on the local dry-run host with a tree of its own, when the inventory
says so: the container user is the host user's uid:gid (no passwd entry in the image; the tree stays the host
user's), no service is listed (each service check is skipped: not run by this image, never failed or passed), Docker's
init forwards the stop signal that `sleep infinity` as PID 1 ignores, phase 0 makes the profiles scaffolding no
entrypoint makes, and nothing builds the image (its phase-0 check
is skipped by name)."""
import json
import os
import pwd
import shutil
import subprocess
import uuid

import docker
import pytest

from conftest import BASE, MODEL, REPO, dryrun_playbook as playbook, dryrun_report

IMAGE = "sglang-upstream-standin:testbed"
CONTAINER = "sglang-upstream-dryrun"
SCAFFOLDING = ("flashinfer", "inductor", "deep_gemm", "moe_configs")
PHASES = ("phase0", "phase1", "phase2", "phase3", "phase4")
# The checks of the services an entrypoint runs, by the end of their names (a prefix such as 'restart: ' before them).
SERVICE_CHECKS = ("entrypoint logged its ready line", "run log of this run", "node exporter answers /metrics",
                  "Prometheus ready, TSDB written by this run", "Prometheus scraped the server's request counter",
                  "Prometheus TSDB written after the prompt")


@pytest.fixture(scope="module")
def upstream_run():
    """(exit code, output, host report, checks by (phase, name), tree root, host account) of one verify.yml run on the
    upstream-shaped image, in a tree of its own (the tiny model in it, everything else made by phase 0)."""
    if "GH200_DRYRUN_USER" not in os.environ:
        pytest.skip("GH200_DRYRUN_USER unset: run through scripts/test.sh (it loads .cache/testbed.env)")
    account = pwd.getpwnam(os.environ["GH200_DRYRUN_USER"])
    top = BASE / ("upstream-image-" + uuid.uuid4().hex[:8])
    root = top / "host" / "sglang-observability"
    shutil.copytree(str(REPO / ".cache" / "tiny-model"), str(root / "models" / MODEL))
    for dirpath, dirnames, filenames in os.walk(str(top / "host")):
        os.chown(dirpath, account.pw_uid, account.pw_gid)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), account.pw_uid, account.pw_gid)
    reports = top / "reports"
    reports.mkdir()
    extra = {
        "gh200_root": str(root), "gh200_image": IMAGE, "gh200_container_name": CONTAINER,
        "gh200_container_user": "%d:%d" % (account.pw_uid, account.pw_gid), "gh200_container_services": [],
        "container_init": True, "container_editable_install": False, "host_prep_image_build": {},
        # No entrypoint makes the profiles scaffolding: phase 0 makes it, as the README says for such an image.
        "host_prep_directories": ["models", "profiles"] + ["profiles/" + d for d in SCAFFOLDING]
        + ["telemetry"] + ["telemetry/" + d for d in ("logs", "prometheus", "jaeger", "container_runs")],
        "report_dir": str(reports),
    }
    try:
        rc, out = playbook("playbooks/verify.yml", "-e", json.dumps(extra))
        host = dryrun_report(reports, source="tests/engine/test_upstream_image.py")
        yield rc, out, host, dict(((c["phase"], c["name"]), c) for c in host["checks"]), root, account
    finally:
        try:
            docker.from_env().containers.get(CONTAINER).remove(force=True)
        except docker.errors.NotFound:
            pass
        shutil.rmtree(str(top), ignore_errors=True)


def test_the_image_is_shaped_like_the_upstream_one():
    config = docker.from_env().images.get(IMAGE).attrs["Config"]
    assert not config.get("Entrypoint") and config["Cmd"] == ["sleep", "infinity"], config
    assert config.get("User") in ("", "root", None), config
    passwd = subprocess.run(["docker", "run", "--rm", "--network", "none", IMAGE, "getent", "passwd", "devuser"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60, check=False)
    assert passwd.returncode == 2, passwd.stdout


def test_every_phase_passes_on_the_upstream_shaped_image(upstream_run):
    rc, out, host, checks, root, account = upstream_run
    assert [(k, c["detail"]) for k, c in checks.items() if c["status"] == "failed"] == []
    assert rc == 0, out[-3000:]
    assert host["verdict"] == "passed", host["verdict"]
    for phase in PHASES:
        assert host["phases"][phase]["verdict"] == "passed", (phase, host["phases"][phase])
    user = "%d:%d" % (account.pw_uid, account.pw_gid)
    for stage in ("flashinfer", "inductor", "deep_gemm", "moe"):
        assert checks[("phase2", "%s: cache artifacts owned by %s" % (stage, user))]["status"] == "passed"
    assert checks[("phase1", "scaffolding and telemetry writable by %s" % user)]["status"] == "passed"
    assert checks[("phase3", "server uses the phase-2 caches")]["status"] == "passed"
    assert checks[("phase3", "smoke prompt answered")]["status"] == "passed"
    assert docker.from_env().containers.get(CONTAINER).attrs["HostConfig"]["Init"] is True


def test_the_checks_of_services_the_image_does_not_run_are_skipped_by_name(upstream_run):
    rc, out, host, checks, root, account = upstream_run
    services = dict((k, c) for k, c in checks.items() if k[1].endswith(SERVICE_CHECKS))
    assert set(k[0] for k in services) == set(PHASES[1:]), sorted(services)
    for key, check in services.items():
        assert check["status"] == "skipped: not run by this image", (key, check)
    image = checks[("phase0", "dev image current with its Dockerfile")]
    assert image["status"] == "skipped: host_prep_image_build is not set", image


def test_the_tree_stays_the_host_users(upstream_run):
    rc, out, host, checks, root, account = upstream_run
    foreign = []
    for dirpath, dirnames, filenames in os.walk(str(root)):
        for name in dirnames + filenames:
            info = os.lstat(os.path.join(dirpath, name))
            if (info.st_uid, info.st_gid) != (account.pw_uid, account.pw_gid):
                foreign.append((os.path.relpath(os.path.join(dirpath, name), str(root)), info.st_uid, info.st_gid))
    assert foreign == []
    assert sorted(os.listdir(str(root / "profiles" / "flashinfer"))) != []
