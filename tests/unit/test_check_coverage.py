"""tests/check_coverage.py: the names it compares, and its verdict on what the fault tests covered."""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import check_coverage as cc  # noqa: E402  pylint: disable=wrong-import-position


@pytest.mark.parametrize("name, check", [
    ("after restart: start: pointer is a 0600 file owned by gh200dry", "pointer is a 0600 file owned by <host user>"),
    ("after restart: inductor: cache artifacts owned by devuser", "<stage>: cache artifacts owned by <host user>"),
    ("final stop: host tree still owned by ubuntu", "host tree still owned by <host user>"),
    ("restart: scaffolding and telemetry writable by devuser", "scaffolding and telemetry writable by <container user>"),
    ("scaffolding and telemetry writable by 1001:1001", "scaffolding and telemetry writable by <container user>"),
    ("tool server: smoke prompt answered", "smoke prompt answered"),
    ("restart: container runs", "container runs"),
    ("stop: pointer removed after stop", "pointer removed after stop"),
    ("GPU health: nvidia-smi answers", "GPU health: nvidia-smi answers"),
    ("moe: ensure keeps the signed cache", "<stage>: ensure keeps the signed cache"),
])
def test_names_lose_the_context_a_role_adds(name, check):
    assert cc.normalize(name) == check


def report(checks, phases=None):
    return {"hosts": {"h": {"phases": phases or {}, "checks": [{"name": n, "status": s} for n, s in checks]}}}


def test_a_report_gives_what_it_recorded_and_what_failed_without_the_phase_records():
    seen, failed = cc.from_report(report([("start: container runs", "passed"), ("restart: container runs", "failed"),
                                          ("container lifecycle", "skipped: phase0 failed on this host")],
                                         {"phase1": {"title": "container lifecycle"}}))
    assert seen == {"container runs"} and failed == {"container runs"}


def test_the_verdict_names_what_never_failed_and_what_left_the_pending_list(tmp_path, monkeypatch):
    monkeypatch.setenv(cc.ENV, str(tmp_path))
    cc.record(report([("a", "passed"), ("b", "failed"), ("c", "passed"), ("d", "passed")]), "run 1")
    cc.record(report([("c", "failed")]), "run 2")
    cc.record(None, "a run that wrote no report")
    seen, failed = cc.load(str(tmp_path))
    assert seen == {"a", "b", "c", "d"} and failed == {"b": ["run 1"], "c": ["run 2"]}
    problems = cc.judge(seen, failed, {"d": "waits for its fault", "c": "covered since", "gone": "renamed"})
    assert problems == [
        "never seen failing in a verify.yml run: a (add a fault test that breaks it)",
        "seen failing now, remove it from check_coverage_pending.yml: c",
        "pending but no run recorded it, remove it from check_coverage_pending.yml: gone",
    ]
    assert cc.judge(seen, failed, {"a": "x", "d": "y"}) == []


def test_nothing_is_recorded_outside_a_full_run(tmp_path, monkeypatch):
    monkeypatch.setenv(cc.ENV, str(tmp_path))
    cc.record(report([("a", "failed")]), "in a full run")
    monkeypatch.delenv(cc.ENV)
    cc.record(report([("by hand", "failed")]), "a scenario run by hand")
    assert cc.load(str(tmp_path))[0] == {"a"}


def test_the_pending_list_says_why_for_each_check():
    pending = cc.load_pending()
    assert isinstance(pending, dict)
    assert all(isinstance(why, str) and why.strip() for why in pending.values()), pending


def test_main_fails_on_an_empty_folder_and_on_a_gap(tmp_path, capsys):
    assert cc.main(["x", str(tmp_path)]) == 1
    (tmp_path / "1.jsonl").write_text(json.dumps({"source": "s", "seen": ["zz never failing"], "failed": []}) + "\n")
    assert cc.main(["x", str(tmp_path)]) == 1
    assert "never seen failing in a verify.yml run: zz never failing" in capsys.readouterr().out
