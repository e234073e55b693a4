"""verify.yml's phase 0 fails each unhealthy STAND-IN host with the reason, and passes the healthy one."""
import pytest

from conftest import HOSTS, checks, run_verify

GPU_CHECKS = 12


def gpu_checks(report, host):
    return dict((n, c) for n, c in checks(report, host).items() if n.startswith("GPU health: "))


def test_the_run_fails_because_of_the_unhealthy_hosts(phase0):
    rc, output, report = phase0
    assert rc != 0, output[-2000:]
    verdicts = dict((h, e["verdict"]) for h, e in report["hosts"].items())
    assert verdicts == dict((h, "passed" if state == "healthy" else "failed") for h, (state, _c, _d) in HOSTS.items())


def test_the_healthy_host_passes_every_gpu_check_it_can_judge(phase0):
    _rc, _output, report = phase0
    found = gpu_checks(report, "gpu-healthy")
    assert len(found) == GPU_CHECKS
    statuses = dict((n, c["status"]) for n, c in found.items())
    assert statuses.pop("GPU health: no page retirement pending") == \
        "skipped: retired pages not reported by this GPU (it remaps rows)"
    assert set(statuses.values()) == {"passed"}, statuses
    assert found["GPU health: no fatal XID in the kernel log"]["detail"] == "reported: XID 13 (last 2 h)"
    assert report["hosts"]["gpu-healthy"]["gpu"].startswith("1 x NVIDIA GH200 480GB, driver 550.127.05, CUDA 12.4, Gen4 x1")


@pytest.mark.parametrize("host", [h for h, (state, _c, _d) in HOSTS.items() if state != "healthy"])
def test_each_unhealthy_host_fails_phase0_with_the_reason(phase0, host):
    _rc, _output, report = phase0
    _state, name, detail = HOSTS[host]
    entry = report["hosts"][host]
    assert entry["phases"]["phase0"]["verdict"] == "failed"
    failed = dict((n, c) for n, c in checks(report, host).items() if c["status"] == "failed")
    assert list(failed) == [name]
    assert detail in failed[name]["detail"]
    assert entry["gpu"].endswith("; failed: %s" % {
        "gpu-ecc": "ecc", "gpu-remap": "remapped_rows", "gpu-xid79": "xid", "gpu-c2c": "c2c",
        "gpu-persistence": "persistence"}[host])


def test_enable_persistence_from_the_command_line_heals_the_host_and_is_a_change(host):
    if host.backend.host != "gpu-persistence":
        pytest.skip("runs once, for the host whose persistence mode is off")
    marker = "/opt/gh200-gpu-standin/persistence-on"
    try:
        rc, output, report = run_verify("--tags", "phase0", "--limit", "gpu-persistence",
                                        "-e", "host_prep_gpu_enable_persistence=true")
        assert rc == 0, output[-3000:]
        assert report["hosts"]["gpu-persistence"]["verdict"] == "passed"
        assert checks(report, "gpu-persistence")["GPU health: persistence mode enabled"]["status"] == "passed"
        health_task = output.split("Gather the GPU health evidence", 1)[1].split("TASK [", 1)[0]
        assert "changed: [gpu-persistence]" in health_task, health_task
        assert host.file(marker).exists
    finally:
        host.run("rm -f %s" % marker)
    assert not host.file(marker).exists
