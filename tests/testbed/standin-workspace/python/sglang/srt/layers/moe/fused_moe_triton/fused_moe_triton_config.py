"""STAND-IN: the newer signature of the workspace (seed 001)."""
from typing import List, Optional


def get_config_file_name(
    E: int, N: int, dtype: Optional[str], block_shape: Optional[List[int]] = None, per_channel_quant: bool = False
) -> str:
    device_name = "NVIDIA_GH200_480GB"
    dtype_selector = "" if not dtype else f",dtype={dtype}"
    block_shape_selector = "" if not block_shape else f",block_shape={block_shape}"
    per_channel_selector = ",per_channel_quant=True" if per_channel_quant else ""
    return f"E={E},N={N},device_name={device_name}{dtype_selector}{block_shape_selector}{per_channel_selector}.json"
