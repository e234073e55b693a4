#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: gpu_facts
short_description: GPU facts of a GH200 host from nvidia-smi
version_added: 0.1.0
description:
  - Queries C(nvidia-smi) for the GPU name, count, compute capability and SM arch, VRAM, FP8
    support, driver and CUDA versions, and reports the CPU architecture and the environment defaults
    the dev container should get (E(TORCH_CUDA_ARCH_LIST), E(PYTORCH_ALLOC_CONF)).
  - A host without C(nvidia-smi), or where it fails, is not an error; the facts say
    C(gpu_present=false) and give the reason, so checks that need a GPU can report themselves skipped.
    Any error text from C(nvidia-smi) (C(No devices were found), a driver/library version mismatch,
    NVML that fails to initialize), whatever its exit code, means no GPU, with that text as the reason.
  - Each call has a time limit, O(timeout). An C(nvidia-smi) that hangs (a GPU stuck in the driver) gives
    C(gpu_present=false) with the reason C(nvidia-smi did not answer in N s) within the limit and a few seconds.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.attributes.read_only
options:
  nvidia_smi:
    description:
      - Name or path of the C(nvidia-smi) executable.
    type: str
    default: nvidia-smi
  timeout:
    description: Seconds each C(nvidia-smi) call may take.
    type: float
    default: 60
attributes:
  facts:
    support: full
    description: Sets C(ansible_facts.gh200_gpu).
notes:
  - Runs C(nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv,noheader,nounits),
    then plain C(nvidia-smi) for the CUDA version.
"""

EXAMPLES = r"""
- name: Gather the GPU facts of the host.
  gh200.sglang.gpu_facts:

- name: Report the SM arch, or why there is no GPU.
  ansible.builtin.debug:
    msg: "{{ ansible_facts.gh200_gpu.sm_arch if ansible_facts.gh200_gpu.gpu_present else ansible_facts.gh200_gpu.reason }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts about the host's GPUs.
  returned: always
  type: dict
  contains:
    gh200_gpu:
      description: GPU facts of the host; the first GPU describes the host.
      returned: always
      type: dict
      contains:
        gpu_present:
          description: Whether nvidia-smi listed at least one GPU.
          type: bool
          sample: true
        reason:
          description: Why there is no usable GPU; null when there is one.
          type: str
          sample: nvidia-smi not found on PATH
        gpu_count:
          description: Number of GPUs.
          type: int
          sample: 1
        gpu_name:
          description: Name of the first GPU.
          type: str
          sample: NVIDIA GH200 480GB
        sm_arch:
          description: SM architecture of the first GPU, from compute_cap or, failing that, the name.
          type: str
          sample: sm90
        compute_capability:
          description: Compute capability of the first GPU.
          type: str
          sample: "9.0"
        vram_gb:
          description: Total memory of the first GPU in GiB, rounded.
          type: int
          sample: 96
        fp8_supported:
          description: Whether the first GPU has FP8 tensor cores (sm89, sm90 and newer).
          type: bool
          sample: true
        driver_version:
          description: NVIDIA driver version.
          type: str
          sample: "570.124.06"
        cuda_version:
          description: CUDA version the driver supports, from the nvidia-smi banner.
          type: str
          sample: "12.8"
        cpu_arch:
          description: CPU architecture of the host.
          type: str
          sample: aarch64
        homogeneous:
          description: Whether all GPUs have the same name and SM arch.
          type: bool
          sample: true
        container_env:
          description: Environment defaults for the dev container on this GPU family.
          type: dict
          sample: {"TORCH_CUDA_ARCH_LIST": "9.0", "PYTORCH_ALLOC_CONF": "expandable_segments:True"}
        gpus:
          description: One entry per GPU.
          type: list
          elements: dict
          sample: [{"index": 0, "name": "NVIDIA GH200 480GB", "compute_capability": "9.0", "sm_arch": "sm90",
                    "memory_mib": 97871, "vram_gb": 96, "driver_version": "570.124.06"}]
"""

import platform

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _gpu, _proc


def gather(module):
    """Run nvidia-smi and return the facts; no GPU is a fact, not a failure."""
    cpu_arch = platform.machine()
    binary = module.get_bin_path(module.params["nvidia_smi"])
    if binary is None:
        return _gpu.summarize([], cpu_arch, reason="%s not found on PATH" % module.params["nvidia_smi"])
    query = [binary, "--query-gpu=%s" % ",".join(_gpu.QUERY_FIELDS), "--format=csv,noheader,nounits"]
    try:
        rc, out, err = _proc.run(query, module.params["timeout"])
    except (_proc.Timeout, OSError) as exc:
        return _gpu.summarize([], cpu_arch, reason=str(exc))
    error = _gpu.error_text(out, err)
    if error:
        return _gpu.summarize([], cpu_arch, reason="nvidia-smi (rc=%d): %s" % (rc, error))
    if rc != 0:
        return _gpu.summarize([], cpu_arch, reason="nvidia-smi failed (rc=%d): %s" % (rc, _gpu.first_line(err, out)))
    try:
        gpus = _gpu.parse_query(out)
    except _gpu.GpuQueryError as exc:
        return _gpu.summarize([], cpu_arch, reason=str(exc))
    if not gpus:
        return _gpu.summarize([], cpu_arch, reason="nvidia-smi listed no GPU")
    try:
        rc, banner, _err = _proc.run([binary], module.params["timeout"])
    except (_proc.Timeout, OSError) as exc:
        return _gpu.summarize([], cpu_arch, reason=str(exc))
    return _gpu.summarize(gpus, cpu_arch, cuda_version=_gpu.parse_cuda_version(banner) if rc == 0 else None)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nvidia_smi=dict(type="str", default="nvidia-smi"),
            timeout=dict(type="float", default=60),
        ),
        supports_check_mode=True,
    )
    try:
        _proc.check_timeout("timeout", module.params["timeout"])
    except ValueError as exc:
        module.fail_json(msg="gpu_facts: %s" % exc)
    module.exit_json(changed=False, ansible_facts={"gh200_gpu": gather(module)})


if __name__ == "__main__":
    main()
