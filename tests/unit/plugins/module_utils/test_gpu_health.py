"""_gpu_health on recorded GPU outputs (tests/testbed/gpu/samples, sources in SOURCES.md): the healthy GH200
passes every check, and each fault fails exactly the check that watches it."""
import os
import sys

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _gpu_health as gh

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "testbed", "gpu"))
import faults  # noqa: E402  pylint: disable=wrong-import-position

NOW = 1_790_000_000

OPTIONS = {
    "expected_gpu_count": 1,
    "ecc_volatile_uncorrected_max": 0,
    "remapped_rows_uncorrectable_limit": 512,
    "xid_window_minutes": 120,
    "xid_fatal": list(gh.XID_FATAL),
    "xid_warn": list(gh.XID_WARN),
    "clock_events": list(gh.CLOCK_EVENTS),
    "fail_on_clock_events": False,
    "addressing_mode": "ATS",
    "c2c": True,
    "c2c_links": 10,
    "mig_mode": "disabled",
    "dcgm_diag_level": 1,
}


def verdicts(state, **options):
    evidence = gh.evidence_from(q_text=state["q"], c2c_text=state["c2c"],
                                kernel_text=faults.kernel_log(state["kernel"], now=NOW), dcgm_text=state["dcgm"])
    return gh.judge(evidence, dict(OPTIONS, **options), NOW)


def failed(items):
    return sorted(name for name, item in items.items() if not item["ok"] and not item["skip"])


def test_the_recorded_healthy_gh200_passes_every_check():
    items = verdicts(faults.healthy())
    assert sorted(items) == sorted(gh.ITEMS)
    assert failed(items) == []
    assert items["retired_pages"]["skip"] == "retired pages not reported by this GPU (it remaps rows)"
    passed = sorted(name for name, item in items.items() if item["ok"])
    assert passed == sorted(set(gh.ITEMS) - {"retired_pages"})
    assert items["c2c"]["detail"] == "GPU 0: 10 link(s), 447.1 GB/s"
    assert items["xid"]["detail"] == "reported: XID 13 (last 2 h)"
    assert "aggregate uncorrected 1" in items["ecc"]["detail"]  # reported, never failed
    assert items["remapped_rows"]["detail"].endswith("correctable 0, uncorrectable 1")


@pytest.mark.parametrize("state, item, detail", [
    ("ecc_uncorrected", "ecc", "00000000:DD:00.0: 2 volatile uncorrected"),
    ("remap_pending", "remapped_rows", "00000000:DD:00.0: remap pending (reset the GPU)"),
    ("remap_failure", "remapped_rows", "00000000:DD:00.0: a remapping failure occurred"),
    ("remap_uncorrectable_512", "remapped_rows", "00000000:DD:00.0: 512 uncorrectable remapped rows (limit 512)"),
    ("retired_pending", "retired_pages", "00000000:DD:00.0: page retirement pending"),
    ("xid79", "xid", "fatal XID 79, first: "),
    ("c2c_link_down", "c2c", "GPU 0 link(s) 3 report no bandwidth (Inactive)"),
    ("no_c2c", "c2c", "nvidia-smi c2c -s: No Devices support C2C."),
    ("persistence_off", "persistence", "persistence mode 00000000:DD:00.0: Disabled, expected Enabled"),
    ("addressing_hmm", "addressing", "addressing mode 00000000:DD:00.0: HMM, expected ATS"),
    ("mig_enabled", "mig", "MIG mode 00000000:DD:00.0: Enabled, expected Disabled"),
    ("dcgm_fail", "dcgm", "dcgmi diag -r 1 failed: Inforom"),
])
def test_each_fault_fails_exactly_its_check(state, item, detail):
    items = verdicts(faults.STATES[state]())
    assert failed(items) == [item]
    assert detail in items[item]["detail"]


def test_xid_79_names_the_line_and_an_old_one_is_outside_the_window():
    items = verdicts(faults.xid79())
    assert "GPU has fallen off the bus" in items["xid"]["detail"]
    assert failed(verdicts(faults.xid79(), xid_window_minutes=5)) == []
    assert failed(verdicts(faults.healthy(), xid_window_minutes=4 * 60)) == ["xid"]  # the 3-hour-old XID 79


def test_xid_sets_are_options():
    items = verdicts(faults.xid63())
    assert failed(items) == []
    assert items["xid"]["detail"].startswith("warning: XID 63")
    assert failed(verdicts(faults.xid63(), xid_fatal=[63])) == ["xid"]
    assert failed(verdicts(faults.xid79(), xid_fatal=[48])) == []


def test_clock_events_are_reported_and_fail_only_when_asked():
    items = verdicts(faults.hw_slowdown())
    assert items["clocks"]["ok"] and items["clocks"]["detail"] == "active: 00000000:DD:00.0: HW Slowdown"
    assert failed(verdicts(faults.hw_slowdown(), fail_on_clock_events=True)) == ["clocks"]
    assert verdicts(faults.healthy())["clocks"]["detail"].startswith("none of HW Slowdown")


def test_pcie_x1_and_a_power_limit_below_default_never_fail():
    evidence = gh.evidence_from(q_text=faults.healthy()["q"])
    gpu = evidence["gpus"][0]
    assert gpu["pcie"] == "Gen4 x1" and gpu["power_limit"] == "700.00 W"
    line = gh.summary(evidence["gpus"], evidence["driver_version"], evidence["cuda_version"])
    assert line == ("1 x NVIDIA GH200 480GB, driver 550.127.05, CUDA 12.4, Gen4 x1, addressing ATS, C2C Enabled, "
                    "persistence Enabled, power limit 700.00 W")


def test_gpu_count_is_compared_with_the_expected_count():
    items = verdicts(faults.healthy(), expected_gpu_count=2)
    assert failed(items) == ["count"]
    assert items["count"]["detail"] == "1 GPU(s): 00000000:DD:00.0 NVIDIA GH200 480GB; expected 2"


def test_no_nvidia_smi_skips_every_check_as_no_gpu_only_where_no_gpu_is_expected():
    items = gh.judge(gh.evidence_from(smi_missing="nvidia-smi not found on PATH"), dict(OPTIONS, gpu_expected=False), NOW)
    assert set(item["skip"] for item in items.values()) == {"no GPU (nvidia-smi not found on PATH)"}
    assert not any(item["ok"] for item in items.values())


def test_a_host_that_expects_a_gpu_and_has_no_nvidia_smi_fails_the_answer_and_the_count():
    evidence = gh.evidence_from(smi_missing="nvidia-smi not found on PATH", dcgm_error="nvidia-smi failed",
                                kernel_text=faults.kernel_log(faults.xid79()["kernel"], now=NOW))
    items = gh.judge(evidence, OPTIONS, NOW)  # gpu_expected defaults to true
    assert failed(items) == ["count", "smi", "xid"]  # the kernel log still says why: XID 79 (fell off the bus)
    assert items["smi"]["detail"] == ("nvidia-smi not found on PATH, and this host is expected to have a GPU "
                                      "(gh200_gpu_expected)")
    assert items["count"]["detail"] == "no GPU listed (nvidia-smi failed); expected 1"
    assert set(items[name]["skip"] for name in gh.GPU_ITEMS) == {"nvidia-smi failed"}
    assert items["dcgm"]["skip"] == "nvidia-smi failed"


def test_a_required_tool_that_is_missing_fails_its_check_an_optional_one_is_skipped():
    state = faults.healthy()
    evidence = gh.evidence_from(q_text=state["q"], c2c_text=state["c2c"], kernel_error="journalctl -k: Permission denied",
                                dcgm_error="dcgmi not installed")
    items = gh.judge(evidence, OPTIONS, NOW)  # required defaults to xid
    assert failed(items) == ["xid"]
    assert items["xid"]["detail"] == "required (xid): kernel log not readable: journalctl -k: Permission denied"
    assert items["dcgm"]["skip"] == "dcgmi not installed"
    both = gh.judge(evidence, dict(OPTIONS, required=["xid", "dcgm"]), NOW)
    assert failed(both) == ["dcgm", "xid"] and both["dcgm"]["detail"] == "required (dcgm): dcgmi not installed"
    neither = gh.judge(evidence, dict(OPTIONS, required=[]), NOW)
    assert failed(neither) == [] and neither["xid"]["skip"].startswith("kernel log not readable")


def test_report_only_evidence_is_a_warning_never_a_plain_pass():
    healthy = {c["key"]: c for c in gh.checks(verdicts(faults.healthy()))}
    assert healthy["ecc"]["status"] == "warning"  # the recorded GH200 has one aggregate uncorrected DRAM error
    assert healthy["ecc"]["detail"].startswith("aggregate uncorrected ECC errors on 00000000:DD:00.0: 1; ")
    assert healthy["clocks"]["status"] == healthy["xid"]["status"] == "passed"
    assert healthy["retired_pages"]["status"] == "skipped: retired pages not reported by this GPU (it remaps rows)"
    slow = {c["key"]: c for c in gh.checks(verdicts(faults.hw_slowdown()))}
    assert slow["clocks"]["status"] == "warning" and "HW Slowdown" in slow["clocks"]["detail"]
    assert {c["key"]: c for c in gh.checks(verdicts(faults.hw_slowdown(), fail_on_clock_events=True))}[
        "clocks"]["status"] == "failed"
    xid63 = {c["key"]: c for c in gh.checks(verdicts(faults.xid63()))}
    assert xid63["xid"]["status"] == "warning" and xid63["xid"]["detail"].startswith("warning XID 63; ")


def test_checks_name_every_item_in_report_order_and_skip_all_records_every_one():
    records = gh.checks(gh.skip_all("host_prep_gpu_health=false"))
    assert [r["key"] for r in records] == list(gh.ITEMS)
    assert [r["name"] for r in records] == [gh.NAMES[k] for k in gh.ITEMS]
    assert set(r["status"] for r in records) == {"skipped: host_prep_gpu_health=false"}


def test_a_failing_nvidia_smi_fails_and_skips_what_it_could_not_see():
    error = "nvidia-smi -q failed (rc=15, %s): Unable to determine the device handle" % gh.exit_cause(15)
    evidence = gh.evidence_from(smi_error=error, kernel_text=faults.kernel_log(faults.xid79()["kernel"], now=NOW))
    items = gh.judge(evidence, OPTIONS, NOW)
    assert failed(items) == ["count", "smi", "xid"]  # the kernel log is read even so
    assert "fallen off the bus" in items["smi"]["detail"]
    assert items["ecc"]["skip"] == "nvidia-smi failed"
    assert failed(gh.judge(evidence, dict(OPTIONS, gpu_expected=False), NOW)) == ["smi", "xid"]
    assert gh.exit_cause(9) == "the NVIDIA driver is not loaded"
    assert gh.exit_cause(77) == "exit code 77"


def test_an_empty_answer_is_a_failure_not_a_pass():
    items = gh.judge(gh.evidence_from(q_text="No devices were found\n"), OPTIONS, NOW)
    assert failed(items) == ["count", "smi"]
    assert items["smi"]["detail"] == "nvidia-smi -q listed no GPU: No devices were found"


def test_unreadable_kernel_log_and_missing_dcgmi_are_skipped_never_passed():
    evidence = gh.evidence_from(q_text=faults.healthy()["q"], c2c_text=faults.healthy()["c2c"],
                                kernel_error="dmesg: read kernel buffer failed: Operation not permitted",
                                dcgm_error="dcgmi not installed")
    items = gh.judge(evidence, dict(OPTIONS, required=[]), NOW)
    assert items["xid"]["skip"].startswith("kernel log not readable: dmesg: read kernel buffer failed")
    assert items["dcgm"]["skip"] == "dcgmi not installed" and not items["dcgm"]["ok"]
    off = gh.judge(evidence, dict(OPTIONS, dcgm_diag_level=0, required=["dcgm"]), NOW)["dcgm"]
    assert off["skip"] == "dcgmi diag disabled (level 0)"  # turned off is a choice, not a missing tool


def test_dcgmi_output_that_is_not_json_is_not_a_pass():
    evidence = gh.evidence_from(q_text=faults.healthy()["q"], dcgm_text="Error: unable to establish a connection\n")
    assert evidence["dcgm_error"] == "dcgmi diag gave no JSON: Error: unable to establish a connection"
    assert gh.judge(gh.evidence_from(q_text=faults.healthy()["q"], dcgm_text="{}"), OPTIONS, NOW)["dcgm"]["ok"] is False


def test_older_drivers_layouts_throttle_reasons_and_double_bit_counters():
    q = faults.healthy()["q"].replace("Clocks Event Reasons", "Clocks Throttle Reasons")
    q = q.replace("        HW Slowdown                       : Not Active",
                  "        HW Slowdown                       : Active")
    q = q.replace("""            SRAM Correctable              : 0
            SRAM Uncorrectable Parity     : 0
            SRAM Uncorrectable SEC-DED    : 0
            DRAM Correctable              : 0
            DRAM Uncorrectable            : 0
""", """            Single Bit
                Device Memory             : 0
                Total                     : 0
            Double Bit
                Device Memory             : 3
                Total                     : 3
""", 1)
    gpu = gh.evidence_from(q_text=q)["gpus"][0]
    assert gpu["clock_events"] == {"Idle": "Active", "HW Slowdown": "Active"}
    assert gpu["ecc_volatile_uncorrected"] == 3


def test_kernel_log_times_in_either_iso_form():
    journal = "2026-11-22T10:00:00+0100 host kernel: NVRM: Xid (PCI:0009:01:00): 79, pid=1, GPU has fallen off the bus."
    dmesg = "2026-11-22T09:00:00,123456+00:00 NVRM: Xid (PCI:0009:01:00): 48, pid=1, An uncorrectable DBE"
    events = gh.parse_kernel_log("\n".join([journal, dmesg, "no xid here"]))
    assert [(e["xid"], e["pci"], e["epoch"]) for e in events] == [
        (79, "PCI:0009:01:00", gh.line_epoch("2026-11-22T09:00:00Z")),
        (48, "PCI:0009:01:00", gh.line_epoch("2026-11-22T09:00:00Z"))]
    assert gh.parse_kernel_log("[Fri Aug 30 11:43:09 2024] NVRM: Xid (PCI:0000:cb:00): 13, x")[0]["epoch"] is None


def test_c2c_parser_reads_every_link_of_the_recorded_gh200():
    c2c = gh.parse_c2c(faults.healthy()["c2c"])
    assert [g["name"] for g in c2c["gpus"]] == ["NVIDIA GH200 480GB"]
    assert [link["gbps"] for link in c2c["gpus"][0]["links"]] == [44.712] * 10
    assert failed(verdicts(faults.healthy(), c2c_links=11)) == ["c2c"]


def test_five_faults_at_once_fail_five_checks():
    assert failed(verdicts(faults.several(), required=["xid", "dcgm"], fail_on_clock_events=True)) == [
        "addressing", "clocks", "dcgm", "mig", "retired_pages"]
    assert failed(verdicts(faults.several(), required=["xid", "dcgm"])) == ["addressing", "dcgm", "mig", "retired_pages"]
