"""Each phase-1 check can fail in a real run of verify.yml: a fault planted through the STAND-IN entrypoint's hooks
(INIT_RUN_HOOK at the start, STANDIN_STOP_HOOK at the stop, both run as devuser in the container, as a careless
script in a real dev container could) or a setting the run cannot satisfy. Several checks share one run where their
faults do not hide each other. Every case puts the host back in a `finally`, whatever its assertions say."""
import json
import os

from conftest import root_of

HOST = "gh200-vb"
PHASE1 = ("--limit", HOST, "--tags", "phase1")
PORTS = {"PROMETHEUS_PORT": "19392", "NODE_EXPORTER_PORT": "19492"}
WORKSPACE = "/var/tmp/gh200-molecule/verify/%s/sglang" % HOST


def env_args(**extra):
    return ("-e", json.dumps({"container_env": dict(PORTS, **extra)}))


def failed(run):
    return dict((name, c["detail"]) for name, c in run.checks(HOST, "phase1").items() if c["status"] == "failed")


class Manifest:
    """The oldest manifest of the run history, kept aside so a fault may delete it and the test put it back."""

    def __init__(self):
        folder = os.path.join(root_of(HOST), "telemetry/container_runs")
        self.name = sorted(n for n in os.listdir(folder) if n.endswith(".env"))[0]
        self.path = os.path.join(folder, self.name)
        self.data, self.stat = open(self.path, "rb").read(), os.stat(self.path)

    def restore(self):
        if not os.path.exists(self.path):
            with open(self.path, "wb") as handle:
                handle.write(self.data)
            os.chown(self.path, self.stat.st_uid, self.stat.st_gid)
            os.chmod(self.path, self.stat.st_mode & 0o7777)


def test_a_start_hook_that_breaks_the_pointer_and_the_history_fails_their_checks(verify):
    manifest = Manifest()
    hook = os.path.join(WORKSPACE, ".devcontainer/fault-start-hook.sh")
    with open(hook, "w") as handle:
        handle.write("#!/bin/bash\n# A careless start-up script (a test's fault): it rewrites the pointer and loses history.\n"
                     "p=/telemetry/container_run_meta.env\n"
                     "for _ in $(seq 60); do [ -s $p ] && break; sleep 0.5; done\n"
                     "chmod 0644 $p && : > $p\nrm -f /telemetry/container_runs/%s\n" % manifest.name)
    st = os.stat(WORKSPACE)
    os.chown(hook, st.st_uid, st.st_gid)
    os.chmod(hook, 0o755)
    try:
        run = verify(*PHASE1, "-e", "container_init_run_hook=/workspaces/sglang/.devcontainer/fault-start-hook.sh",
                     "-e", "container_run_log_name=never-written.log", "-e", "container_node_exporter_log_name=never-written.log",
                     "-e", "container_start_timeout=10")
    finally:
        os.unlink(hook)
        manifest.restore()
        pointer = os.path.join(root_of(HOST), "telemetry/container_run_meta.env")
        if os.path.exists(pointer):
            os.unlink(pointer)  # an empty pointer is left behind by design of the fault: the stop had no run to end
    assert run.rc != 0, run.output[-3000:]
    seen = failed(run)
    expected = {
        "pointer is a 0600 file owned by ubuntu": "mode 0644",
        "pointer names the current run": "pointer RUN_ID",
        "run history holds every manifest": "lost: " + manifest.name,
        "run log of this run": "no never-written.log written since the start",
        "node exporter answers /metrics": "never-written.log in the run log: False",
        "pointer removed after stop": "still exists",
    }
    for name, detail in expected.items():
        assert name in seen and detail in seen[name], (name, seen.get(name), sorted(seen))


def test_a_stop_hook_that_loses_history_adds_a_cache_and_moves_a_directory_fails_the_stop_checks(verify):
    manifest = Manifest()
    root = root_of(HOST)
    planted = os.path.join(root, "profiles/flashinfer/planted-by-the-stop.so")
    moved = os.path.join(root, "telemetry/logs/jaeger-moved-by-the-stop")
    try:
        run = verify(*PHASE1, *env_args(STANDIN_STOP_HOOK="rm -f /telemetry/container_runs/%s; touch /profiles/flashinfer/%s; "
                                        "mv /telemetry/jaeger /telemetry/logs/%s" % (
                                            manifest.name, os.path.basename(planted), os.path.basename(moved))))
    finally:
        manifest.restore()
        if os.path.exists(planted):
            os.unlink(planted)
        if os.path.isdir(moved):
            os.rename(moved, os.path.join(root, "telemetry/jaeger"))
    assert run.rc != 0, run.output[-3000:]
    seen = failed(run)
    expected = {
        "run history kept after stop": "lost: " + manifest.name,
        "no cache artifacts from a plain start and stop": "profiles/flashinfer/planted-by-the-stop.so",
        "host tree still owned by ubuntu": "missing: telemetry/jaeger",
    }
    for name, detail in expected.items():
        assert name in seen and detail in seen[name], (name, seen.get(name), sorted(seen))


def test_an_entrypoint_that_exits_fails_container_runs_with_its_exit_code(verify):
    run = verify(*PHASE1, *env_args(STANDIN_EXIT_AFTER_READY="3"))
    assert run.rc != 0, run.output[-3000:]
    seen = failed(run)
    assert "container runs" in seen and "exit code 3" in seen["container runs"], sorted(seen)


def test_a_workspace_that_is_not_there_fails_the_preflight_and_nothing_starts(verify, engine):
    before = engine.containers.get("sglang-dev-verify-b").attrs["Id"]
    run = verify(*PHASE1, "-e", "gh200_workspace=/var/tmp/gh200-molecule/verify/no-such-workspace")
    assert run.rc != 0, run.output[-3000:]
    seen = failed(run)
    assert "no-such-workspace" in seen["validate-only preflight"], seen
    assert engine.containers.get("sglang-dev-verify-b").attrs["Id"] == before  # nothing was started or recreated


def test_an_editable_install_from_a_wrong_folder_and_failing_tests_fail_the_seed_001_checks(verify):
    run = verify(*PHASE1, "-e", "editable_install_source_subdir=no-such-folder", "-e", "editable_install_run_tests=true",
                 "-e", json.dumps({"editable_install_test_paths": ["test/no_such_test.py"]}))
    assert run.rc != 0, run.output[-3000:]
    seen = failed(run)
    for name in ("container imports sglang from the workspace", "probe signature", "workspace tests pass in the container"):
        assert name in seen, (name, sorted(seen))
    assert "no_such_test.py" in seen["workspace tests pass in the container"] or "exit 4" in seen[
        "workspace tests pass in the container"], seen["workspace tests pass in the container"]
