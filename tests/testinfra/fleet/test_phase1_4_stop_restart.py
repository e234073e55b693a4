"""Phase 1 "after stop" and phase 4 "teardown and persistence", on gh200-a: stop, then restart."""
from helpers import POINTER, history, module_args, profile_files, read_env, run

testinfra_hosts = ["ansible://gh200-a"]


def test_stop_keeps_history_and_ownership_then_restart_tolerates_them(host, gh200, engine):
    root = gh200["gh200_root"]
    # The state this test needs, whatever ran before it: the converged container, running.
    running = run(host, "gh200.sglang.container_run", module_args(gh200))
    assert running.get("failed") is not True and engine.containers.get(gh200["gh200_container_name"]).status == "running"
    before_history = history(host, gh200)
    before_profiles = profile_files(host, gh200)
    old_run = read_env(host, "%s/%s" % (root, POINTER))["RUN_ID"]

    stopped = run(host, "gh200.sglang.container_run", module_args(gh200, state="stopped"))
    assert stopped.get("failed") is not True, stopped.get("msg")
    assert stopped["changed"] and stopped["actions"] == ["stop", "remove_pointer"]
    assert not host.file("%s/%s" % (root, POINTER)).exists
    assert history(host, gh200) == before_history
    assert profile_files(host, gh200) == before_profiles  # no cache artifacts from a plain start/stop
    assert engine.containers.get(gh200["gh200_container_name"]).status == "exited"
    for rel in ("", "models", "profiles", "telemetry", "telemetry/logs", "telemetry/prometheus", "telemetry/container_runs"):
        path = host.file("%s/%s" % (root, rel))
        assert (path.uid, path.gid) == (gh200["uid"], gh200["gid"]), path.path
    telemetry_files = host.check_output("find %s/telemetry/logs %s/telemetry/prometheus -type f" % (root, root)).split()
    assert telemetry_files, "telemetry lost its data at stop"

    again = run(host, "gh200.sglang.container_run", module_args(gh200, state="stopped"))
    assert again["changed"] is False and again["actions"] == []

    # A cache artifact left by an earlier run must survive the restart too.
    host.check_output("install -o %s -m 0644 /dev/null %s/profiles/flashinfer/kept.bin" % (gh200["gh200_host_user"], root))
    restarted = run(host, "gh200.sglang.container_run", module_args(gh200, state="started"))
    assert restarted.get("failed") is not True, restarted.get("msg")
    assert restarted["changed"] and restarted["actions"] == ["remove", "create", "write_manifest"]
    assert restarted["run_id"] != old_run
    assert history(host, gh200) == sorted(before_history + [restarted["run_id"] + ".env"])
    assert read_env(host, "%s/%s" % (root, POINTER))["RUN_ID"] == restarted["run_id"]
    assert host.file("%s/profiles/flashinfer/kept.bin" % root).exists
    assert host.file("%s/telemetry/logs/container-run-%s/init-run.log" % (root, restarted["run_id"])).exists
    assert all(host.file(f).exists for f in telemetry_files if "/logs/" in f)
    host.check_output("rm %s/profiles/flashinfer/kept.bin" % root)
