"""playbooks/health.yml on the local dry-run inventory: phase 0's checks judged read-only. It passes on a prepared host
and leaves the containers, the images and the host tree exactly as they were; a folder missing from the tree fails
'host tree exists' and stays missing (verify.yml would have made it), and the verdicts reach the textfile."""
import json
import os
import pathlib
import pwd
import shutil
import tempfile

import docker

from conftest import dryrun_playbook as playbook


def engine_state():
    """Every container (id, name, status, image, start time) and every image id: what a start, stop or build moves."""
    client = docker.from_env()
    containers = sorted((c.id, c.name, c.status, c.attrs["Image"], c.attrs["State"]["StartedAt"]) for c in client.containers.list(all=True))
    return containers, sorted(i.id for i in client.images.list(all=True))


def tree_state(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            info = os.lstat(os.path.join(dirpath, name))
            out.append((os.path.relpath(os.path.join(dirpath, name), root), info.st_mode, info.st_uid, info.st_size, info.st_mtime_ns))
    return sorted(out)


def phase0(reports):
    (folder,) = [p for p in pathlib.Path(reports).iterdir() if p.is_dir()]
    data = json.loads((folder / "report.json").read_text())
    (host,) = data["hosts"].values()
    return host, dict((c["name"], c) for c in host["checks"])


def test_a_health_run_judges_phase0_and_changes_nothing():
    rc, out = playbook("playbooks/verify.yml", "--tags", "phase0")  # the host tree, the model and the dry-run image
    assert rc == 0, out[-3000:]
    root = os.path.join(pwd.getpwnam(os.environ["GH200_DRYRUN_USER"]).pw_dir, "sglang-observability")
    textfile = tempfile.mkdtemp(prefix="gh200-textfile-")
    os.chmod(textfile, 0o777)  # the dry-run's host user writes it
    engine, tree = engine_state(), tree_state(root)
    reports = tempfile.mkdtemp(prefix="gh200-health-")
    rc, out = playbook("playbooks/health.yml", "-e", "report_dir=%s" % reports, "-e", "report_textfile_dir=%s" % textfile)
    assert rc == 0, out[-3000:]
    host, checks = phase0(reports)
    assert host["verdict"] == "passed" and host["phases"]["phase0"]["verdict"] == "passed", host
    assert checks["dev image current with its Dockerfile"]["status"] == "passed"
    assert checks["host tree exists"]["status"] == "passed" and "created by this run" not in checks["host tree exists"]["detail"]
    assert engine_state() == engine and tree_state(root) == tree
    assert "gh200_verify_host_status{verdict=\"passed\"} 1" in open(os.path.join(textfile, "gh200_verify.prom")).read()

    jaeger = os.path.join(root, "telemetry/jaeger")
    st = os.stat(jaeger)
    shutil.rmtree(jaeger)
    try:
        engine, tree = engine_state(), tree_state(root)
        reports = tempfile.mkdtemp(prefix="gh200-health-")
        rc, out = playbook("playbooks/health.yml", "-e", "report_dir=%s" % reports)
        assert rc != 0
        host, checks = phase0(reports)
        assert checks["host tree exists"]["status"] == "failed" and "missing telemetry/jaeger" in checks["host tree exists"]["detail"]
        assert not os.path.exists(jaeger) and engine_state() == engine and tree_state(root) == tree
    finally:
        if not os.path.exists(jaeger):
            os.mkdir(jaeger, 0o755)
            os.chown(jaeger, st.st_uid, st.st_gid)
