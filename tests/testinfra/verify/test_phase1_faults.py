"""Each phase-1 check can fail in a real run of verify.yml: a fault planted through the STAND-IN entrypoint's hooks
(INIT_RUN_HOOK at the start, STANDIN_STOP_HOOK at the stop, both run as devuser in the container, as a careless
script in a real dev container could) or a setting the run cannot satisfy. One run breaks both healthy hosts, each
in its own way (host variables from a second inventory), and several checks share a host where their faults do not
hide each other. Every case puts the hosts back in a `finally`, whatever its assertions say."""
import os

from conftest import host_vars_inventory, root_of

HOSTS = ("gh200-va", "gh200-vb")
PHASE1 = ("--limit", ",".join(HOSTS), "--tags", "phase1")
PORTS = {"gh200-va": {"PROMETHEUS_PORT": "19391", "NODE_EXPORTER_PORT": "19491"},
         "gh200-vb": {"PROMETHEUS_PORT": "19392", "NODE_EXPORTER_PORT": "19492"}}


def workspace(host):
    return "/var/tmp/gh200-molecule/verify/%s/sglang" % host


def env_of(host, **extra):
    return {"container_env": dict(PORTS[host], **extra)}


def failed(run, host):
    return dict((name, c["detail"]) for name, c in run.checks(host, "phase1").items() if c["status"] == "failed")


def expect(run, host, expected):
    seen = failed(run, host)
    for name, detail in expected.items():
        assert name in seen and detail in seen[name], (host, name, seen.get(name), sorted(seen))


class Manifest:
    """The oldest manifest of a host's run history, kept aside so a fault may delete it and the test put it back."""

    def __init__(self, host):
        folder = os.path.join(root_of(host), "telemetry/container_runs")
        self.name = sorted(n for n in os.listdir(folder) if n.endswith(".env"))[0]
        self.path = os.path.join(folder, self.name)
        self.data, self.stat = open(self.path, "rb").read(), os.stat(self.path)

    def restore(self):
        if not os.path.exists(self.path):
            with open(self.path, "wb") as handle:
                handle.write(self.data)
            os.chown(self.path, self.stat.st_uid, self.stat.st_gid)
            os.chmod(self.path, self.stat.st_mode & 0o7777)


def test_hooks_that_break_the_pointer_the_history_and_the_tree_fail_their_checks(verify, tmp_path):
    """gh200-vb: a start hook rewrites the pointer (mode 0644, emptied) and loses a manifest, and the run log and node
    exporter log looked for are never written; gh200-va: a stop hook loses a manifest, plants a cache and moves a
    directory of the tree away."""
    start, stop = Manifest("gh200-vb"), Manifest("gh200-va")
    hook = os.path.join(workspace("gh200-vb"), ".devcontainer/fault-start-hook.sh")
    with open(hook, "w") as handle:
        handle.write("#!/bin/bash\n# A careless start-up script (a test's fault): it rewrites the pointer and loses history.\n"
                     "p=/telemetry/container_run_meta.env\n"
                     "for _ in $(seq 60); do [ -s $p ] && break; sleep 0.5; done\n"
                     "chmod 0644 $p && : > $p\nrm -f /telemetry/container_runs/%s\n" % start.name)
    st = os.stat(workspace("gh200-vb"))
    os.chown(hook, st.st_uid, st.st_gid)
    os.chmod(hook, 0o755)
    va = root_of("gh200-va")
    planted = os.path.join(va, "profiles/flashinfer/planted-by-the-stop.so")
    moved = os.path.join(va, "telemetry/logs/jaeger-moved-by-the-stop")
    per_host = {
        "gh200-vb": {"container_init_run_hook": "/workspaces/sglang/.devcontainer/fault-start-hook.sh",
                     "container_run_log_name": "never-written.log", "container_node_exporter_log_name": "never-written.log",
                     "container_start_timeout": 10},
        "gh200-va": env_of("gh200-va", STANDIN_STOP_HOOK="rm -f /telemetry/container_runs/%s; touch /profiles/flashinfer/%s; "
                           "mv /telemetry/jaeger /telemetry/logs/%s" % (
                               stop.name, os.path.basename(planted), os.path.basename(moved))),
    }
    try:
        run = verify(*PHASE1, *host_vars_inventory(tmp_path, per_host))
    finally:
        os.unlink(hook)
        start.restore()
        stop.restore()
        pointer = os.path.join(root_of("gh200-vb"), "telemetry/container_run_meta.env")
        if os.path.exists(pointer):
            os.unlink(pointer)  # the emptied pointer the fault left: the stop had no run to end
        if os.path.exists(planted):
            os.unlink(planted)
        if os.path.isdir(moved):
            os.rename(moved, os.path.join(va, "telemetry/jaeger"))
    assert run.rc != 0, run.output[-3000:]
    expect(run, "gh200-vb", {
        "pointer is a 0600 file owned by ubuntu": "mode 0644",
        "pointer names the current run": "pointer RUN_ID",
        "run history holds every manifest": "lost: " + start.name,
        "run log of this run": "no never-written.log written since the start",
        "node exporter answers /metrics": "never-written.log in the run log: False",
        "pointer removed after stop": "still exists",
    })
    expect(run, "gh200-va", {
        "run history kept after stop": "lost: " + stop.name,
        "no cache artifacts from a plain start and stop": "profiles/flashinfer/planted-by-the-stop.so",
        "host tree still owned by ubuntu": "missing: telemetry/jaeger",
    })


def test_an_entrypoint_that_exits_and_an_editable_install_from_a_wrong_folder_fail_their_checks(verify, tmp_path):
    """gh200-va: the entrypoint exits with code 3 once ready (STAND-IN STANDIN_EXIT_AFTER_READY); gh200-vb: the
    editable install points at a folder that does not exist, and the workspace's tests name a file that does not."""
    per_host = {
        "gh200-va": env_of("gh200-va", STANDIN_EXIT_AFTER_READY="3"),
        "gh200-vb": {"editable_install_source_subdir": "no-such-folder", "editable_install_run_tests": True,
                     "editable_install_test_paths": ["test/no_such_test.py"]},
    }
    run = verify(*PHASE1, *host_vars_inventory(tmp_path, per_host))
    assert run.rc != 0, run.output[-3000:]
    expect(run, "gh200-va", {"container runs": "exit code 3"})
    expect(run, "gh200-vb", {"container imports sglang from the workspace": "", "probe signature": "",
                             "workspace tests pass in the container": "no_such_test.py"})


def test_a_workspace_that_is_not_there_fails_the_preflight_and_nothing_starts(verify, engine):
    before = engine.containers.get("sglang-dev-verify-b").attrs["Id"]
    run = verify("--limit", "gh200-vb", "--tags", "phase1", "-e", "gh200_workspace=/var/tmp/gh200-molecule/verify/no-such-workspace")
    assert run.rc != 0, run.output[-3000:]
    expect(run, "gh200-vb", {"validate-only preflight": "no-such-workspace"})
    assert engine.containers.get("sglang-dev-verify-b").attrs["Id"] == before  # nothing was started or recreated
