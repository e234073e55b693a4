# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU health evidence and verdicts: pure parsers of nvidia-smi, kernel-log and dcgmi output (private).

The evidence comes from one ``nvidia-smi -q`` (ECC, row remapping, retired pages, clock event reasons,
persistence, addressing, C2C and MIG modes, for every GPU), ``nvidia-smi c2c -s`` (the C2C links), the
kernel log (XID lines) and ``dcgmi diag -r <level> -j``. :func:`judge` turns it into one verdict per check:
``{"ok": bool, "skip": reason or "", "detail": evidence}``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import json
import re

from ansible_collections.gh200.sglang.plugins.module_utils import _gpu

# nvidia-smi(1), RETURN VALUE.
EXIT_CAUSES = {
    2: "an invalid argument or flag",
    3: "the requested operation is not available on the target device",
    4: "the user does not have permission to run the query",
    6: "a query to find an object was unsuccessful",
    8: "the device's external power cables are not attached",
    9: "the NVIDIA driver is not loaded",
    10: "the NVIDIA kernel detected an interrupt issue with a GPU",
    12: "the NVML shared library could not be found or loaded",
    13: "the local NVML does not implement this function",
    14: "the GPU's InfoROM is corrupted",
    15: "the GPU has fallen off the bus or has otherwise become inaccessible",
    255: "another error or an internal driver error",
}

# DCGM's fatal XID set; 63 and 94 (row remapping, contained ECC) are warnings. Operators disagree on 63 and 92,
# so both sets are options.
XID_FATAL = (48, 64, 74, 79, 95, 119, 120, 140)
XID_WARN = (63, 94)

# Clock event reasons that mean the GPU is held back by hardware or heat.
CLOCK_EVENTS = ("HW Slowdown", "HW Thermal Slowdown", "HW Power Brake Slowdown", "SW Thermal Slowdown")
# The checks that need nvidia-smi's answer about each GPU.
GPU_ITEMS = ("ecc", "remapped_rows", "retired_pages", "clocks", "persistence", "addressing", "c2c", "mig")
_CLOCK_SECTIONS = ("Clocks Event Reasons", "Clocks Throttle Reasons")  # the second on drivers before 535

# The order of the checks in the report.
ITEMS = ("smi", "count", "ecc", "remapped_rows", "retired_pages", "xid", "clocks", "persistence",
         "addressing", "c2c", "mig", "dcgm")
# The name each item's check has in the report.
NAMES = {
    "smi": "GPU health: nvidia-smi answers",
    "count": "GPU health: the GPU count is as expected",
    "ecc": "GPU health: no volatile uncorrected ECC error",
    "remapped_rows": "GPU health: no pending or failed row remap, uncorrectable remaps under the limit",
    "retired_pages": "GPU health: no page retirement pending",
    "xid": "GPU health: no fatal XID in the kernel log",
    "clocks": "GPU health: clock event reasons",
    "persistence": "GPU health: persistence mode enabled",
    "addressing": "GPU health: addressing mode",
    "c2c": "GPU health: C2C enabled with every link reporting a bandwidth",
    "mig": "GPU health: MIG mode as expected",
    "dcgm": "GPU health: dcgmi diag passes",
}
# What an operator does about a failed item (the report groups hosts by it), as GPU health daemons attach a
# resolution to each XID; the most severe first.
INSPECT = "drain the host and inspect the hardware (reseat, cables, cooling; RMA when it recurs)"
REBOOT = "reboot the host, then run phase 0 again"
RESET_GPU = "reset the GPU with no process on it (nvidia-smi -r -i <gpu>), then run phase 0 again"
RESTART_APP = "restart the workload on the GPU; reset the GPU when the XID recurs"
SEVERITY = (INSPECT, REBOOT, RESET_GPU, RESTART_APP)
ACTIONS = {
    "smi": REBOOT + "; when nvidia-smi still does not answer, " + INSPECT,
    "count": REBOOT + "; when a GPU is still missing, " + INSPECT,
    "ecc": RESET_GPU + "; when the error recurs, " + INSPECT,
    "remapped_rows": RESET_GPU + " (it applies a pending remap); a failed remap or remaps over the limit: " + INSPECT,
    "retired_pages": RESET_GPU + " (it retires the pending pages)",
    "clocks": "check the host's cooling and power: the GPU is held back by a hardware slowdown",
    "persistence": "turn persistence mode on: run phase 0 with -e host_prep_gpu_enable_persistence=true (needs root)",
    "addressing": "set the driver's addressing mode the inventory expects (host_prep_gpu_addressing_mode), then " + REBOOT,
    "c2c": REBOOT + "; when a C2C link still reports no bandwidth, " + INSPECT,
    "mig": "set the MIG mode the inventory expects (nvidia-smi -mig 0|1 -i <gpu>), then " + RESET_GPU,
    "dcgm": "run dcgmi diag -r 3 on the host and follow the failed test's guidance; when a test fails again, " + INSPECT,
}
# The resolution of each fatal or warned XID (NVIDIA's XID catalog); an XID not listed here is looked up there.
XID_ACTIONS = {48: RESET_GPU, 63: RESET_GPU, 64: RESET_GPU, 74: RESET_GPU, 79: INSPECT, 94: RESTART_APP, 95: RESET_GPU,
               119: RESET_GPU, 120: RESET_GPU, 140: RESET_GPU}
_FATAL_CODES = re.compile(r"fatal XID ([\d, ]+)")


def action(item, detail=""):
    """What to do about a failed item; for XIDs, the most severe resolution of the fatal codes its detail names."""
    if item != "xid":
        return ACTIONS.get(item, "")
    match = _FATAL_CODES.search(detail or "")
    codes = [int(c) for c in match.group(1).replace(" ", "").split(",") if c] if match else []
    found = [XID_ACTIONS[c] for c in codes if c in XID_ACTIONS]
    unknown = [c for c in codes if c not in XID_ACTIONS]
    if found:
        return min(found, key=SEVERITY.index)
    if unknown:
        return "look XID %s up in NVIDIA's XID catalog; until then, %s" % (", ".join(str(c) for c in unknown), INSPECT)
    return "read the XID lines in the kernel log (dmesg) and look each code up in NVIDIA's XID catalog"


# The items whose evidence comes from a tool of its own besides nvidia-smi: when such an item is required and
# its tool is missing or fails, the check fails instead of being skipped.
TOOL_ITEMS = ("xid", "dcgm")
# Required by default: the kernel log (it needs no extra package); dcgmi diag only where DCGM is installed.
REQUIRED = ("xid",)

_NA = _gpu.MISSING + ("None",)
_LINE = re.compile(r"^( *)(\S.*?)(?:\s+:\s?(.*))?$")  # "Key<spaces>: value"; "GPU 0000:DD:00.0" is a key
_XID = re.compile(r"NVRM: Xid \(([^)]*)\): (\d+)")
_ISO = re.compile(r"^\[?(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,]\d+)?([+-]\d\d:?\d\d|Z)?")
_C2C_GPU = re.compile(r"^GPU (\d+): (.*?)(?: \(UUID: [^)]*\))?$")
_C2C_LINK = re.compile(r"^C2C Link (\d+): (.*)$")
_GBPS = re.compile(r"^(\d+(?:\.\d+)?) GB/s$")


def exit_cause(rc):
    """What nvidia-smi's exit code says, for the failure line."""
    return EXIT_CAUSES.get(rc, "exit code %d" % rc)


def parse_query_log(text):
    """Parse ``nvidia-smi -q`` into ``{driver_version, cuda_version, gpus: [{bus_id, fields}]}``.

    ``fields`` maps a slash-joined path of the indented keys to its value, for example
    ``"Remapped Rows/Pending": "No"`` and ``"Clocks Event Reasons/HW Slowdown/HW Thermal Slowdown"``.
    """
    top, gpus, stack = {}, [], []
    for raw in (text or "").splitlines():
        if not raw.strip() or raw.startswith("="):
            continue
        match = _LINE.match(raw.rstrip())
        indent, key, value = len(match.group(1)), match.group(2).strip(), match.group(3)
        if indent == 0:
            stack = []
            if key.startswith("GPU ") and value is None:
                gpus.append({"bus_id": key[4:].strip(), "fields": {}})
            else:
                top[key] = (value or "").strip()
            continue
        if not gpus:
            continue
        stack = [(i, k) for i, k in stack if i < indent]
        path = "/".join([k for _i, k in stack] + [key])
        if value is not None:
            gpus[-1]["fields"][path] = value.strip()
        stack.append((indent, key))
    return {"driver_version": top.get("Driver Version"), "cuda_version": top.get("CUDA Version"), "gpus": gpus}


def _count(value):
    """An integer counter, or None when nvidia-smi reports it missing."""
    if value is None or value.strip() in _NA:
        return None
    match = re.match(r"^(\d+)", value.strip())
    return int(match.group(1)) if match else None


def _flag(value):
    """'Yes'/'No' -> True/False; None when not reported."""
    if value is None or value.strip() in _NA:
        return None
    return value.strip().lower() in ("yes", "true", "1", "active")


def _ecc_sum(fields, kind, word, older):
    """Sum of the ``kind`` ('Volatile' or 'Aggregate') ECC counters whose name has ``word`` ('Uncorrectable',
    'Correctable'; Hopper and newer drivers), else ``<older>/Total`` ('Double Bit', 'Single Bit'; older
    drivers). None when not reported."""
    prefix = "ECC Errors/%s/" % kind
    values = [_count(v) for k, v in fields.items()
              if k.startswith(prefix) and "/" not in k[len(prefix):] and word in k[len(prefix):]]
    if not values:
        values = [_count(fields.get("%s%s/Total" % (prefix, older)))]
    values = [v for v in values if v is not None]
    return sum(values) if values else None


def gpu_evidence(gpu):
    """The health evidence of one GPU of :func:`parse_query_log`."""
    fields = gpu["fields"]
    clocks = {}
    for section in _CLOCK_SECTIONS:
        for key, value in fields.items():
            if key.startswith(section + "/"):
                clocks[key.rsplit("/", 1)[-1]] = value
    retired = [v for k, v in fields.items() if k.startswith("Retired Pages/Pending")]
    return {
        "bus_id": gpu["bus_id"],
        "name": fields.get("Product Name"),
        "persistence_mode": fields.get("Persistence Mode"),
        "addressing_mode": fields.get("Addressing Mode"),
        "mig_mode": fields.get("MIG Mode/Current"),
        "c2c_mode": fields.get("GPU C2C Mode"),
        "ecc_mode": fields.get("ECC Mode/Current"),
        "ecc_volatile_uncorrected": _ecc_sum(fields, "Volatile", "Uncorrectable", "Double Bit"),
        "ecc_aggregate_uncorrected": _ecc_sum(fields, "Aggregate", "Uncorrectable", "Double Bit"),
        "ecc_aggregate_corrected": _ecc_sum(fields, "Aggregate", " Correctable", "Single Bit"),
        "remapped_rows": {
            "correctable": _count(fields.get("Remapped Rows/Correctable Error")),
            "uncorrectable": _count(fields.get("Remapped Rows/Uncorrectable Error")),
            "pending": _flag(fields.get("Remapped Rows/Pending")),
            "failure": _flag(fields.get("Remapped Rows/Remapping Failure Occurred")),
        },
        "retired_pages_pending": _flag(retired[0]) if retired else None,
        "clock_events": dict((k, v) for k, v in clocks.items() if v.strip() == "Active"),
        "pcie": "Gen%s x%s" % (fields.get("PCI/GPU Link Info/PCIe Generation/Current", "?"),
                               (fields.get("PCI/GPU Link Info/Link Width/Current") or "?").rstrip("x")),
        "power_limit": fields.get("GPU Power Readings/Current Power Limit")
        or fields.get("Power Readings/Power Limit"),
    }


def parse_c2c(text):
    """Parse ``nvidia-smi c2c -s``: ``{"gpus": [{index, name, links: [{link, gbps, raw}]}], "message": str}``.

    ``gbps`` is None for a link that reports no bandwidth. ``message`` is any line that is neither a GPU
    nor a link (for example ``No Devices support C2C.``).
    """
    gpus, other = [], []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        gpu = _C2C_GPU.match(line)
        link = _C2C_LINK.match(line)
        if gpu:
            gpus.append({"index": int(gpu.group(1)), "name": gpu.group(2), "links": []})
        elif link and gpus:
            speed = _GBPS.match(link.group(2).strip())
            gpus[-1]["links"].append({"link": int(link.group(1)), "raw": link.group(2).strip(),
                                      "gbps": float(speed.group(1)) if speed else None})
        else:
            other.append(line)
    return {"gpus": gpus, "message": other[0] if other else ""}


def line_epoch(line):
    """Seconds since the epoch of an ISO 8601 log line (``dmesg --time-format iso``, ``journalctl -o
    short-iso``); None when the line has no such time."""
    match = _ISO.match(line.strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    epoch = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    zone = match.group(7)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        epoch -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return epoch


def parse_kernel_log(text):
    """XID events of a kernel log: ``[{xid, pci, epoch, line}]``; epoch None when the line has no time."""
    events = []
    for raw in (text or "").splitlines():
        match = _XID.search(raw)
        if match:
            events.append({"xid": int(match.group(2)), "pci": match.group(1), "epoch": line_epoch(raw),
                           "line": raw.strip()})
    return events


def parse_dcgm_diag(text):
    """Results of ``dcgmi diag -j``: ``[{test, status}]`` for every result with a status, whatever the
    DCGM version's nesting. Raises ValueError when the text is not JSON."""
    data = json.loads(text)
    results = []

    def walk(node, test):
        if isinstance(node, dict):
            test = node.get("name", node.get("test_name", test))
            status = node.get("status")
            if isinstance(status, str):
                results.append({"test": test, "status": status})
            for value in node.values():
                walk(value, test)
        elif isinstance(node, list):
            for value in node:
                walk(value, test)

    walk(data, None)
    return results


def evidence_from(q_text=None, smi_error=None, smi_missing=None, c2c_text=None, kernel_text=None,
                  kernel_error=None, dcgm_text=None, dcgm_error=None):
    """The evidence :func:`judge` reads, from the raw outputs (None for what was not gathered)."""
    log = parse_query_log(q_text) if q_text is not None else {"gpus": []}
    evidence = {
        "smi_missing": smi_missing,
        "smi_error": smi_error,
        "driver_version": log.get("driver_version"),
        "cuda_version": log.get("cuda_version"),
        "gpus": [gpu_evidence(g) for g in log["gpus"]],
        "c2c": parse_c2c(c2c_text) if c2c_text is not None else None,
        "kernel_log_error": kernel_error,
        "xid_events": parse_kernel_log(kernel_text) if kernel_text is not None else [],
        "dcgm_error": dcgm_error if dcgm_text is not None or dcgm_error else "dcgmi diag did not run",
        "dcgm_results": [],
    }
    if dcgm_text is not None and not dcgm_error:
        try:
            evidence["dcgm_results"] = parse_dcgm_diag(dcgm_text)
        except ValueError:
            evidence["dcgm_error"] = "dcgmi diag gave no JSON: %s" % _gpu.first_line(dcgm_text)
    if q_text is not None and not smi_error and not log["gpus"]:
        evidence["smi_error"] = "nvidia-smi -q listed no GPU: %s" % _gpu.first_line(q_text)
    return evidence


def _item(ok, detail, skip="", warning=""):
    """One item's verdict: ``ok`` (passed), ``skip`` (why it could not be judged) and ``warning`` (reported,
    not failed: shown as the check's own ``warning`` status)."""
    return {"ok": bool(ok) and not skip, "skip": skip, "detail": detail, "warning": warning if ok and not skip else ""}


def status(item):
    """passed, failed, warning or skipped: <reason> for one item (the check plugin's statuses)."""
    if item.get("skip"):
        return "skipped: %s" % item["skip"]
    if not item.get("ok"):
        return "failed"
    return "warning" if item.get("warning") else "passed"


def checks(items):
    """The items as check records for gh200.sglang.checks, in report order: ``[{name, status, detail}]``."""
    out = []
    for key in ITEMS:
        item = items[key]
        detail = item.get("detail") or ""
        if item.get("warning") and item["warning"] not in detail:
            detail = "%s; %s" % (item["warning"], detail) if detail else item["warning"]
        out.append({"key": key, "name": NAMES[key], "status": status(item), "detail": detail})
    return out


def skip_all(reason):
    """Every item skipped with ``reason`` (the gate turned off, or no GPU on a host that expects none)."""
    return dict((name, _item(False, "", skip=reason)) for name in ITEMS)


def require(items, required, missing_tools):
    """Items in ``required`` that were skipped because their tool is missing or failed become failures."""
    items = dict(items)
    for key in required:
        if key in missing_tools and items.get(key, {}).get("skip"):
            items[key] = _item(False, "required (%s): %s" % (key, items[key]["skip"]))
    return items


def _offenders(gpus, predicate, describe):
    return ["%s: %s" % (g["bus_id"], describe(g)) for g in gpus if predicate(g)]


def _mode_item(gpus, key, expected, label):
    """Every GPU reports ``key`` equal to ``expected`` (case-insensitive)."""
    values = [(g["bus_id"], g.get(key)) for g in gpus]
    missing = [bus for bus, value in values if value is None or value in _NA]
    wrong = ["%s: %s" % (bus, value) for bus, value in values
             if bus not in missing and value.lower() != expected.lower()]
    if wrong:
        return _item(False, "%s %s, expected %s" % (label, ", ".join(wrong), expected))
    if missing:
        return _item(False, "", skip="%s not reported by nvidia-smi on %s" % (label, ", ".join(missing)))
    return _item(True, "%s %s on %d GPU(s)" % (label, expected, len(gpus)))


def judge_xid(events, now, window_s, fatal, warn):
    """The XID verdict over the events inside the window (an event without a time counts as inside)."""
    recent = [e for e in events if e["epoch"] is None or now - e["epoch"] <= window_s]
    hours = "%g h" % (window_s / 3600.0)
    if not recent:
        older = len(events)
        return _item(True, "no XID in the last %s%s" % (hours, " (%d older)" % older if older else ""))
    bad = [e for e in recent if e["xid"] in fatal]
    warned = [e for e in recent if e["xid"] in warn]
    others = sorted(set(e["xid"] for e in recent) - set(fatal) - set(warn))
    parts = []
    if bad:
        codes = ", ".join(str(x) for x in sorted(set(e["xid"] for e in bad)))
        parts.append("fatal XID %s, first: %s" % (codes, bad[0]["line"]))
    if warned:
        parts.append("warning: XID %s" % ", ".join(str(x) for x in sorted(set(e["xid"] for e in warned))))
    if others:
        parts.append("reported: XID %s" % ", ".join(str(x) for x in others))
    warning = "warning XID %s" % ", ".join(str(x) for x in sorted(set(e["xid"] for e in warned))) if warned else ""
    return _item(not bad, "%s (last %s)" % ("; ".join(parts), hours), warning=warning)


def judge_dcgm(results, level):
    failed = [r["test"] or "unnamed test" for r in results if r["status"].lower() == "fail"]
    warned = [r["test"] or "unnamed test" for r in results if r["status"].lower() == "warn"]
    if failed:
        return _item(False, "dcgmi diag -r %d failed: %s" % (level, ", ".join(failed)))
    if not results:
        return _item(False, "dcgmi diag -r %d reported no test result" % level)
    detail = "dcgmi diag -r %d: %d result(s), none failed" % (level, len(results))
    return _item(True, detail + ("; warnings: %s" % ", ".join(warned) if warned else ""),
                 warning="dcgmi diag warned: %s" % ", ".join(warned) if warned else "")


def judge_c2c(gpus, c2c, min_links):
    """C2C mode enabled on every GPU and every link of ``nvidia-smi c2c -s`` reporting a bandwidth."""
    disabled = ["%s: %s" % (g["bus_id"], g["c2c_mode"]) for g in gpus if (g.get("c2c_mode") or "").lower() != "enabled"]
    if disabled:
        return _item(False, "C2C mode not enabled: %s" % ", ".join(disabled))
    if c2c is None:
        return _item(False, "nvidia-smi c2c -s gave no answer")
    if not c2c["gpus"]:
        return _item(False, "nvidia-smi c2c -s: %s" % (c2c["message"] or "no GPU listed"))
    problems, summary = [], []
    for gpu in c2c["gpus"]:
        down = [link for link in gpu["links"] if not link["gbps"]]
        if down:
            problems.append("GPU %d link(s) %s report no bandwidth (%s)" % (
                gpu["index"], ", ".join(str(link["link"]) for link in down), down[0]["raw"]))
        if len(gpu["links"]) < min_links:
            problems.append("GPU %d lists %d C2C link(s), expected %d" % (gpu["index"], len(gpu["links"]), min_links))
        total = sum(link["gbps"] or 0 for link in gpu["links"])
        summary.append("GPU %d: %d link(s), %.1f GB/s" % (gpu["index"], len(gpu["links"]), total))
    return _item(not problems, "; ".join(problems or summary))


def judge(evidence, options, now):
    """One verdict per item of :data:`ITEMS` from the gathered ``evidence``.

    evidence: ``{smi_missing, smi_error, gpus, c2c, kernel_log_error, xid_events, dcgm_error, dcgm_results}``
    (see the gpu_health module); options: the module's thresholds.
    """
    expected_gpu = options.get("gpu_expected", True)
    if evidence.get("smi_missing") and not expected_gpu:
        return skip_all("no GPU (%s)" % evidence["smi_missing"])
    items = {}
    gpus = evidence.get("gpus") or []
    error = evidence.get("smi_error")
    if evidence.get("smi_missing"):
        error = "%s, and this host is expected to have a GPU (gh200_gpu_expected)" % evidence["smi_missing"]
    items["smi"] = _item(not error, error or "nvidia-smi -q answered for %d GPU(s)" % len(gpus))
    expected = options["expected_gpu_count"]
    if error and expected_gpu:
        items["count"] = _item(False, "no GPU listed (nvidia-smi failed); expected %d" % expected)
    elif error:
        items["count"] = _item(False, "", skip="nvidia-smi failed")
    else:
        items["count"] = _item(len(gpus) == expected, "%d GPU(s): %s; expected %d" % (
            len(gpus), ", ".join("%s %s" % (g["bus_id"], g["name"]) for g in gpus) or "none", expected))
    if gpus and not error:
        items.update(_judge_gpus(gpus, options))
        items["c2c"] = judge_c2c(gpus, evidence.get("c2c"), options["c2c_links"]) if options["c2c"] else _item(
            False, "", skip="not required (c2c=false)")
    else:
        reason = "nvidia-smi failed" if error else "nvidia-smi listed no GPU"
        items.update((name, _item(False, "", skip=reason)) for name in GPU_ITEMS)
    if evidence.get("kernel_log_error"):
        items["xid"] = _item(False, "", skip="kernel log not readable: %s" % evidence["kernel_log_error"])
    else:
        items["xid"] = judge_xid(evidence.get("xid_events") or [], now, options["xid_window_minutes"] * 60,
                                 options["xid_fatal"], options["xid_warn"])
    level = options["dcgm_diag_level"]
    if not level:
        items["dcgm"] = _item(False, "", skip="dcgmi diag disabled (level 0)")
    elif evidence.get("dcgm_error"):
        items["dcgm"] = _item(False, "", skip=evidence["dcgm_error"])
    else:
        items["dcgm"] = judge_dcgm(evidence.get("dcgm_results") or [], level)
    if not error:
        items = require(items, options.get("required", REQUIRED), tool_skips(evidence, level))
    return items


def tool_skips(evidence, dcgm_level):
    """The items of :data:`TOOL_ITEMS` whose tool was missing or failed (their skip is then a tool's absence);
    dcgmi turned off (level 0) is a choice, not a missing tool."""
    skips = ["xid"] if evidence.get("kernel_log_error") else []
    return skips + (["dcgm"] if dcgm_level and evidence.get("dcgm_error") else [])


def _judge_gpus(gpus, options):
    items = {}
    volatile = [g["ecc_volatile_uncorrected"] for g in gpus]
    aggregate = "aggregate uncorrected %s, corrected %s (reported, not failed)" % (
        "/".join(str(g["ecc_aggregate_uncorrected"]) for g in gpus),
        "/".join(str(g["ecc_aggregate_corrected"]) for g in gpus))
    if any(v is None for v in volatile):
        items["ecc"] = _item(False, "", skip="volatile ECC counters not reported (ECC mode %s)" % "/".join(
            str(g["ecc_mode"]) for g in gpus))
    else:
        bad = _offenders(gpus, lambda g: g["ecc_volatile_uncorrected"] > options["ecc_volatile_uncorrected_max"],
                         lambda g: "%d volatile uncorrected" % g["ecc_volatile_uncorrected"])
        seen = [g for g in gpus if (g["ecc_aggregate_uncorrected"] or 0) > 0]
        warning = "aggregate uncorrected ECC errors on %s" % ", ".join(
            "%s: %d" % (g["bus_id"], g["ecc_aggregate_uncorrected"]) for g in seen) if seen else ""
        items["ecc"] = _item(not bad, "; ".join(bad + [aggregate]) if bad else "volatile uncorrected 0; " + aggregate,
                             warning=warning)

    limit = options["remapped_rows_uncorrectable_limit"]
    rows = [(g["bus_id"], g["remapped_rows"]) for g in gpus]
    if all(r["pending"] is None and r["failure"] is None and r["uncorrectable"] is None for _b, r in rows):
        items["remapped_rows"] = _item(False, "", skip="row remapping not reported by this GPU")
    else:
        bad = []
        for bus, r in rows:
            if r["pending"]:
                bad.append("%s: remap pending (reset the GPU)" % bus)
            if r["failure"]:
                bad.append("%s: a remapping failure occurred" % bus)
            if (r["uncorrectable"] or 0) >= limit:
                bad.append("%s: %d uncorrectable remapped rows (limit %d)" % (bus, r["uncorrectable"], limit))
        items["remapped_rows"] = _item(not bad, "; ".join(bad) if bad else "none pending or failed; remapped %s" % (
            ", ".join("%s correctable %s, uncorrectable %s" % (b, r["correctable"], r["uncorrectable"]) for b, r in rows)))

    pending = [(g["bus_id"], g["retired_pages_pending"]) for g in gpus]
    if all(p is None for _b, p in pending):
        items["retired_pages"] = _item(False, "", skip="retired pages not reported by this GPU (it remaps rows)")
    else:
        bad = ["%s: page retirement pending" % b for b, p in pending if p]
        items["retired_pages"] = _item(not bad, "; ".join(bad) or "no page retirement pending")

    watched = options["clock_events"]
    active = ["%s: %s" % (g["bus_id"], ", ".join(sorted(k for k in g["clock_events"] if k in watched)))
              for g in gpus if any(k in watched for k in g["clock_events"])]
    items["clocks"] = _item(not (active and options["fail_on_clock_events"]),
                            ("active: " + "; ".join(active)) if active else "none of %s active" % ", ".join(watched),
                            warning="clock events active" if active else "")

    items["persistence"] = _mode_item(gpus, "persistence_mode", "Enabled", "persistence mode")
    if options["addressing_mode"]:
        items["addressing"] = _mode_item(gpus, "addressing_mode", options["addressing_mode"], "addressing mode")
    else:
        items["addressing"] = _item(False, "", skip="not required (addressing_mode is empty)")
    mig = options["mig_mode"]
    unsupported = [g for g in gpus if (g.get("mig_mode") or "N/A") in _NA]
    if unsupported and mig == "disabled" and len(unsupported) == len(gpus):
        items["mig"] = _item(True, "MIG not supported, so disabled")
    else:
        items["mig"] = _mode_item(gpus, "mig_mode", mig.capitalize(), "MIG mode")
    return items


def summary(gpus, driver_version, cuda_version):
    """One line per host for the report: name, count, driver, and the GH200 specifics."""
    if not gpus:
        return ""
    first = gpus[0]
    return "%d x %s, driver %s, CUDA %s, %s, addressing %s, C2C %s, persistence %s, power limit %s" % (
        len(gpus), first["name"], driver_version, cuda_version, first["pcie"], first["addressing_mode"],
        first["c2c_mode"], first["persistence_mode"], first["power_limit"])
