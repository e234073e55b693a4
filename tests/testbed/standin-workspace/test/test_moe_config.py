"""STAND-IN workspace test suite, run inside the container by the editable_install role."""
from sglang.srt.layers.moe.fused_moe_triton.fused_moe_triton_config import get_config_file_name


def test_per_channel_quant_is_accepted():
    assert get_config_file_name(512, 4096, "fp8_w8a8", [128, 128], True).endswith("per_channel_quant=True.json")


def test_defaults_match_the_old_name():
    assert get_config_file_name(512, 4096, None) == "E=512,N=4096,device_name=NVIDIA_GH200_480GB.json"
