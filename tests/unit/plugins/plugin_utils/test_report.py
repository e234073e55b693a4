import json
import os
import sys
from html.parser import HTMLParser
from xml.etree import ElementTree

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", ".."))  # tests/: the synthetic fleet the benchmark shares
import synthetic_fleet  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.gh200.sglang.plugins.plugin_utils import _report

PHASES = ["phase0", "phase1", "phase4"]
STARTED = "2026-11-22T12:00:00+00:00"


def host(verdicts, checks, finished=True, started=STARTED, unreachable=None):
    run = {"started": started, "phases": dict((p, {"verdict": v, "duration_s": 1.0, "title": p}) for p, v in verdicts.items())}
    if finished:
        run["finished"] = "2026-11-22T12:01:30+00:00"
    if unreachable:
        run["unreachable"] = unreachable
    return {"gh200_checks": checks, "gh200_run": run}


def check(phase, name, status, detail=""):
    return {"phase": phase, "name": name, "status": status, "detail": detail, "duration_s": 0.5, "time": STARTED}


FACTS = {
    "good": host({"phase0": "passed", "phase1": "passed", "phase4": "passed"},
                 [check("phase0", "host tree owned by ubuntu", "passed"), check("phase0", "GPU facts", "skipped: no GPU (none)"),
                  check("phase0", "GPU health: clock event reasons", "warning", "active: HW Slowdown"),
                  check("phase1", "container runs", "passed"), check("phase4", "telemetry survives the stop", "passed")]),
    "tagged": host({"phase0": "passed", "phase1": "passed"},
                   [check("phase0", "host tree owned by ubuntu", "passed"), check("phase1", "container runs", "passed")]),
    "nothing": host({"phase0": "skipped"}, [check("phase0", "x", "skipped: check mode: nothing ran")]),
    "broken": host({"phase0": "failed", "phase1": "skipped"},
                   [check("phase0", "host tree owned by ubuntu", "failed", "/r/telemetry/logs/deep/file (0:0) <root>"),
                    check("phase1", "container lifecycle", "skipped: phase0 failed on this host")]),
    "down": host({}, [], unreachable="Failed to connect to the host via docker"),
    "gone": {},
    "stale": host({"phase0": "passed"}, [check("phase0", "x", "passed")], started="2026-11-21T00:00:00+00:00"),
    "halfway": host({"phase0": "passed"}, [check("phase0", "x", "passed")], finished=False),
    "stopped": host({"phase0": "passed", "phase1": "skipped"}, [check("phase0", "x", "passed"), check("phase1", "container lifecycle",
                    "skipped: fleet run stopped: 1 of 4 hosts failed (25%)")]),
}
FACTS["stopped"]["gh200_run"]["phases"]["phase1"]["reason"] = "fleet run stopped: 1 of 4 hosts failed (25%)"
DATA = _report.build(list(FACTS), FACTS, PHASES, "2026-11-22T12:02:00+00:00", run_started=STARTED)


def test_host_verdicts():
    verdicts = dict((h, e["verdict"]) for h, e in DATA["hosts"].items())
    assert verdicts == {"good": "passed", "tagged": "partial", "nothing": "skipped", "broken": "failed",
                        "down": "unreachable", "gone": "unreachable", "stale": "unreachable", "halfway": "unreachable",
                        "stopped": "skipped"}
    # Passed only when every phase of the plan ran and passed: a tag-limited run is partial, and says why.
    assert DATA["hosts"]["tagged"]["detail"] == "not verified in full: phase4 not run"
    assert DATA["hosts"]["nothing"]["detail"] == "nothing could be judged: phase0 skipped, phase1 not run, phase4 not run"
    assert DATA["hosts"]["good"]["warnings"] == 1 and DATA["hosts"]["tagged"]["warnings"] == 0
    assert DATA["hosts"]["stopped"]["detail"] == "fleet run stopped: 1 of 4 hosts failed (25%)"
    assert DATA["hosts"]["down"]["detail"] == "Failed to connect to the host via docker"
    assert DATA["hosts"]["halfway"]["detail"].startswith("stopped reporting during phase0")
    assert DATA["hosts"]["tagged"]["phases"]["phase4"]["verdict"] == "not run"
    assert DATA["hosts"]["good"]["duration_s"] == 90.0
    assert DATA["summary"]["failed"] == ["broken"] and DATA["summary"]["passed"] == ["good"]
    assert DATA["summary"]["partial"] == ["tagged"]


def test_json_holds_each_check_once_under_its_host_and_phase_and_parses():
    text = _report.render_json(DATA)
    data = json.loads(text)
    assert "records" not in data and data["format"] == 3
    broken = data["hosts"]["broken"]["checks"]
    assert broken == {"phase0": [{"name": "host tree owned by ubuntu", "status": "failed", "detail": broken["phase0"][0]["detail"],
                                  "duration_s": 0.5, "at_s": 0}],
                      "phase1": [{"name": "container lifecycle", "status": "skipped: phase0 failed on this host", "detail": "",
                                  "duration_s": 0.5, "at_s": 0}]}
    assert data["hosts"]["down"]["checks"] == {} and data["hosts"]["down"]["verdict"] == "unreachable"
    assert text.count("/r/telemetry/logs/deep/file") == 1  # the failed check's detail, once
    assert all(isinstance(c["at_s"], (int, float)) and "time" not in c and "phase" not in c
               for h in data["hosts"].values() for group in h["checks"].values() for c in group)
    # Read back, each host's checks are one list again, each with its phase and ISO time, as the report was built.
    assert _report.loaded(data)["hosts"] == json.loads(json.dumps(DATA["hosts"]))
    # One line per host: a fleet's report reads with grep and a pager.
    assert sum(line.startswith('"broken":') for line in text.splitlines()) == 1


def test_junit_parses_and_counts_failures_skips_and_errors():
    root = ElementTree.fromstring(_report.render_junit(DATA).split("\n", 1)[1])
    suites = dict((s.get("name"), s) for s in root.iter("testsuite"))
    assert suites["broken.phase0"].get("failures") == "1"
    assert suites["good.phase0"].get("skipped") == "1"
    assert suites["down.run"].get("errors") == "1"
    (failure,) = suites["broken.phase0"].iter("failure")
    assert "/r/telemetry/logs/deep/file" in failure.get("message")


def test_markdown_matrix_and_escaping():
    md = _report.render_markdown(DATA)
    assert "| broken | **failed** | 90.0 | failed | skipped | not run |" in md
    assert "| phase0 | host tree owned by ubuntu | failed | /r/telemetry/logs/deep/file (0:0) <root> |" in md


class Cells(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.cells, self.details = {}, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "td" and "data-phase" in attrs:
            self.cells[(attrs["data-host"], attrs["data-phase"])] = attrs["class"].split()[1]
        if tag == "details" and attrs.get("class") == "host":
            self.details += 1
            assert "open" not in attrs  # collapsed by default


def test_html_is_self_contained_escaped_and_colour_codes_each_cell():
    page = _report.render_html(DATA)
    assert "<script" not in page and "http" not in page.split("<body>")[1]
    assert "&lt;root&gt;" in page and "<root>" not in page
    cells = Cells()
    cells.feed(page)
    assert cells.cells[("broken", "phase0")] == "failed" and cells.cells[("broken", "phase1")] == "skipped"
    assert cells.cells[("down", "host")] == "unreachable" and cells.cells[("tagged", "phase4")] == "not-run"
    assert cells.details == len(FACTS)  # a section per host
    assert page.count("check(s) passed</summary>") == 7  # a small fleet: each phase's passed checks, one click away
    assert 'href="#broken-phase0"' in page and 'id="broken-phase0"' in page


def test_summary_lines_name_verdicts_and_reasons():
    lines = _report.summary_lines(DATA)
    assert lines[0] == "good: passed (phase0 passed, phase1 passed, phase4 passed, 1 warning(s))"
    assert lines[1] == "tagged: partial (phase0 passed, phase1 passed) - not verified in full: phase4 not run"
    assert lines[3].startswith("broken: failed (phase0 failed, phase1 skipped) - failed: phase0")


def test_each_host_shows_its_gpu_in_one_line():
    facts = dict(FACTS)
    facts["good"] = dict(FACTS["good"], gh200_gpu={"gpu_present": False, "reason": "nvidia-smi not found on PATH"})
    facts["broken"] = dict(FACTS["broken"], gh200_gpu_health={"summary": "1 x NVIDIA GH200 480GB, driver 550.127.05",
                                                              "failed": ["xid", "c2c"]})
    data = _report.build(list(facts), facts, PHASES, "2026-11-22T12:02:00+00:00", run_started=STARTED)
    assert data["hosts"]["good"]["gpu"] == "no GPU (nvidia-smi not found on PATH)"
    assert data["hosts"]["broken"]["gpu"] == "1 x NVIDIA GH200 480GB, driver 550.127.05; failed: xid, c2c"
    assert data["hosts"]["down"]["gpu"] == ""  # no record of this run, so no GPU line from old facts
    assert '<p class="gpu">GPU: 1 x NVIDIA GH200 480GB, driver 550.127.05; failed: xid, c2c</p>' in _report.render_html(data)
    assert "GPU: no GPU (nvidia-smi not found on PATH)" in _report.render_markdown(data)


def test_failed_limit_names_the_failed_and_unreachable_hosts_one_per_line():
    assert _report.render_limit(DATA) == "broken\ndown\ngone\nhalfway\nstale\n"
    passed = _report.build(["good"], FACTS, PHASES, "2026-11-22T12:02:00+00:00", run_started=STARTED)
    assert _report.render_limit(passed) == ""
    assert "failed.limit" in dict(_report.RENDERERS)


def test_the_fleet_view_counts_each_check_over_the_hosts_failures_first():
    fleet = DATA["fleet"]
    reach, tree = fleet["checks"][:2]  # the most hosts first: three never reached this run, one broken tree
    assert (reach["phase"], reach["name"], reach["failed"], reach["failed_hosts"]) == ("run", "host reachable", 3, ["down", "gone", "stale"])
    assert (tree["phase"], tree["name"], tree["failed"], tree["failed_hosts"]) == ("phase0", "host tree owned by ubuntu", 1, ["broken"])
    assert tree["passed"] == 2 and tree["action"].startswith("give the paths the detail names back to the host user")
    warned = [r for r in fleet["checks"] if r["warning"]][0]
    assert warned["name"] == "GPU health: clock event reasons" and warned["action"].startswith("check the host's cooling")
    failed_or_warned = [r["name"] for r in fleet["checks"] if r["failed"] or r["warning"]]
    assert failed_or_warned == [r["name"] for r in fleet["checks"][:len(failed_or_warned)]]
    assert dict((a["action"][:20], a["hosts"]) for a in fleet["actions"]) == {
        "restore the controll": ["down", "gone", "stale"], "give the paths the d": ["broken"]}


def test_the_drift_table_names_the_facts_that_differ_and_the_hosts_of_each_value():
    facts = dict(FACTS)
    gpu = {"gpu_present": True, "gpu_name": "NVIDIA GH200 480GB", "driver_version": "570.124.06", "cuda_version": "12.8"}
    facts["good"] = dict(FACTS["good"], kernel="6.8.0-1013", gh200_gpu=gpu)
    facts["tagged"] = dict(FACTS["tagged"], kernel="6.8.0-1013", gh200_gpu=dict(gpu, driver_version="550.127.05"))
    facts["broken"] = dict(FACTS["broken"], kernel="6.8.0-1013", gh200_gpu=gpu)
    facts["down"] = dict(FACTS["down"], kernel="5.15.0")  # no record of this run: its old facts are not compared
    data = _report.build(list(facts), facts, PHASES, "2026-11-22T12:02:00+00:00", run_started=STARTED)
    values = [{"value": "570.124.06", "hosts": ["good", "broken"]}, {"value": "550.127.05", "hosts": ["tagged"]}]
    assert data["fleet"]["drift"] == [{"fact": "driver", "values": values}]
    assert data["hosts"]["good"]["facts"] == {"kernel": "6.8.0-1013", "GPU": "NVIDIA GH200 480GB", "driver": "570.124.06", "CUDA": "12.8"}
    page = _report.render_html(data)
    assert '<table id="drift">' in page and "550.127.05" in page
    assert "| driver | 570.124.06 (2: good, broken); 550.127.05 (1: tagged) |" in _report.render_markdown(data)


def test_the_page_lists_hosts_failures_first():
    page = _report.render_html(DATA)
    matrix = page.split('<table id="matrix">')[1].split("</table>")[0]
    order = [row.split('data-host="')[1].split('"')[0] for row in matrix.split("<tr>")[2:]]
    assert order[:4] == ["down", "gone", "stale", "halfway"] and order[4] == "broken" and order[-1] == "good"


def test_a_fleet_of_256_hosts_with_every_check_stays_within_its_page_budget():
    """256 hosts, each with all 158 checks of a real dry-run host (tests/synthetic_fleet.py): the page at most 2 MB, with
    the failed checks and the actions; report.json holds each check once (26.6 MB when each was written twice)."""
    facts, hosts, started = synthetic_fleet.fleet(256)
    data = _report.build(hosts, facts, synthetic_fleet.PHASES, "2026-11-30T18:00:00+00:00", run_started=started)
    page = _report.render_html(data)
    assert len(page.encode()) <= 2 * 1024 * 1024
    assert "GPU health: no fatal XID in the kernel log" in page and "drain the host and inspect the hardware" in page
    assert len(_report.render_json(data).encode()) <= 8 * 1000 * 1000  # issue 25: report.json of 256 hosts at most 8 MB
    assert len(data["summary"]["failed"]) == 8 and data["summary"]["unreachable"] == ["gh200-256"]
    assert [d["fact"] for d in data["fleet"]["drift"]] == ["kernel", "driver"]


def report_of(hosts, generated, started):
    facts = dict((h, host({"phase0": v, "phase1": v, "phase4": v}, [check("phase0", "host tree owned by ubuntu", v)], started=started))
                 for h, v in hosts.items())
    return _report.for_merge(_report.render_json(_report.build(list(hosts), facts, PHASES, generated, run_started=started)).encode(), "x")


def test_merged_slices_and_a_rerun_keep_each_hosts_newest_verdict_and_its_history():
    slice1 = report_of({"a": "failed", "b": "passed"}, "2026-11-30T10:10:00+00:00", "2026-11-30T10:00:00+00:00")
    slice2 = report_of({"c": "passed", "d": "passed"}, "2026-11-30T10:12:00+00:00", "2026-11-30T10:01:00+00:00")
    rerun = report_of({"a": "passed"}, "2026-11-30T11:10:00+00:00", "2026-11-30T11:00:00+00:00")
    for order in ([("s1", slice1), ("s2", slice2), ("rerun", rerun)], [("rerun", rerun), ("s2", slice2), ("s1", slice1)]):
        data = _report.merge(order, "2026-11-30T12:00:00+00:00")
        assert data["summary"]["passed"] == ["a", "b", "c", "d"] and data["summary"]["failed"] == []
        assert data["hosts"]["a"]["source"] == "rerun" and data["hosts"]["a"]["started"] == "2026-11-30T11:00:00+00:00"
        assert data["hosts"]["a"]["history"] == [{"source": "s1", "generated": "2026-11-30T10:10:00+00:00", "verdict": "failed",
                                                 "started": "2026-11-30T10:00:00+00:00", "detail": "failed: phase0, phase1, phase4"}]
        assert data["hosts"]["b"]["history"] == [] and data["fleet"]["actions"] == []
        assert _report.render_limit(data) == "" and data["merged_from"] == [s for s, dummy in order]
    # A host that fails in the rerun fails the merged report; its older pass is history.
    worse = report_of({"b": "failed"}, "2026-11-30T11:30:00+00:00", "2026-11-30T11:20:00+00:00")
    data = _report.merge([("s1", slice1), ("worse", worse)], "2026-11-30T12:00:00+00:00")
    assert data["summary"]["failed"] == ["a", "b"] and data["hosts"]["b"]["history"][0]["verdict"] == "passed"


def test_a_check_s_time_is_seconds_from_its_host_s_start_on_disk_and_iso_when_read_back():
    facts = {"h": host({"phase0": "passed"}, [dict(check("phase0", "late", "passed"), time="2026-11-22T12:00:42+00:00")])}
    data = _report.build(["h"], facts, PHASES, "2026-11-22T12:05:00+00:00")
    (stored,) = json.loads(_report.render_json(data))["hosts"]["h"]["checks"]["phase0"]
    assert stored["at_s"] == 42 and "time" not in stored
    (back,) = _report.for_merge(_report.render_json(data).encode(), "x")["hosts"]["h"]["checks"]
    assert back == dict(check("phase0", "late", "passed"), time="2026-11-22T12:00:42+00:00")


def test_a_format_2_report_with_one_list_of_checks_still_merges():
    old = json.loads(_report.render_json(_report.build(["a"], {"a": FACTS["good"]}, PHASES, STARTED)))
    old["format"], old["hosts"]["a"] = 2, dict(old["hosts"]["a"], checks=_report.loaded(old)["hosts"]["a"]["checks"])
    data = _report.merge([("old", _report.for_merge(json.dumps(old).encode(), "old"))], STARTED)
    assert [c["name"] for c in data["hosts"]["a"]["checks"]] == [c["name"] for c in FACTS["good"]["gh200_checks"]]
    assert data["hosts"]["a"]["verdict"] == "passed" and data["format"] == 3


def test_a_file_that_is_no_report_is_named_before_a_merge():
    for raw, cause in ((b"\xff", "not JSON"), (b"[]", "not a gh200.sglang report"),
                       (b'{"hosts": {"a": {"verdict": "fine"}}, "phases": []}', "host a has no verdict"),
                       (json.dumps({"hosts": {"a": {"verdict": "passed", "phases": {}, "checks": [], "started": "yesterday"}},
                                    "phases": [], "generated": None}).encode(), "host a has a started that is no ISO time"),
                       (json.dumps({"hosts": {"a": {"verdict": "passed", "phases": {}, "checks": {"phase0": [{"at_s": "soon"}]},
                                                    "started": STARTED}}, "phases": [], "generated": STARTED}).encode(),
                        "host a has checks that are not records")):
        try:
            _report.for_merge(raw, "x/report.json")
        except ValueError as exc:
            assert str(exc).startswith("x/report.json: " + cause), exc
        else:
            raise AssertionError("accepted %r" % raw)
