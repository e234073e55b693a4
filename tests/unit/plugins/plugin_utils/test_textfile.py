"""A host's verdicts as textfile metrics: parsed back by prometheus_client's own parser (the format the node exporter
reads), one sample per check with its status as a number, the host and phase verdicts judged as the report judges
them, label values escaped, and a failing host seen failing."""
import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.gh200.sglang.plugins.filter.verdict_textfile import verdict_textfile
from ansible_collections.gh200.sglang.plugins.plugin_utils import _textfile

from test_report import FACTS, STARTED

PHASES = ["phase0", "phase1", "phase4"]


def samples(text):
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


def test_a_passing_host_is_one_with_every_check_and_phase_as_a_number():
    got = samples(verdict_textfile(FACTS["good"], PHASES, STARTED))
    assert got["gh200_verify_host_status"] == [({"verdict": "passed"}, 1.0)]
    assert sorted(got["gh200_verify_phase_status"], key=lambda s: s[0]["phase"]) == [
        ({"phase": "phase0"}, 1.0), ({"phase": "phase1"}, 1.0), ({"phase": "phase4"}, 1.0)]
    checks = dict(((s[0]["phase"], s[0]["check"]), s[1]) for s in got["gh200_verify_check_status"])
    assert checks == {("phase0", "host tree owned by ubuntu"): 1.0, ("phase0", "GPU facts"): -1.0,
                      ("phase0", "GPU health: clock event reasons"): 1.0, ("phase1", "container runs"): 1.0,
                      ("phase4", "telemetry survives the stop"): 1.0}
    assert got["gh200_verify_checks_failed"] == [({}, 0.0)] and got["gh200_verify_gpu_health_failed"] == [({}, 0.0)]
    assert got["gh200_verify_last_run_duration_seconds"] == [({}, 90.0)]
    finished = datetime.datetime(2026, 11, 22, 12, 1, 30, tzinfo=datetime.timezone.utc).timestamp()
    assert got["gh200_verify_last_run_timestamp_seconds"] == [({}, finished)]


def test_a_failing_host_is_seen_failing_and_a_partial_one_is_not_passed():
    got = samples(verdict_textfile(dict(FACTS["broken"], gh200_gpu_health={"summary": "1 x GH200", "failed": ["ECC"]}),
                                   PHASES, STARTED))
    assert got["gh200_verify_host_status"] == [({"verdict": "failed"}, 0.0)]
    assert ({"phase": "phase0", "check": "host tree owned by ubuntu"}, 0.0) in got["gh200_verify_check_status"]
    assert got["gh200_verify_checks_failed"] == [({}, 1.0)] and got["gh200_verify_gpu_health_failed"] == [({}, 1.0)]
    partial = samples(verdict_textfile(FACTS["tagged"], PHASES, STARTED))
    assert partial["gh200_verify_host_status"] == [({"verdict": "partial"}, -1.0)]
    assert ({"phase": "phase4"}, -1.0) in partial["gh200_verify_phase_status"]  # not run


def test_label_values_are_escaped_and_a_repeated_check_keeps_its_last_status():
    facts = {"gh200_run": dict(FACTS["good"]["gh200_run"]), "gh200_checks": [
        {"phase": "phase0", "name": 'a "quoted"\\ name\nwith a newline', "status": "passed"},
        {"phase": "phase0", "name": "again", "status": "passed"}, {"phase": "phase0", "name": "again", "status": "failed"}]}
    text = _textfile.host_textfile(facts, PHASES, STARTED)
    got = dict(((s[0]["check"]), s[1]) for s in samples(text)["gh200_verify_check_status"])
    assert got == {'a "quoted"\\ name\nwith a newline': 1.0, "again": 0.0}


def test_a_record_from_an_earlier_run_is_no_verdict():
    got = samples(verdict_textfile(FACTS["stale"], PHASES, STARTED))
    assert got["gh200_verify_host_status"] == [({"verdict": "unreachable"}, 0.0)]


def test_the_filter_refuses_what_is_not_a_host_s_facts():
    with pytest.raises(Exception, match="expected the host's ansible_facts"):
        verdict_textfile(["x"])
