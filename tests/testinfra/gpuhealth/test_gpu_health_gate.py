"""verify.yml's phase 0 fails each unhealthy STAND-IN host with the reason, and passes the healthy one."""
import pytest

from conftest import HOSTS, NO_ANSWER, SEVERAL, checks, run_verify

GPU_CHECKS = 12


def gpu_checks(report, host):
    return dict((n, c) for n, c in checks(report, host).items() if n.startswith("GPU health: "))


def test_the_run_fails_because_of_the_unhealthy_hosts(phase0):
    rc, output, report = phase0
    assert rc != 0, output[-2000:]
    verdicts = dict((h, e["verdict"]) for h, e in report["hosts"].items())
    # --tags phase0: the healthy host passed the phase that ran, and is partial, never passed, for the rest.
    expected = dict((h, "partial" if state == "healthy" else "failed") for h, (state, _c, _d) in HOSTS.items())
    expected.update((h, "failed") for h in list(NO_ANSWER) + ["gpu-several"])
    assert verdicts == expected
    assert report["hosts"]["gpu-healthy"]["detail"].startswith("not verified in full: phase1 not run")


def test_the_healthy_host_passes_every_gpu_check_it_can_judge(phase0):
    _rc, _output, report = phase0
    found = gpu_checks(report, "gpu-healthy")
    assert len(found) == GPU_CHECKS
    statuses = dict((n, c["status"]) for n, c in found.items())
    assert statuses.pop("GPU health: no page retirement pending") == \
        "skipped: retired pages not reported by this GPU (it remaps rows)"
    # The recorded GH200's one aggregate uncorrected DRAM error is reported as a warning, never a plain pass.
    assert statuses.pop("GPU health: no volatile uncorrected ECC error") == "warning"
    assert set(statuses.values()) == {"passed"}, statuses
    assert checks(report, "gpu-healthy")["GPU facts"]["status"] == "passed"
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
    """The play runs as the non-root host user (the docker connection's user), and the driver (here its stand-in)
    lets only root turn persistence mode on: the GPU health task becomes root itself for it."""
    if host.backend.host != "gpu-persistence":
        pytest.skip("runs once, for the host whose persistence mode is off")
    marker = "/opt/gh200-gpu-standin/persistence-on"
    try:
        # The become switched off from the command line (extra vars beat the task's): the host user is refused, so the
        # play does run as that user, and root is what turns persistence on.
        rc, output, report = run_verify("--tags", "phase0", "--limit", "gpu-persistence", "-e", "ansible_user=ubuntu",
                                        "-e", "host_prep_gpu_enable_persistence=true", "-e", "ansible_become=false")
        assert rc != 0 and "nvidia-smi -pm 1 failed to enable persistence mode (rc=4" in output, output[-3000:]
        assert "Insufficient Permissions" in output and not host.file(marker).exists
        assert report["hosts"]["gpu-persistence"]["phases"]["phase0"]["verdict"] == "failed"
        rc, output, report = run_verify("--tags", "phase0", "--limit", "gpu-persistence", "-e", "ansible_user=ubuntu",
                                        "-e", "host_prep_gpu_enable_persistence=true")
        assert rc == 0, output[-3000:]
        assert report["hosts"]["gpu-persistence"]["verdict"] == "partial"  # phase 0 only
        assert report["hosts"]["gpu-persistence"]["phases"]["phase0"]["verdict"] == "passed"
        assert checks(report, "gpu-persistence")["GPU health: persistence mode enabled"]["status"] == "passed"
        health_task = output.split("Gather the GPU health evidence", 1)[1].split("TASK [", 1)[0]
        assert "changed: [gpu-persistence]" in health_task, health_task
        assert host.file(marker).exists
    finally:
        host.run("rm -f %s" % marker)
    assert not host.file(marker).exists


@pytest.mark.parametrize("host", sorted(NO_ANSWER))
def test_a_host_that_expects_a_gpu_and_gets_no_answer_fails_phase0_naming_why(phase0, host):
    """No nvidia-smi (a driver gone), or one that hangs (a GPU stuck in the driver, cut at its 5 s limit)."""
    _rc, output, report = phase0
    failed = dict((n, c["detail"]) for n, c in checks(report, host).items() if c["status"] == "failed")
    assert sorted(failed) == sorted(NO_ANSWER[host]), failed
    for name, detail in NO_ANSWER[host].items():
        assert failed[name].startswith(detail), (name, failed[name])
    skipped = set(c["status"] for n, c in checks(report, host).items()
                  if n.startswith("GPU health: ") and n not in failed and c["status"].startswith("skipped"))
    assert "skipped: nvidia-smi failed" in skipped
    assert not [n for n, c in checks(report, host).items() if c["status"] == "skipped: no GPU (nvidia-smi not found on PATH)"]


def test_five_faults_on_one_host_fail_five_checks_each_with_its_own_reason(phase0):
    _rc, _output, report = phase0
    failed = dict((n, c["detail"]) for n, c in checks(report, "gpu-several").items() if c["status"] == "failed")
    assert sorted(failed) == sorted(SEVERAL), failed
    for name, detail in SEVERAL.items():
        assert detail in failed[name], (name, failed[name])
