"""STAND-IN GPU states: the recorded samples (samples/SOURCES.md), each fault one named edit of them.

Used by the unit tests of _gpu_health and, on the gpuhealth scenario's hosts, by standin.py. Nothing here
is used against a real GPU.
"""
import os
import re
import time

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "samples")

# nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version of the recorded GH200 (Hopper is 9.0).
QUERY_GPU = "NVIDIA GH200 480GB, 9.0, 97871, 550.127.05\n"
BANNER = "| NVIDIA-SMI 550.127.05             Driver Version: 550.127.05     CUDA Version: 12.4     |\n"


def sample(name):
    with open(os.path.join(SAMPLES, name)) as handle:
        return handle.read()


def _xid_lines():
    lines = sample("kernel-xid-lines.txt").splitlines()
    return dict((line.split("): ", 1)[1].split(",", 1)[0], line) for line in lines if "Xid" in line)


def kernel_log(entries, now=None):
    """``journalctl -k -o short-iso`` lines for ``[(seconds_ago, message)]``."""
    now = time.time() if now is None else now
    return "".join("%s gh200-standin kernel: %s\n" % (
        time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(now - ago)), message) for ago, message in entries)


def _replace(text, old, new, count=1):
    if old not in text:
        raise ValueError("the recorded sample has no %r" % old)
    return text.replace(old, new, count)


def healthy():
    """The recorded healthy GH200: an application XID 13 half an hour ago and an XID 79 three hours ago
    (outside the default two-hour window), and dcgmi diag passing."""
    xids = _xid_lines()
    return {
        "q": sample("nvidia-smi-q-gh200.txt"),
        "c2c": sample("nvidia-smi-c2c-s-gh200.txt"),
        "dcgm": sample("dcgmi-diag-r1.json"),
        "kernel": [(1800, xids["13"]), (3 * 3600, xids["79"])],
    }


def _edit_q(state, section, key, old, new):
    """Change the first ``key : old`` line after ``section`` (all of -q when section is empty) to ``new``."""
    head, sep, tail = state["q"].partition(section)
    if not sep:
        raise ValueError("the recorded sample has no section %r" % section)
    pattern = re.compile(r"^(\s*%s\s*: )%s$" % (re.escape(key), re.escape(old)), re.MULTILINE)
    edited, count = pattern.subn(lambda m: m.group(1) + new, tail, count=1)
    if not count:
        raise ValueError("the recorded sample has no %r: %r after %r" % (key, old, section))
    state["q"] = head + sep + edited
    return state


def ecc_uncorrected():
    return _edit_q(healthy(), "        Volatile\n", "DRAM Uncorrectable", "0", "2")


def remap_pending():
    return _edit_q(healthy(), "    Remapped Rows\n", "Pending", "No", "Yes")


def remap_failure():
    return _edit_q(healthy(), "    Remapped Rows\n", "Remapping Failure Occurred", "No", "Yes")


def remap_uncorrectable_512():
    return _edit_q(healthy(), "    Remapped Rows\n", "Uncorrectable Error", "1", "512")


def retired_pending():
    """A GPU that retires pages (pre-Hopper style counters) with a retirement pending."""
    return _edit_q(healthy(), "    Retired Pages\n", "Pending Page Blacklist", "N/A", "Yes")


def xid79():
    state = healthy()
    state["kernel"].append((600, _xid_lines()["79"]))
    return state


def xid63():
    state = healthy()
    state["kernel"].append((900, "NVRM: Xid (PCI:0000:dd:00): 63, pid='<unknown>', name=<unknown>, Row Remapper: "
                                 "New row marked for remapping, reset gpu to activate."))
    return state


def hw_slowdown():
    return _edit_q(healthy(), "    Clocks Event Reasons\n", "HW Slowdown", "Not Active", "Active")


def c2c_link_down():
    """Link 3 reports no bandwidth. nvidia-smi's exact text for a down link is in no public recording we
    found; the stand-in prints 'Inactive', and the check fails on anything but a positive bandwidth."""
    state = healthy()
    state["c2c"] = _replace(state["c2c"], "C2C Link 3: 44.712 GB/s", "C2C Link 3: Inactive")
    return state


def no_c2c():
    state = healthy()
    state["c2c"] = "No Devices support C2C.\n"
    return state


def persistence_off():
    return _edit_q(healthy(), "Attached GPUs", "Persistence Mode", "Enabled", "Disabled")


def addressing_hmm():
    return _edit_q(healthy(), "Attached GPUs", "Addressing Mode", "ATS", "HMM")


def mig_enabled():
    return _edit_q(healthy(), "    MIG Mode\n", "Current", "Disabled", "Enabled")


def dcgm_fail():
    state = healthy()
    state["dcgm"] = _replace(state["dcgm"], '{"name" : "Inforom", "results" : [{"status" : "Pass"}]}',
                             '{"name" : "Inforom", "results" : [{"status" : "Fail"}]}')
    return state


def several():
    """Five faults at once, each failing its own check: a page retirement pending, HMM addressing, MIG enabled, a
    failed dcgmi diag test and HW Slowdown active (which fails only with fail_on_clock_events; one host of the
    gpuhealth scenario covers the five)."""
    state = _edit_q(healthy(), "    Retired Pages\n", "Pending Page Blacklist", "N/A", "Yes")
    state = _edit_q(state, "    Clocks Event Reasons\n", "HW Slowdown", "Not Active", "Active")
    state = _edit_q(state, "Attached GPUs", "Addressing Mode", "ATS", "HMM")
    state = _edit_q(state, "    MIG Mode\n", "Current", "Disabled", "Enabled")
    state["dcgm"] = _replace(state["dcgm"], '{"name" : "Inforom", "results" : [{"status" : "Pass"}]}',
                             '{"name" : "Inforom", "results" : [{"status" : "Fail"}]}')
    return state


def hung():
    """A GPU stuck in the driver: every nvidia-smi call blocks (the stand-in sleeps until it is killed)."""
    state = healthy()
    state["hang"] = ("nvidia-smi",)
    return state


STATES = dict((f.__name__, f) for f in (
    healthy, ecc_uncorrected, remap_pending, remap_failure, remap_uncorrectable_512, retired_pending, xid79, xid63,
    hw_slowdown, c2c_link_down, no_c2c, persistence_off, addressing_hmm, mig_enabled, dcgm_fail, several, hung))
