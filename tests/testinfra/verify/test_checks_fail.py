"""Every check can fail: break the thing it checks on a healthy host, run verify.yml there, and see the
check `failed` in the report, with the cause named. Each case repairs what it broke."""
import os
import shutil

import pytest

from conftest import root_of

HOST = "gh200-vb"


def as_host_user(path, root):
    st = os.stat(root)
    os.lchown(path, st.st_uid, st.st_gid)


def write(root, rel):
    """A file at rel, owned by the host user (so only the check under test has a reason to fail)."""
    path = os.path.join(root, rel)
    with open(path, "w") as handle:
        handle.write("x")
    as_host_user(path, root)
    return path


def second_model(root):
    folder = os.path.join(root, "models/standin/other-model")
    os.mkdir(folder)
    as_host_user(folder, root)
    write(root, "models/standin/other-model/config.json")
    return lambda: shutil.rmtree(folder)


def stale_cache(root):
    path = write(root, "profiles/flashinfer/stale-kernel.so")
    return lambda: os.unlink(path)


def escaping_symlink(root):
    link = os.path.join(root, "telemetry/jaeger/escape")
    os.symlink("/var/tmp", link)
    as_host_user(link, root)
    return lambda: os.unlink(link)


def setuid_file(root):
    """What a root process in the container could leave for any host user to run (mode set after the chown,
    which would clear the bit)."""
    path = write(root, "telemetry/jaeger/planted-setuid")
    os.chmod(path, 0o4755)
    return lambda: os.unlink(path)


def missing_dir_behind_an_escape(root):
    """A directory of the tree gone while a symlink leaves the tree: phase 0 creates nothing then, and reads back."""
    jaeger = os.path.join(root, "telemetry/jaeger")
    aside = os.path.join(os.path.dirname(root), "jaeger-set-aside-by-a-test")
    os.rename(jaeger, aside)  # kept whole, outside the tree, and put back
    link = os.path.join(root, "telemetry/logs/escape")
    os.symlink("/var/tmp", link)
    as_host_user(link, root)

    def repair():
        os.unlink(link)
        os.rename(aside, jaeger)
    return repair


def read_only_dir(rel):
    """A directory phase 0 does not manage (so it does not repair it), made read-only for its owner."""
    def breaker(root):
        path = os.path.join(root, rel)
        os.makedirs(path, exist_ok=True)
        as_host_user(path, root)
        os.chmod(path, 0o555)
        return lambda: os.chmod(path, 0o755)
    return breaker


def nothing(root):
    return lambda: None


CASES = {
    # check name: (how to break it, phases to run, extra arguments, what the detail must name)
    "only the expected model under models": (second_model, "phase0", [], "models/standin/other-model"),
    "profiles holds only scaffolding and signed caches": (stale_cache, "phase0", [], "profiles/flashinfer/stale-kernel.so"),
    "no symlink leaves the host tree": (escaping_symlink, "phase0", [], "telemetry/jaeger/escape -> /var/tmp"),
    "no setuid, setgid or device file in the host tree": (setuid_file, "phase0", [], "telemetry/jaeger/planted-setuid (setuid)"),
    "host tree exists": (missing_dir_behind_an_escape, "phase0", [], "read back after prep: missing telemetry/jaeger"),
    "scaffolding and telemetry writable by devuser": (read_only_dir("profiles/inductor"), "phase0,phase1", [], "/profiles/inductor"),
    "Prometheus ready, TSDB written by this run": (read_only_dir("telemetry/prometheus/wal"), "phase0,phase1",
                                                   ["-e", "container_start_timeout=10"], "/-/ready answered"),
    "Prometheus TSDB written after the prompt": (read_only_dir("telemetry/prometheus/wal"), "phase3",
                                                 ["-e", "inference_start_timeout=10", "-e", "inference_prometheus_wait=5"],
                                                 "newest TSDB write"),
    "container log shows no errors": (nothing, "phase0,phase1", ["-e", "container_init_run_hook=/bin/false"],
                                      "ERROR: INIT_RUN_HOOK /bin/false failed"),
    "entrypoint logged its ready line": (nothing, "phase0,phase1",
                                         ["-e", "container_ready_regex=never-logged", "-e", "container_start_timeout=6"],
                                         "no line matching 'never-logged'"),
}


@pytest.mark.parametrize("check", sorted(CASES))
def test_breaking_what_a_check_checks_makes_it_fail(verify, check):
    breaker, tags, extra, named = CASES[check]
    repair = breaker(root_of(HOST))
    try:
        run = verify("--limit", HOST, "--tags", tags, *extra)
    finally:
        repair()
    assert run.rc != 0, run.output[-3000:]
    result = run.checks(HOST)[check]
    assert result["status"] == "failed", result
    assert named in result["detail"], result["detail"]
    assert run.host(HOST)["verdict"] == "failed"
