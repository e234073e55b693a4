"""A later phase reuses the run an earlier phase of the same verify.yml run judged (container_reuse_judged), and
records one check that it is still that run: on the dry-run, a container restarted behind the run's back between
phase 2 and phase 3 (the same run id, a new StartedAt, its services started again) fails that check in phase 3,
while phase 2's judgement of it stands."""
import os
import signal
import subprocess

import docker
import pytest

from conftest import dryrun_report, dryrun_start, signal_tree

CONTAINER = "sglang-dev-dryrun"
CHECK = "start: container still runs the run judged earlier"


def test_a_container_restarted_between_phases_fails_the_reuse_check_of_the_next_phase(tmp_path):
    if "GH200_DRYRUN_USER" not in os.environ:
        pytest.skip("GH200_DRYRUN_USER unset: run through scripts/test.sh (it loads .cache/testbed.env)")
    run = dryrun_start("playbooks/verify.yml", "--tags", "phase2,phase3", "-e", "report_dir=%s" % tmp_path)
    before, output = None, []
    try:
        for line in run.stdout:
            output.append(line)
            if before is None and line.startswith("PLAY [Each host runs the phase at its own pace, phase3]"):
                # The run held still while the container restarts: phase 3 looks at it only afterwards.
                signal_tree(run.pid, signal.SIGSTOP)
                try:
                    before = docker.from_env().containers.get(CONTAINER).attrs
                    subprocess.run(["docker", "restart", "--time", "5", CONTAINER], check=True, timeout=120,
                                   stdout=subprocess.DEVNULL)
                finally:
                    signal_tree(run.pid, signal.SIGCONT)
        run.wait(timeout=600)
    finally:
        if run.poll() is None:
            run.kill()
    text = "".join(output)[-3000:]
    assert before is not None, text
    host = dryrun_report(tmp_path, source="tests/engine/test_container_reuse.py")
    assert run.returncode != 0 and host["phases"]["phase2"]["verdict"] == "passed", text
    assert host["phases"]["phase3"]["verdict"] == "failed", host["phases"]["phase3"]
    checks = dict(((c["phase"], c["name"]), c) for c in host["checks"])
    reuse = checks[("phase3", CHECK)]
    run_id = before["Config"]["Labels"]["org.gh200-sglang.run-id"]
    assert reuse["status"] == "failed", reuse
    assert reuse["detail"].startswith("run %s is running, started " % run_id), reuse
    assert ("as started %s with 0: the container was restarted since" % before["State"]["StartedAt"]) in reuse["detail"], reuse
    # Phase 3 judged no start of its own: the reuse check stands for the start's checks.
    assert not [n for (p, n) in checks if p == "phase3" and n.startswith("start: ") and n != CHECK], sorted(checks)
