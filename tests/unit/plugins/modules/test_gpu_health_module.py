"""gpu_health end to end on the STAND-IN nvidia-smi/dcgmi/journalctl (tests/testbed/gpu/standin.py)."""
import os
import sys
import time

import pytest

from ansible_collections.gh200.sglang.plugins.modules import gpu_health

STANDIN = os.path.join(os.path.dirname(__file__), "..", "..", "..", "testbed", "gpu", "standin.py")


@pytest.fixture
def standin(tmp_path, monkeypatch):
    """A PATH with only the stand-in tools (and no dmesg), in the given state."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("nvidia-smi", "dcgmi", "journalctl"):
        wrapper = bin_dir / tool
        wrapper.write_text('#!/bin/sh\nexec "%s" "%s" %s "$@"\n' % (sys.executable, os.path.abspath(STANDIN), tool))
        wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))  # the wrappers name the interpreter; no real journalctl or dmesg
    monkeypatch.setenv("GH200_GPU_STANDIN_VAR", str(tmp_path))
    monkeypatch.setenv("GH200_GPU_STANDIN_ROOT_UID", str(os.geteuid()))  # whoever runs the tests may turn persistence on

    def _state(name):
        monkeypatch.setenv("GH200_GPU_STANDIN_STATE", name)
        return bin_dir

    return _state


def failed(result):
    return result["gpu_health"]["failed"]


def test_healthy_host_passes_and_reads_the_journal(run_module, standin):
    standin("healthy")
    code, result = run_module(gpu_health.main, {})
    assert code == 0 and result["changed"] is False
    assert failed(result) == []
    assert result["gpu_health"]["kernel_log"] == "journalctl -k"
    assert result["gpu_health"]["verdicts"]["dcgm"]["detail"] == "dcgmi diag -r 1: 9 result(s), none failed"
    assert result["gpu_health"]["summary"].startswith("1 x NVIDIA GH200 480GB, driver 550.127.05")


@pytest.mark.parametrize("state, item", [("xid79", "xid"), ("c2c_link_down", "c2c"), ("remap_pending", "remapped_rows"),
                                         ("ecc_uncorrected", "ecc"), ("persistence_off", "persistence")])
def test_each_fault_fails_its_check(run_module, standin, state, item):
    standin(state)
    _code, result = run_module(gpu_health.main, {})
    assert failed(result) == [item]


def test_no_nvidia_smi_skips_everything_only_on_a_host_that_expects_no_gpu(run_module, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    _code, result = run_module(gpu_health.main, {"nvidia_smi": "nvidia-smi", "gpu_expected": False})
    skips = set(i["skip"] for i in result["gpu_health"]["verdicts"].values())
    assert skips == {"no GPU (nvidia-smi not found on PATH)"} and failed(result) == []
    _code, expected = run_module(gpu_health.main, {"nvidia_smi": "nvidia-smi"})
    assert failed(expected) == ["smi", "count"], expected["gpu_health"]["verdicts"]
    statuses = dict((c["key"], c["status"]) for c in expected["gpu_health"]["checks"])
    assert statuses["smi"] == statuses["count"] == "failed"


def test_a_hung_nvidia_smi_fails_within_its_limit(run_module, standin):
    standin("hung")
    started = time.monotonic()
    _code, result = run_module(gpu_health.main, {"timeout": 2})
    took = time.monotonic() - started
    assert failed(result) == ["smi", "count"]
    assert result["gpu_health"]["verdicts"]["smi"]["detail"] == "nvidia-smi did not answer in 2 s"
    assert took < 30, took  # the stand-in hangs for ever: anything bounded is the limit at work (margin for a loaded machine)


def test_the_gate_turned_off_records_every_item_skipped_and_runs_nothing(run_module, standin):
    standin("hung")  # anything run would hang
    _code, result = run_module(gpu_health.main, {"skip_reason": "host_prep_gpu_health=false", "timeout": 1})
    assert set(c["status"] for c in result["gpu_health"]["checks"]) == {"skipped: host_prep_gpu_health=false"}
    assert len(result["gpu_health"]["checks"]) == 12


@pytest.mark.parametrize("value", [0, -1, "nan", "inf"])
def test_a_time_limit_that_is_not_a_positive_number_is_refused(run_module, standin, value):
    standin("healthy")
    code, result = run_module(gpu_health.main, {"timeout": value})
    assert code == 1 and result["msg"].startswith("gpu_health: timeout must be")


def test_enable_persistence_is_a_change_check_mode_predicts_it(run_module, standin, tmp_path):
    standin("persistence_off")
    _code, checked = run_module(gpu_health.main, {"enable_persistence": True, "_ansible_check_mode": True})
    assert checked["changed"] is True and failed(checked) == []
    assert checked["gpu_health"]["verdicts"]["persistence"]["skip"].startswith("check mode: persistence mode would be")
    assert not (tmp_path / "persistence-on").exists()
    _code, real = run_module(gpu_health.main, {"enable_persistence": True})
    assert real["changed"] is True and failed(real) == []
    assert real["gpu_health"]["verdicts"]["persistence"]["ok"] is True
    _code, again = run_module(gpu_health.main, {"enable_persistence": True})
    assert again["changed"] is False


def test_persistence_refused_by_the_driver_is_one_line_naming_it_and_nothing_changes(run_module, standin, tmp_path,
                                                                                     monkeypatch):
    standin("persistence_off")
    monkeypatch.setenv("GH200_GPU_STANDIN_ROOT_UID", str(os.geteuid() + 1))  # this user is not root to the driver
    code, result = run_module(gpu_health.main, {"enable_persistence": True})
    assert code == 1 and "\n" not in result["msg"], result
    assert result["msg"] == ("nvidia-smi -pm 1 failed to enable persistence mode (rc=4, %s): Unable to set persistence "
                             "mode for GPU 00000000:DD:00.0: Insufficient Permissions" % gpu_health._gpu_health.exit_cause(4))
    assert not (tmp_path / "persistence-on").exists()


def test_without_dcgmi_the_dcgm_check_is_skipped(run_module, standin):
    bin_dir = standin("healthy")
    (bin_dir / "dcgmi").unlink()
    _code, result = run_module(gpu_health.main, {})
    assert result["gpu_health"]["verdicts"]["dcgm"]["skip"] == "dcgmi not installed"


def fake_dmesg(bin_dir, text, rc=0):
    script = bin_dir / "dmesg"
    script.write_text("#!/bin/sh\n[ \"$1 $2\" = \"--time-format iso\" ] || exit 9\nprintf '%%s' '%s' >&%d\nexit %d\n"
                      % (text, 2 if rc else 1, rc))
    script.chmod(0o755)


def test_without_a_journal_the_kernel_log_comes_from_dmesg(run_module, standin):
    bin_dir = standin("healthy")
    (bin_dir / "journalctl").unlink()
    now = time.strftime("%Y-%m-%dT%H:%M:%S,000000+00:00", time.gmtime())
    fake_dmesg(bin_dir, "%s NVRM: Xid (PCI:0009:01:00): 79, pid=1, GPU has fallen off the bus.\n" % now)
    _code, result = run_module(gpu_health.main, {"kernel_log": "auto"})
    assert result["gpu_health"]["kernel_log"] == "dmesg"
    assert failed(result) == ["xid"]


def test_an_unreadable_kernel_log_is_skipped_with_the_error(run_module, standin):
    bin_dir = standin("xid79")
    fake_dmesg(bin_dir, "dmesg: read kernel buffer failed: Operation not permitted\n", rc=1)
    _code, result = run_module(gpu_health.main, {"kernel_log": "dmesg", "required": []})
    xid = result["gpu_health"]["verdicts"]["xid"]
    assert xid["skip"] == "kernel log not readable: dmesg: dmesg: read kernel buffer failed: Operation not permitted"
    assert failed(result) == []
