"""The Docker engine restarted (issue 24, fault 4), on the test bed's own engine (the dockerd scripts/setup.sh
started): during a cache stage, and between phases of a verify.yml run. Each run fails with one line naming the
cause; the next run recovers and records what it found (the container stopped by the restart: its exit and
finish time). These stop the engine every other test uses, so scripts/test.sh runs them in a step of their own
(GH200_ENGINE_RESTART=1), after the arm64 images are built and before Molecule starts."""
import os
import pathlib
import pwd
import signal
import subprocess
import time

import docker
import pytest

from conftest import dryrun_playbook as playbook, dryrun_report as report, dryrun_start, finish

pytestmark = pytest.mark.skipif(os.environ.get("GH200_ENGINE_RESTART") != "1",
                                reason="stops the shared Docker engine: scripts/test.sh runs it alone (GH200_ENGINE_RESTART=1)")
PIDFILE = "/var/run/docker.pid"
LOG = "/var/log/gh200-sglang-dockerd.log"


def engine_argv():
    """The command line of the engine, when it is the one scripts/setup.sh started (no bridge network); else skip."""
    try:
        pid = int(pathlib.Path(PIDFILE).read_text().strip())
        argv = pathlib.Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")[:-1]
    except (OSError, ValueError):
        pytest.skip("no dockerd PID file: the engine is not the test bed's own")
    if not argv or not argv[0].endswith(b"dockerd") or b"--bridge=none" not in argv:
        pytest.skip("the engine is not the one scripts/setup.sh starts; it is not restarted by a test")
    return pid, argv


def answers():
    return subprocess.run(["docker", "info"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30,
                          check=False).returncode == 0


def stop_engine():
    pid, argv = engine_argv()
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while os.path.exists("/proc/%d" % pid):
        assert time.monotonic() < deadline, "dockerd did not stop within 60 s"
        time.sleep(0.2)
    return argv


def start_engine(argv):
    """Start dockerd again as scripts/setup.sh does, detached (setsid -f: not this process's child, so its exit is
    never a zombie the next stop waits on); nothing when it answers already."""
    if answers():
        return
    with open(LOG, "ab") as log:
        subprocess.run(["setsid", "-f"] + argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, check=True, timeout=30)
    deadline = time.monotonic() + 60
    while not answers():
        assert time.monotonic() < deadline, "dockerd did not answer within 60 s of its start"
        time.sleep(0.5)


SLOW = "import time; print('started', flush=True); time.sleep(120)"


def test_an_engine_restart_during_a_stage_fails_it_in_one_line_and_the_next_ensure_rebuilds(module, tree):
    engine_argv()
    from test_cache_stage import args, locks, prep  # the cache_stage suite's arguments and readers
    from conftest import start_container
    container = start_container(docker.from_env(), tree)
    try:
        proc = module("cache_stage", args(container, tree, command=["python3", "-c", SLOW]), background=True)
        log = tree / "profiles" / "inductor" / "compile.log"
        deadline = time.monotonic() + 120
        while not (log.exists() and "started" in log.read_text()):
            assert time.monotonic() < deadline and proc.poll() is None, "the stage never started"
            time.sleep(0.3)
        argv = None
        try:
            argv = stop_engine()
            rc, result = finish(proc)
        finally:
            start_engine(argv or engine_argv()[1])
        assert rc != 0 and "\n" not in result["msg"], result
        assert result["msg"].startswith("stage inductor: the Docker engine stopped answering during the stage (exit None) "), result
        entry = prep(tree)["inductor"]
        assert entry["status"] == "failed" and entry["container"] == "the Docker engine stopped answering during the stage", entry
        assert locks(tree) == []
        container = docker.from_env().containers.get(container.id)
        assert container.status == "exited"  # the restart stopped it (no restart policy)
        container.start()
        rc, again = module("cache_stage", args(container, tree))
        assert rc == 0 and again["reason"] == "no valid signature" and prep(tree)["inductor"]["status"] == "ok", again
    finally:
        if answers():
            docker.from_env().containers.get(container.id).remove(force=True)


def test_an_engine_down_between_phases_fails_the_next_phase_in_one_line_and_the_next_run_records_the_stopped_container(tmp_path):
    engine_argv()
    if "GH200_DRYRUN_USER" not in os.environ:
        pytest.skip("GH200_DRYRUN_USER unset: run through scripts/test.sh (it loads .cache/testbed.env)")
    root = pathlib.Path(pwd.getpwnam(os.environ["GH200_DRYRUN_USER"]).pw_dir) / "sglang-observability"
    run = dryrun_start("playbooks/verify.yml", "--tags", "phase2,phase3", "-e", "report_dir=%s" % (tmp_path / "down"))
    argv, output = None, []
    try:
        for line in run.stdout:
            output.append(line)
            if argv is None and line.startswith("PLAY [Each host runs the phase at its own pace, phase3]"):
                argv = stop_engine()  # down from the end of phase 2 to the end of the run
        run.wait(timeout=600)
    finally:
        if argv is not None:
            start_engine(argv)
    assert argv is not None and (tmp_path / "down").is_dir(), "".join(output)[-3000:]
    host = report(tmp_path / "down")
    assert run.returncode != 0 and host["phases"]["phase2"]["verdict"] == "passed", "".join(output)[-3000:]
    failed = [c for c in host["checks"] if c["status"] == "failed"]
    assert [c["phase"] for c in failed] == ["phase3"] and "\n" not in failed[0]["detail"], failed
    assert failed[0]["detail"].startswith("cannot reach the Docker engine"), failed
    stopped = docker.from_env().containers.get("sglang-dev-dryrun").attrs
    assert stopped["State"]["Status"] == "exited"

    rc, out = playbook("playbooks/verify.yml", "--tags", "phase1,phase3", "-e", "report_dir=%s" % (tmp_path / "next"))
    host = report(tmp_path / "next")
    assert rc == 0 and [host["phases"][p]["verdict"] for p in ("phase1", "phase3")] == ["passed"] * 2, out[-3000:]
    runs = dict((c["name"], c["detail"]) for c in host["checks"] if c["phase"] == "phase1")
    run_id = stopped["Config"]["Labels"]["org.gh200-sglang.run-id"]
    assert "(found exited, run %s, restarts 0, exit code " % run_id in runs["container runs"], runs["container runs"]
    assert ", finished %s: remove, create, write_manifest" % stopped["State"]["FinishedAt"] in runs["container runs"]
    assert (root / "telemetry" / "container_runs" / ("%s.env" % run_id)).exists()  # its manifest kept in the history
