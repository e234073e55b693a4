# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU facts from nvidia-smi output: pure functions (private to the collection)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# nvidia-smi --query-gpu=<QUERY_FIELDS> --format=csv,noheader,nounits
QUERY_FIELDS = ("name", "compute_cap", "memory.total", "driver_version")

# Fallback when compute_cap is missing (older drivers): substrings of the GPU name -> SM arch.
# Order matters: the first match wins ("GH200" before "H200" before "H100").
NAME_TO_SM = (
    ("GB200", "sm100"),
    ("B200", "sm100"),
    ("GH200", "sm90"),
    ("H200", "sm90"),
    ("H100", "sm90"),
    ("H800", "sm90"),
    ("L40", "sm89"),
    ("L4", "sm89"),
    ("RTX 40", "sm89"),
    ("RTX 6000 Ada", "sm89"),
    ("A100", "sm80"),
    ("A800", "sm80"),
    ("A30", "sm80"),
    ("A10", "sm86"),
    ("A40", "sm86"),
    ("RTX 30", "sm86"),
    ("T4", "sm75"),
    ("V100", "sm70"),
)

# How nvidia-smi spells a value it does not report.
MISSING = ("", "[N/A]", "N/A", "[Not Supported]", "Not Supported")


# What nvidia-smi prints instead of the queried CSV when it cannot talk to a GPU (on stdout or stderr,
# sometimes with exit code 0).
ERROR_TEXTS = (
    "No devices were found",
    "NVIDIA-SMI has failed",
    "Failed to initialize NVML",
    "Driver/library version mismatch",
    "couldn't communicate with the NVIDIA driver",
    "Unable to determine the device handle",
    "GPU is lost",
    "Unknown Error",
)


class GpuQueryError(Exception):
    """nvidia-smi printed something that is not the expected CSV."""


def error_text(*outputs):
    """The first line of nvidia-smi's output that is a known error message, or None."""
    for text in outputs:
        for line in (text or "").splitlines():
            if any(needle.lower() in line.lower() for needle in ERROR_TEXTS):
                return line.strip()
    return None


def first_line(*outputs):
    """The first non-empty line of the first output that has one (stderr before stdout, say), or 'no output'."""
    for text in outputs:
        for line in (text or "").splitlines():
            if line.strip():
                return line.strip()
    return "no output"


def sm_arch_from_cap(cap):
    """'9.0' -> 'sm90'; None when the capability is missing or malformed."""
    match = re.match(r"^\s*(\d+)\.(\d+)\s*$", cap or "")
    if not match:
        return None
    return "sm%s%s" % (match.group(1), match.group(2))


def sm_arch_from_name(name):
    """SM arch from the GPU's marketing name; None when unknown."""
    for needle, arch in NAME_TO_SM:
        if needle.lower() in (name or "").lower():
            return arch
    return None


def supports_fp8(sm_arch):
    """FP8 tensor cores: Ada (sm89), Hopper (sm90) and newer."""
    match = re.match(r"^sm(\d+)$", sm_arch or "")
    return bool(match) and int(match.group(1)) >= 89


def parse_query(text):
    """Parse `nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv,noheader,nounits`.

    Returns one dict per GPU line. A field reported missing ('[N/A]', empty) becomes None.
    Raises GpuQueryError when a line has another number of fields than asked for (the last one,
    driver_version, may be missing), no name, or a
    non-numeric memory size: the output is then not what was asked for (an error message such as
    'No devices were found', a header, another query).
    """
    gpus = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(",")]
        if not len(QUERY_FIELDS) - 1 <= len(fields) <= len(QUERY_FIELDS) or fields[0] in MISSING:
            # A GPU name never contains a comma; another field count means the output is not our query.
            # (Older drivers may leave out the last field, driver_version.)
            raise GpuQueryError("line %d of nvidia-smi output is not the queried CSV: %r" % (lineno, line.strip()))
        fields += [""] * (len(QUERY_FIELDS) - len(fields))
        values = dict((k, None if v in MISSING else v) for k, v in zip(QUERY_FIELDS, fields))
        memory_mib = None
        if values["memory.total"] is not None:
            if not re.match(r"^\d+(\.\d+)?$", values["memory.total"]):
                raise GpuQueryError("line %d of nvidia-smi output has a non-numeric memory.total: %r" % (lineno, line.strip()))
            memory_mib = int(float(values["memory.total"]))
        cap = values["compute_cap"]
        if cap is not None and sm_arch_from_cap(cap) is None:
            raise GpuQueryError("line %d of nvidia-smi output has a malformed compute_cap: %r" % (lineno, line.strip()))
        sm_arch = sm_arch_from_cap(cap) or sm_arch_from_name(values["name"])
        gpus.append({
            "index": len(gpus),
            "name": values["name"],
            "compute_capability": cap,
            "sm_arch": sm_arch,
            "memory_mib": memory_mib,
            "vram_gb": None if memory_mib is None else round(memory_mib / 1024.0),
            "driver_version": values["driver_version"],
        })
    return gpus


def parse_cuda_version(text):
    """CUDA version from the banner of plain `nvidia-smi` ('CUDA Version: 12.8'); None if absent."""
    match = re.search(r"CUDA Version:\s*([0-9]+(?:\.[0-9]+)*)", text or "")
    return match.group(1) if match else None


def container_env_defaults(sm_arch, compute_capability):
    """Environment defaults the dev container gets for this GPU family."""
    env = {"PYTORCH_ALLOC_CONF": "expandable_segments:True"}
    if compute_capability:
        env["TORCH_CUDA_ARCH_LIST"] = compute_capability
    elif sm_arch:
        digits = sm_arch[2:]
        env["TORCH_CUDA_ARCH_LIST"] = "%s.%s" % (digits[:-1], digits[-1])
    return env


def summarize(gpus, cpu_arch, cuda_version=None, reason=None):
    """Facts for the host: the first GPU describes the host (GH200 nodes are homogeneous)."""
    facts = {
        "gpu_present": bool(gpus),
        "gpu_count": len(gpus),
        "cpu_arch": cpu_arch,
        "cuda_version": cuda_version,
        "gpus": gpus,
        "reason": reason,
    }
    first = gpus[0] if gpus else {}
    facts.update({
        "gpu_name": first.get("name"),
        "sm_arch": first.get("sm_arch"),
        "compute_capability": first.get("compute_capability"),
        "vram_gb": first.get("vram_gb"),
        "driver_version": first.get("driver_version"),
        "fp8_supported": supports_fp8(first.get("sm_arch")),
        "homogeneous": len(set((g["name"], g["sm_arch"]) for g in gpus)) <= 1,
        "container_env": container_env_defaults(first.get("sm_arch"), first.get("compute_capability")) if gpus else {},
    })
    return facts
