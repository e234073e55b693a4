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
    M(gh200.sglang.checks) to record in one task. The evidence comes from C(nvidia-smi -q) (memory errors, clock event
    reasons, persistence, addressing, C2C and MIG modes of every GPU), C(nvidia-smi c2c -s), the kernel log
    (XID lines) and, when installed, C(dcgmi diag).
  - Each verdict is C({ok, skip, detail, warning}). A host that expects no GPU (O(gpu_expected=false)) and has no
    C(nvidia-smi) has every verdict skipped with the reason C(no GPU). A host that expects one fails the C(smi) and
    C(count) checks instead. Evidence that could not be read (an unreadable kernel log, no C(dcgmi)) is skipped
    with its reason, never passed, unless its item is in O(required), which fails it.
  - Every command has a time limit (O(timeout), O(dcgm_timeout)). A tool that hangs, as C(nvidia-smi) does on a
    GPU stuck in the driver, gives C(<tool> did not answer in N s) within the limit and a few seconds.
  - >-
    C(nvidia-smi) that fails fails the C(smi) check, naming its exit code's cause (9: driver not loaded,
    12: NVML missing, 14: InfoROM corrupted, 15: GPU fell off the bus).
  - Aggregate uncorrected ECC counts, active clock event reasons, warning XIDs and C(dcgmi) warnings are
    C(warning) verdicts, shown and counted in the report, never failed. PCIe width and power limits are reported
    only. Healthy GH200s show non-zero aggregate counts, PCIe Gen4 x1 and a power limit below the default.
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
  gpu_expected:
    description:
      - Whether the host must have a GPU. V(true) (a GH200) fails C(smi) and C(count) when C(nvidia-smi) is
        missing or fails; V(false) (a dry-run host) records every check skipped with C(no GPU).
    type: bool
    default: true
  required:
    description:
      - Items whose own tool must answer. A required C(xid) fails when the kernel log cannot be read; a required
        C(dcgm) fails when C(dcgmi) is missing or fails. Items not listed are skipped with the reason instead.
    type: list
    elements: str
    choices: [xid, dcgm]
    default: [xid]
  timeout:
    description: Seconds each C(nvidia-smi), C(journalctl) or C(dmesg) call may take.
    type: float
    default: 60
  dcgm_timeout:
    description: Seconds C(dcgmi diag) may take (level 1 takes about a minute; level 3 up to half an hour).
    type: float
    default: 300
  skip_reason:
    description:
      - When not empty, nothing is run and every verdict is skipped with this reason (the gate turned off by an
        option), so the checks are recorded, never left out.
    type: str
    default: ""
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

- name: Record one check per item of the gate.
  gh200.sglang.checks:
    phase: phase0
    results: "{{ health.gpu_health.checks }}"
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
        - Each is C({ok, skip, detail, warning}); C(ok) is false when C(skip) gives a reason.
      type: dict
      sample: {"ecc": {"ok": true, "skip": "", "warning": "aggregate uncorrected ECC errors on 00000000:DD:00.0: 1",
                       "detail": "volatile uncorrected 0; aggregate uncorrected 1, corrected 0 (reported, not failed)"}}
    checks:
      description: The verdicts as check records in report order, for M(gh200.sglang.checks).
      type: list
      elements: dict
      sample: [{"key": "smi", "name": "GPU health: nvidia-smi answers", "status": "passed",
                "detail": "nvidia-smi -q answered for 1 GPU(s)"}]
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

from ansible_collections.gh200.sglang.plugins.module_utils import _gpu, _gpu_health, _proc


def call(module, argv, limit=None):
    """(rc, out, err) of one bounded command; a time-out is rc None with the one line in err."""
    try:
        return _proc.run(argv, module.params["timeout"] if limit is None else limit)
    except _proc.Timeout as exc:
        return None, "", str(exc)
    except OSError as exc:
        return 127, "", "%s: %s" % (argv[0], exc)


def query(module, binary):
    """``nvidia-smi -q``: (text, error)."""
    rc, out, err = call(module, [binary, "-q"])
    if rc is None:
        return None, err
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
        rc, out, err = call(module, [journalctl, "-k", "--no-pager", "-o", "short-iso", "--since", "@%d" % since])
        if rc == 0 and "No journal files were found" not in out + err:
            return out, "journalctl -k", None
        errors.append(err if rc is None else "journalctl -k: %s" % _gpu.first_line(err, out))
    elif source == "journal":
        errors.append("journalctl not found")
    dmesg = module.get_bin_path("dmesg") if source in ("auto", "dmesg") else None
    if dmesg:
        rc, out, err = call(module, [dmesg, "--time-format", "iso"])
        if rc == 0:
            return out, "dmesg", None
        errors.append(err if rc is None else "dmesg: %s" % _gpu.first_line(err, out))
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
    rc, out, err = call(module, [binary, "diag", "-r", str(level), "-j"], module.params["dcgm_timeout"])
    if rc is None:
        return None, err
    if not out.strip():
        return None, "dcgmi diag -r %d failed (rc=%d): %s" % (level, rc, _gpu.first_line(err))
    return out, None


def gather(module, now):
    """The evidence, and whether persistence mode was (or would be) turned on."""
    params = module.params
    binary = module.get_bin_path(params["nvidia_smi"])
    since = now - params["xid_window_minutes"] * 60
    if binary is None:
        missing = "%s not found on PATH" % params["nvidia_smi"]
        if not params["gpu_expected"]:
            return _gpu_health.evidence_from(smi_missing=missing), False
        # A GPU is expected: the kernel log still says why the driver or the GPU is gone (XID 79, ...).
        log_text, log_source, log_error = kernel_log(module, since)
        evidence = _gpu_health.evidence_from(smi_missing=missing, kernel_text=log_text, kernel_error=log_error,
                                             dcgm_error="nvidia-smi failed")
        evidence["kernel_log"] = log_source
        return evidence, False
    q_text, smi_error = query(module, binary)
    changed = False
    if q_text is not None and params["enable_persistence"]:
        gpus = _gpu_health.parse_query_log(q_text)["gpus"]
        if any(_gpu_health.gpu_evidence(g)["persistence_mode"] != "Enabled" for g in gpus):
            changed = True
            if not module.check_mode:
                rc, out, err = call(module, [binary, "-pm", "1"])
                if rc != 0:
                    module.fail_json(msg="nvidia-smi -pm 1 failed to enable persistence mode (%s): %s" % (
                        err if rc is None else "rc=%d, %s" % (rc, _gpu_health.exit_cause(rc)), _gpu.first_line(err, out)))
                q_text, smi_error = query(module, binary)
    c2c_text = None
    if q_text is not None and params["c2c"]:
        rc, out, err = call(module, [binary, "c2c", "-s"])
        c2c_text = None if rc is None else out + err
    log_text, log_source, log_error = kernel_log(module, since)
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
            gpu_expected=dict(type="bool", default=True),
            required=dict(type="list", elements="str", choices=list(_gpu_health.TOOL_ITEMS),
                          default=list(_gpu_health.REQUIRED)),
            timeout=dict(type="float", default=60),
            dcgm_timeout=dict(type="float", default=300),
            skip_reason=dict(type="str", default=""),
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
    for name in ("timeout", "dcgm_timeout"):
        try:
            _proc.check_timeout(name, module.params[name])
        except ValueError as exc:
            module.fail_json(msg="gpu_health: %s" % exc)
    now = time.time()
    if module.params["skip_reason"].strip():
        evidence, changed = _gpu_health.evidence_from(), False
        items = _gpu_health.skip_all(module.params["skip_reason"].strip())
    else:
        evidence, changed = gather(module, now)
        items = _gpu_health.judge(evidence, module.params, now)
    if changed and module.check_mode:
        items["persistence"] = {"ok": False, "detail": "", "warning": "",
                                "skip": "check mode: persistence mode would be turned on (nvidia-smi -pm 1)"}
    result = {
        "verdicts": items,
        "checks": _gpu_health.checks(items),
        "failed": [name for name in _gpu_health.ITEMS if not items[name]["ok"] and not items[name]["skip"]],
        "summary": _gpu_health.summary(evidence["gpus"], evidence.get("driver_version"), evidence.get("cuda_version")),
        "gpus": evidence["gpus"],
        "kernel_log": evidence.get("kernel_log", ""),
    }
    facts = {"gh200_gpu_health": {"summary": result["summary"], "failed": result["failed"]}}
    module.exit_json(changed=changed, gpu_health=result, ansible_facts=facts)


if __name__ == "__main__":
    main()
