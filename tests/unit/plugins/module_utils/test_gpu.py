import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _gpu

GH200 = "NVIDIA GH200 480GB, 9.0, 97871, 570.124.06\n"


def test_parse_single_gh200_line():
    (gpu,) = _gpu.parse_query(GH200)
    assert gpu == {
        "index": 0,
        "name": "NVIDIA GH200 480GB",
        "compute_capability": "9.0",
        "sm_arch": "sm90",
        "memory_mib": 97871,
        "vram_gb": 96,
        "driver_version": "570.124.06",
    }


def test_parse_the_issue_example_without_driver_field():
    (gpu,) = _gpu.parse_query("NVIDIA GH200 480GB, 9.0, 97871")
    assert (gpu["sm_arch"], gpu["vram_gb"], gpu["driver_version"]) == ("sm90", 96, None)


def test_parse_several_gpus():
    text = GH200 + "NVIDIA H100 80GB HBM3, 9.0, 81559, 570.124.06\nNVIDIA L4, 8.9, 23034, 570.124.06\n"
    gpus = _gpu.parse_query(text)
    assert [g["index"] for g in gpus] == [0, 1, 2]
    assert [g["sm_arch"] for g in gpus] == ["sm90", "sm90", "sm89"]
    assert [g["vram_gb"] for g in gpus] == [96, 80, 22]
    facts = _gpu.summarize(gpus, "aarch64", "12.8")
    assert facts["gpu_count"] == 3 and facts["homogeneous"] is False
    assert facts["gpu_name"] == "NVIDIA GH200 480GB" and facts["fp8_supported"] is True


def test_missing_compute_cap_falls_back_to_name_mapping():
    (gpu,) = _gpu.parse_query("NVIDIA GH200 480GB, [N/A], 97871, 550.54.15")
    assert gpu["compute_capability"] is None
    assert gpu["sm_arch"] == "sm90"


def test_missing_memory_field_is_none_not_an_error():
    (gpu,) = _gpu.parse_query("NVIDIA A100-SXM4-80GB, 8.0, [N/A], 550.54.15")
    assert gpu["memory_mib"] is None and gpu["vram_gb"] is None and gpu["sm_arch"] == "sm80"


@pytest.mark.parametrize("text", [
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed, and running.",
    "name, compute_cap, memory.total [MiB], driver_version, extra",
])
def test_error_text_is_rejected(text):
    with pytest.raises(_gpu.GpuQueryError):
        _gpu.parse_query(text)


def test_blank_output_means_no_gpu():
    assert _gpu.parse_query("\n\n") == []


@pytest.mark.parametrize("sm,fp8", [("sm70", False), ("sm80", False), ("sm86", False), ("sm89", True),
                                    ("sm90", True), ("sm100", True), (None, False), ("gpu", False)])
def test_fp8_support(sm, fp8):
    assert _gpu.supports_fp8(sm) is fp8


def test_unknown_name_without_cap_has_no_arch():
    assert _gpu.sm_arch_from_name("Some Future GPU") is None
    assert _gpu.sm_arch_from_cap("9") is None
    assert _gpu.sm_arch_from_cap("10.0") == "sm100"


def test_cuda_version_from_banner():
    banner = "| NVIDIA-SMI 570.124.06   Driver Version: 570.124.06   CUDA Version: 12.8     |"
    assert _gpu.parse_cuda_version(banner) == "12.8"
    assert _gpu.parse_cuda_version("nothing") is None


def test_container_env_defaults():
    assert _gpu.container_env_defaults("sm90", "9.0") == {
        "PYTORCH_ALLOC_CONF": "expandable_segments:True", "TORCH_CUDA_ARCH_LIST": "9.0"}
    assert _gpu.container_env_defaults("sm90", None)["TORCH_CUDA_ARCH_LIST"] == "9.0"
    assert _gpu.container_env_defaults("sm100", None)["TORCH_CUDA_ARCH_LIST"] == "10.0"


def test_summary_without_gpu_keeps_the_reason():
    facts = _gpu.summarize([], "x86_64", reason="nvidia-smi not found on PATH")
    assert facts["gpu_present"] is False and facts["gpu_count"] == 0
    assert facts["reason"] == "nvidia-smi not found on PATH"
    assert facts["container_env"] == {} and facts["fp8_supported"] is False


def test_one_field_lines_and_error_texts_are_not_gpus():
    import pytest
    for text in ("No devices were found", "Driver/library version mismatch", "NVIDIA GH200 480GB, 9.0"):
        with pytest.raises(_gpu.GpuQueryError):
            _gpu.parse_query(text)
    assert _gpu.error_text("", "Failed to initialize NVML: Driver/library version mismatch") == (
        "Failed to initialize NVML: Driver/library version mismatch")
    assert _gpu.error_text(GH200, "") is None


def test_first_line_takes_the_first_output_that_says_something():
    assert _gpu.first_line("  \n", "\nNVIDIA-SMI has failed\nmore") == "NVIDIA-SMI has failed"
    assert _gpu.first_line("Error: x\n", "ignored") == "Error: x"
    assert _gpu.first_line(None, "") == "no output"
