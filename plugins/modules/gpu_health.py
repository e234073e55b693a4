#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: gpu_health
short_description: The GPU health gate of a GH200 host, one verdict per check
version_added: 0.1.0
description:
  - Gathers the evidence in a few read-only calls and judges it, one verdict per check, for
    M(gh200.sglang.check) to record. The evidence comes from C(nvidia-smi -q) (memory errors, clock event
    reasons, persistence, addressing, C2C and MIG modes of every GPU), C(nvidia-smi c2c -s), the kernel log
    (XID lines) and, when installed, C(dcgmi diag).
  - Each verdict is C({ok, skip, detail}). A host without C(nvidia-smi) has every verdict skipped with the
    reason C(no GPU); evidence that could not be read (an unreadable kernel log, no C(dcgmi)) is skipped with
    its reason, never passed.
  - >-
    C(nvidia-smi) that fails fails the C(smi) check, naming its exit code's cause (9: driver not loaded,
    12: NVML missing, 14: InfoROM corrupted, 15: GPU fell off the bus).
  - Aggregate ECC counters, PCIe width and power limits are reported, never failed. Healthy GH200s show
    non-zero aggregate counts, PCIe Gen4 x1 and a power limit below the default.
author:
  - gh200.sglang maintainers (@gh200-sglang)
options:
  nvidia_smi:
    description: Name or path of the C(nvidia-smi) executable.
    type: str
    default: nvidia-smi
  dcgmi:
    description: Name or path of the C(dcgmi) executable; a host without it has the C(dcgm) check skipped.
    type: str
    default: dcgmi
  expected_gpu_count:
    description: Number of GPUs the host must list.
    type: int
    default: 1
  ecc_volatile_uncorrected_max:
    description: Most volatile (since the driver loaded) uncorrected ECC errors a GPU may have.
    type: int
    default: 0
  remapped_rows_uncorrectable_limit:
    description:
      - A GPU with this many rows remapped for uncorrectable errors fails; a pending remap or a remapping
        failure always fails.
    type: int
    default: 512
  xid_window_minutes:
    description: How far back the kernel log is read for XID errors.
    type: int
    default: 120
  xid_fatal:
    description: XIDs that fail the check (DCGM's fatal set by default).
    type: list
    elements: int
    default: [48, 64, 74, 79, 95, 119, 120, 140]
  xid_warn:
    description: XIDs that are reported as warnings without failing.
    type: list
    elements: int
    default: [63, 94]
  kernel_log:
    description:
      - Where XID lines are read. V(auto) uses C(journalctl -k) and, when it has no journal, C(dmesg).
      - The connecting user needs to read the kernel log (root, or the C(adm)/C(systemd-journal) group);
        otherwise the check is skipped with the error.
    type: str
    choices: [auto, journal, dmesg]
    default: auto
  clock_events:
    description: Clock event reasons that are reported when active.
    type: list
    elements: str
    default: [HW Slowdown, HW Thermal Slowdown, HW Power Brake Slowdown, SW Thermal Slowdown]
  fail_on_clock_events:
    description: Fail the C(clocks) check when one of O(clock_events) is active.
    type: bool
    default: false
  addressing_mode:
    description: The addressing mode every GPU must report (ATS on a GH200); empty skips the check.
    type: str
    default: ATS
  c2c:
    description: Require C2C mode enabled and every link of C(nvidia-smi c2c -s) reporting a bandwidth.
    type: bool
    default: true
  c2c_links:
    description: Fewest C2C links each GPU must list (a GH200 has ten).
    type: int
    default: 10
  mig_mode:
    description: The MIG mode every GPU must be in.
    type: str
    choices: [disabled, enabled]
    default: disabled
  dcgm_diag_level:
    description:
      - Run C(dcgmi diag -r <level> -j) when C(dcgmi) is installed; any C(Fail) fails the check. V(0) disables it.
      - In check mode only level 1, the quick deployment checks, runs.
    type: int
    choices: [0, 1, 2, 3, 4]
    default: 1
  enable_persistence:
    description:
      - Turn persistence mode on (C(nvidia-smi -pm 1), as root) where it is off, reported as a change; the
        verdict is then judged on the GPU after the change. Check mode predicts the change.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reads the same evidence; predicts the persistence change without making it.
  diff_mode:
    support: none
    description: The only change, persistence mode, is reported as a change and in RV(gpu_health.verdicts).
  facts:
    support: full
    description: Sets C(ansible_facts.gh200_gpu_health) (summary and failed checks), which the report shows.
notes:
  - The thresholds come from fleet health tools (NVIDIA DCGM's fatal XIDs, row remapping limits of
    C(dcgmi health)); see the collection README.
seealso:
  - module: gh200.sglang.gpu_facts
  - module: gh200.sglang.check
"""

EXAMPLES = r"""
- name: Judge the health of the host's GPU.
  gh200.sglang.gpu_health:
    expected_gpu_count: 1
  register: health

- name: Check that no volatile uncorrected ECC error was counted.
  gh200.sglang.check:
    phase: phase0
    name: "GPU health: no volatile uncorrected ECC error"
    that: health.gpu_health.verdicts.ecc.ok
    detail: "{{ health.gpu_health.verdicts.ecc.detail }}"
    skip: "{{ health.gpu_health.verdicts.ecc.skip }}"
"""

RETURN = r"""
ansible_facts:
  description: The summary and failed checks, for the report.
  returned: always
  type: dict
  contains:
    gh200_gpu_health:
      description: C({summary, failed}) as in RV(gpu_health).
      type: dict
      returned: always
gpu_health:
  description: The evidence and one verdict per check.
  returned: always
  type: dict
  contains:
    verdicts:
      description:
        - One verdict per check, keyed C(smi), C(count), C(ecc), C(remapped_rows), C(retired_pages), C(xid),
          C(clocks), C(persistence), C(addressing), C(c2c), C(mig), C(dcgm).
        - Each is C({ok, skip, detail}); C(ok) is false when C(skip) gives a reason.
      type: dict
      sample: {"ecc": {"ok": true, "skip": "", "detail": "volatile uncorrected 0; aggregate uncorrected 1, corrected 0 (reported, not failed)"}}
    failed:
      description: The checks that failed, in report order.
      type: list
      elements: str
      sample: [xid]
    summary:
      description: One line about the host's GPUs for the report; empty without a GPU.
      type: str
      sample: "1 x NVIDIA GH200 480GB, driver 550.127.05, CUDA 12.4, Gen4 x1, addressing ATS, C2C Enabled, persistence Enabled, power limit 700.00 W"
    gpus:
      description: The evidence of each GPU (bus id, modes, counters, active clock event reasons).
      type: list
      elements: dict
    kernel_log:
      description: The command the kernel log was read with; empty when it was not read.
      type: str
      sample: journalctl -k
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _gpu, _gpu_health


def query(module, binary):
    """``nvidia-smi -q``: (text, error)."""
    rc, out, err = module.run_command([binary, "-q"])
    error = _gpu.error_text(out, err)
    if rc != 0 or error:
        return None, "nvidia-smi -q failed (rc=%d, %s): %s" % (rc, _gpu_health.exit_cause(rc), error or _gpu.first_line(err, out))
    return out, None


def kernel_log(module, since):
    """The kernel log since ``since`` (epoch): (text, command, error)."""
    source = module.params["kernel_log"]
    errors = []
    journalctl = module.get_bin_path("journalctl") if source in ("auto", "journal") else None
    if journalctl:
        rc, out, err = module.run_command([journalctl, "-k", "--no-pager", "-o", "short-iso", "--since", "@%d" % since])
        if rc == 0 and "No journal files were found" not in out + err:
            return out, "journalctl -k", None
        errors.append("journalctl -k: %s" % _gpu.first_line(err, out))
    elif source == "journal":
        errors.append("journalctl not found")
    dmesg = module.get_bin_path("dmesg") if source in ("auto", "dmesg") else None
    if dmesg:
        rc, out, err = module.run_command([dmesg, "--time-format", "iso"])
        if rc == 0:
            return out, "dmesg", None
        errors.append("dmesg: %s" % _gpu.first_line(err, out))
    elif source == "dmesg":
        errors.append("dmesg not found")
    return None, "", "; ".join(errors) or "no kernel log reader found"


def dcgm(module):
    """``dcgmi diag -r <level> -j``: (text, error)."""
    level = module.params["dcgm_diag_level"]
    if not level:
        return None, None
    if module.check_mode and level > 1:
        return None, "dcgmi diag -r %d not run in check mode" % level
    binary = module.get_bin_path(module.params["dcgmi"])
    if binary is None:
        return None, "%s not installed" % module.params["dcgmi"]
    rc, out, err = module.run_command([binary, "diag", "-r", str(level), "-j"])
    if not out.strip():
        return None, "dcgmi diag -r %d failed (rc=%d): %s" % (level, rc, _gpu.first_line(err))
    return out, None


def gather(module, now):
    """The evidence, and whether persistence mode was (or would be) turned on."""
    params = module.params
    binary = module.get_bin_path(params["nvidia_smi"])
    if binary is None:
        return _gpu_health.evidence_from(smi_missing="%s not found on PATH" % params["nvidia_smi"]), False
    q_text, smi_error = query(module, binary)
    changed = False
    if q_text is not None and params["enable_persistence"]:
        gpus = _gpu_health.parse_query_log(q_text)["gpus"]
        if any(_gpu_health.gpu_evidence(g)["persistence_mode"] != "Enabled" for g in gpus):
            changed = True
            if not module.check_mode:
                rc, out, err = module.run_command([binary, "-pm", "1"])
                if rc != 0:
                    module.fail_json(msg="nvidia-smi -pm 1 failed to enable persistence mode (rc=%d, %s): %s" % (
                        rc, _gpu_health.exit_cause(rc), _gpu.first_line(err, out)))
                q_text, smi_error = query(module, binary)
    c2c_text = None
    if q_text is not None and params["c2c"]:
        _rc, out, err = module.run_command([binary, "c2c", "-s"])
        c2c_text = out + err
    log_text, log_source, log_error = kernel_log(module, now - params["xid_window_minutes"] * 60)
    dcgm_text, dcgm_error = dcgm(module) if q_text is not None else (None, "nvidia-smi failed")
    evidence = _gpu_health.evidence_from(q_text=q_text, smi_error=smi_error, c2c_text=c2c_text, kernel_text=log_text,
                                         kernel_error=log_error, dcgm_text=dcgm_text, dcgm_error=dcgm_error)
    evidence["kernel_log"] = log_source
    return evidence, changed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nvidia_smi=dict(type="str", default="nvidia-smi"),
            dcgmi=dict(type="str", default="dcgmi"),
            expected_gpu_count=dict(type="int", default=1),
            ecc_volatile_uncorrected_max=dict(type="int", default=0),
            remapped_rows_uncorrectable_limit=dict(type="int", default=512),
            xid_window_minutes=dict(type="int", default=120),
            xid_fatal=dict(type="list", elements="int", default=list(_gpu_health.XID_FATAL)),
            xid_warn=dict(type="list", elements="int", default=list(_gpu_health.XID_WARN)),
            kernel_log=dict(type="str", choices=["auto", "journal", "dmesg"], default="auto"),
            clock_events=dict(type="list", elements="str", default=list(_gpu_health.CLOCK_EVENTS)),
            fail_on_clock_events=dict(type="bool", default=False),
            addressing_mode=dict(type="str", default="ATS"),
            c2c=dict(type="bool", default=True),
            c2c_links=dict(type="int", default=10),
            mig_mode=dict(type="str", choices=["disabled", "enabled"], default="disabled"),
            dcgm_diag_level=dict(type="int", choices=[0, 1, 2, 3, 4], default=1),
            enable_persistence=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    now = time.time()
    evidence, changed = gather(module, now)
    items = _gpu_health.judge(evidence, module.params, now)
    if changed and module.check_mode:
        items["persistence"] = {"ok": False, "detail": "",
                                "skip": "check mode: persistence mode would be turned on (nvidia-smi -pm 1)"}
    result = {
        "verdicts": items,
        "failed": [name for name in _gpu_health.ITEMS if not items[name]["ok"] and not items[name]["skip"]],
        "summary": _gpu_health.summary(evidence["gpus"], evidence.get("driver_version"), evidence.get("cuda_version")),
        "gpus": evidence["gpus"],
        "kernel_log": evidence.get("kernel_log", ""),
    }
    facts = {"gh200_gpu_health": {"summary": result["summary"], "failed": result["failed"]}}
    module.exit_json(changed=changed, gpu_health=result, ansible_facts=facts)


if __name__ == "__main__":
    main()
