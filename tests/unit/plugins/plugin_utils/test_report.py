import json
from html.parser import HTMLParser
from xml.etree import ElementTree

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


def test_json_has_one_record_per_host_phase_and_check():
    data = json.loads(_report.render_json(DATA))
    records = [(r["host"], r["phase"], r["name"], r["status"]) for r in data["records"]]
    assert ("broken", "phase0", "host tree owned by ubuntu", "failed") in records
    assert ("broken", "phase1", "container lifecycle", "skipped: phase0 failed on this host") in records
    assert ("down", "run", "host reachable", "unreachable") in records
    assert all(r["time"].endswith("+00:00") for r in data["records"])


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
        if tag == "details":
            self.details += 1


def test_html_is_self_contained_escaped_and_colour_codes_each_cell():
    page = _report.render_html(DATA)
    assert "<script" not in page and "http" not in page.split("<body>")[1]
    assert "&lt;root&gt;" in page and "<root>" not in page
    cells = Cells()
    cells.feed(page)
    assert cells.cells[("broken", "phase0")] == "failed" and cells.cells[("broken", "phase1")] == "skipped"
    assert cells.cells[("down", "host")] == "unreachable" and cells.cells[("tagged", "phase4")] == "not-run"
    assert cells.details == 1  # the one failed check's detail
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
