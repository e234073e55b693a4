import os
import stat

from ansible_collections.gh200.sglang.plugins.modules import gpu_facts


def fake_nvidia_smi(tmp_path, query_out, rc=0, banner="CUDA Version: 12.8"):
    script = tmp_path / "nvidia-smi"
    script.write_text(
        "#!/bin/sh\n"
        'case "$1" in --query-gpu=*) printf "%%s" "$QUERY_OUT"; exit %d ;; esac\n'
        'echo "%s"\n' % (rc, banner)
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_no_nvidia_smi_is_a_fact_not_a_failure(run_module, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, result = run_module(gpu_facts.main, {})
    assert code == 0 and result["changed"] is False
    facts = result["ansible_facts"]["gh200_gpu"]
    assert facts["gpu_present"] is False
    assert facts["reason"] == "nvidia-smi not found on PATH"


def test_gh200_query_and_banner(run_module, tmp_path, monkeypatch):
    script = fake_nvidia_smi(tmp_path, "")
    monkeypatch.setenv("QUERY_OUT", "NVIDIA GH200 480GB, 9.0, 97871, 570.124.06\n")
    code, result = run_module(gpu_facts.main, {"nvidia_smi": str(script)})
    facts = result["ansible_facts"]["gh200_gpu"]
    assert code == 0
    assert (facts["gpu_present"], facts["sm_arch"], facts["vram_gb"], facts["cuda_version"]) == (True, "sm90", 96, "12.8")
    assert facts["container_env"]["TORCH_CUDA_ARCH_LIST"] == "9.0"
    assert facts["cpu_arch"] == os.uname().machine


def test_failing_nvidia_smi_reports_the_reason(run_module, tmp_path, monkeypatch):
    script = fake_nvidia_smi(tmp_path, "", rc=9)
    monkeypatch.setenv("QUERY_OUT", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")
    code, result = run_module(gpu_facts.main, {"nvidia_smi": str(script)})
    facts = result["ansible_facts"]["gh200_gpu"]
    assert code == 0 and facts["gpu_present"] is False
    assert facts["reason"].startswith("nvidia-smi (rc=9): NVIDIA-SMI has failed")


import pytest  # noqa: E402


@pytest.mark.parametrize("rc", [0, 6])
@pytest.mark.parametrize("text", [
    "No devices were found",
    "Failed to initialize NVML: Driver/library version mismatch",
    "NVML library version: 570.86",
])
def test_error_text_is_never_a_gpu_whatever_the_exit_code(run_module, tmp_path, monkeypatch, rc, text):
    script = fake_nvidia_smi(tmp_path, "", rc=rc)
    monkeypatch.setenv("QUERY_OUT", text + "\n")
    code, result = run_module(gpu_facts.main, {"nvidia_smi": str(script)})
    facts = result["ansible_facts"]["gh200_gpu"]
    assert code == 0 and facts["gpu_present"] is False and facts["gpu_count"] == 0
    assert text.split(":")[0] in facts["reason"]


def test_a_hung_nvidia_smi_is_no_gpu_within_its_limit(run_module, tmp_path):
    import time
    script = tmp_path / "nvidia-smi"
    script.write_text("#!/bin/sh\nexec sleep 600\n")
    script.chmod(0o755)
    started = time.monotonic()
    code, result = run_module(gpu_facts.main, {"nvidia_smi": str(script), "timeout": 1})
    assert code == 0 and time.monotonic() - started < 20  # the script sleeps 600 s: bounded, with room for a loaded machine
    facts = result["ansible_facts"]["gh200_gpu"]
    assert facts["gpu_present"] is False and facts["reason"] == "nvidia-smi did not answer in 1 s"
