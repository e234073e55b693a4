"""Every check can fail: break the thing it checks on a healthy host, run verify.yml there, and see the
check `failed` in the report, with the cause named. Each run breaks both healthy hosts, each with a case of its own,
and repairs what it broke."""
import os
import shutil

import pytest

from conftest import host_vars_inventory, root_of

HOSTS = ["gh200-vb", "gh200-va"]


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
    # check name: (how to break it, phases to run, the host's own variables in its run (strings, as from -e k=v), what the detail must name)
    "only the expected model under models": (second_model, "phase0", {}, "models/standin/other-model"),
    "profiles holds only scaffolding and signed caches": (stale_cache, "phase0", {}, "profiles/flashinfer/stale-kernel.so"),
    "no symlink leaves the host tree": (escaping_symlink, "phase0", {}, "telemetry/jaeger/escape -> /var/tmp"),
    "no setuid, setgid or device file in the host tree": (setuid_file, "phase0", {}, "telemetry/jaeger/planted-setuid (setuid)"),
    "host tree exists": (missing_dir_behind_an_escape, "phase0", {}, "read back after prep: missing telemetry/jaeger"),
    "scaffolding and telemetry writable by devuser": (read_only_dir("profiles/inductor"), "phase0,phase1", {}, "/profiles/inductor"),
    "Prometheus ready, TSDB written by this run": (read_only_dir("telemetry/prometheus/wal"), "phase0,phase1",
                                                   {"container_start_timeout": "10"}, "/-/ready answered"),
    "Prometheus TSDB written after the prompt": (read_only_dir("telemetry/prometheus/wal"), "phase3",
                                                 {"inference_start_timeout": "10", "inference_prometheus_wait": "5"},
                                                 "newest TSDB write"),
    "container log shows no errors": (nothing, "phase0,phase1", {"container_init_run_hook": "/bin/false"},
                                      "ERROR: INIT_RUN_HOOK /bin/false failed"),
    "entrypoint logged its ready line": (nothing, "phase0,phase1",
                                         {"container_ready_regex": "never-logged", "container_start_timeout": "6"},
                                         "no line matching 'never-logged'"),
}


def runs():
    """The cases in runs of two: each run breaks both healthy hosts, each in its own way, with one case per host (cases
    of one run share their phases, so each host runs what its case needs and no more)."""
    by_tags = {}
    for check in sorted(CASES):
        by_tags.setdefault(CASES[check][1], []).append(check)
    out = []
    for tags, checks in sorted(by_tags.items()):
        out += [checks[i:i + len(HOSTS)] for i in range(0, len(checks), len(HOSTS))]
    return out


@pytest.mark.parametrize("checks", runs(), ids=" + ".join)
def test_breaking_what_a_check_checks_makes_it_fail(verify, checks, tmp_path):
    per_host = dict(zip(HOSTS, checks))
    tags = CASES[checks[0]][1]
    repairs = []
    try:
        for host, check in per_host.items():
            repairs.append(CASES[check][0](root_of(host)))
        extra = dict((host, CASES[check][2]) for host, check in per_host.items())
        run = verify("--limit", ",".join(per_host), "--tags", tags, *host_vars_inventory(tmp_path, extra))
    finally:
        for repair in repairs:
            repair()
    assert run.rc != 0, run.output[-3000:]
    for host, check in per_host.items():
        result = run.checks(host)[check]
        assert result["status"] == "failed", (host, result)
        assert CASES[check][3] in result["detail"], (host, result["detail"])
        assert run.host(host)["verdict"] == "failed"


def test_the_cases_pair_up_with_every_case_in_one_run():
    flat = [check for run in runs() for check in run]
    assert sorted(flat) == sorted(CASES) and all(len(set(CASES[c][1] for c in run)) == 1 for run in runs())
