import datetime

import pytest

from ansible_collections.gh200.sglang.plugins.plugin_utils import _checks

T0 = datetime.datetime(2026, 11, 22, 12, 0, 0, tzinfo=datetime.timezone.utc)


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def test_status_of_passes_only_when_every_condition_holds():
    assert _checks.status_of([True, True]) == "passed"
    assert _checks.status_of([True, False]) == "failed"
    assert _checks.status_of([], skip="no GPU (nvidia-smi not found on PATH)") == "skipped: no GPU (nvidia-smi not found on PATH)"


def test_a_check_without_condition_or_a_skip_without_reason_is_refused():
    with pytest.raises(ValueError):
        _checks.status_of([])
    with pytest.raises(ValueError):
        _checks.skipped("  ")


def test_record_times_are_utc_with_offset_and_duration_since_the_previous_step():
    rec = _checks.record("phase1", "container runs", "passed", None, at(3.5), at(1))
    assert rec == {"phase": "phase1", "name": "container runs", "status": "passed", "detail": "", "duration_s": 2.5,
                   "time": "2026-11-22T12:00:03+00:00"}
    assert _checks.record("p", "n", "passed", 7, at(1), None)["duration_s"] == 0.0


def test_begin_drops_an_earlier_attempt_and_skips_after_an_earlier_failure():
    checks = [_checks.record("phase0", "tree", "failed", "x", at(0), None), _checks.record("phase1", "old", "passed", "", at(0), None)]
    run = {"phases": {"phase0": {"verdict": "failed"}}}
    checks, run, reason = _checks.begin_phase(checks, run, "phase1", "container lifecycle", at(5))
    assert reason == "phase0 failed on this host"
    assert [c["name"] for c in checks if c["phase"] == "phase1"] == ["container lifecycle"]
    assert checks[-1]["status"] == "skipped: phase0 failed on this host"
    assert run["phases"]["phase1"]["verdict"] == "skipped"


def test_begin_runs_a_fresh_phase_and_an_explicit_skip_wins():
    checks, run, reason = _checks.begin_phase([], {}, "phase0", "host prep", at(0))
    assert reason is None and checks == [] and run["phases"]["phase0"]["started"] == "2026-11-22T12:00:00+00:00"
    dummy, dummy, reason = _checks.begin_phase([], {}, "phase2", "caches", at(0), skip="fleet run stopped")
    assert reason == "fleet run stopped"


def test_a_host_lost_between_phases_is_unreachable_from_there_on_its_completed_phases_kept():
    checks, run, dummy = _checks.begin_phase([], {"started": _checks.iso(at(0))}, "phase0", "host prep", at(0))
    checks, run, verdict, dummy = _checks.end_phase(checks, run, "phase0", at(1))
    checks, run, reason = _checks.begin_phase(checks, run, "phase1", "container lifecycle", at(2), lost="ssh: Connection refused")
    assert reason == "the host was lost: unreachable" and run["unreachable"] == "lost before phase1: ssh: Connection refused"
    checks, run, reason = _checks.begin_phase(checks, run, "phase2", "caches", at(3), lost="timed out")
    assert reason == "the host was lost: unreachable" and run["unreachable"] == "lost before phase1: ssh: Connection refused"
    assert [(p, i["verdict"]) for p, i in run["phases"].items()] == [("phase0", verdict), ("phase1", "skipped"), ("phase2", "skipped")]
    assert _checks.failed_hosts(["h"], {"h": run}, active=["h"]) == ["h"]


def test_end_derives_the_verdict_and_lists_every_failure():
    dummy, run, dummy = _checks.begin_phase([], {}, "phase1", "container lifecycle", at(0))
    checks = [_checks.record("phase1", "a", "passed", "", at(1), at(0)),
              _checks.record("phase1", "b", "failed", "pointer missing", at(2), at(1)),
              _checks.record("phase1", "c", "skipped: no GPU", "", at(3), at(2)),
              _checks.record("phase1", "d", "failed", "mode 0644", at(4), at(3))]
    checks, run, verdict, failures = _checks.end_phase(checks, run, "phase1", at(10))
    assert verdict == "failed" and failures == ["b: pointer missing", "d: mode 0644"]
    assert run["phases"]["phase1"]["duration_s"] == 10.0 and run["phases"]["phase1"]["verdict"] == "failed"


def test_end_with_a_task_error_records_it_as_a_failed_check():
    dummy, run, dummy = _checks.begin_phase([], {}, "phase1", "container lifecycle", at(0))
    checks = [_checks.record("phase1", "a", "passed", "", at(1), at(0))]
    checks, run, verdict, failures = _checks.end_phase(checks, run, "phase1", at(2), error="container sglang-dev: image missing")
    assert verdict == "failed" and failures == ["container lifecycle completed: container sglang-dev: image missing"]


def test_only_skipped_checks_make_a_skipped_phase():
    assert _checks.phase_verdict([{"status": "skipped: check mode"}]) == "skipped"
    assert _checks.phase_verdict([{"status": "skipped: x"}, {"status": "passed"}]) == "passed"
    assert _checks.phase_verdict([]) == "skipped"


def test_failed_lines_filter_by_phase_and_prefix():
    checks = [{"phase": "phase4", "name": "restart: container runs", "status": "failed", "detail": "exited"},
              {"phase": "phase4", "name": "stop: pointer removed", "status": "failed", "detail": "still there"},
              {"phase": "phase1", "name": "restart: x", "status": "failed", "detail": "y"}]
    assert _checks.failed_lines(checks, phase="phase4", prefix="restart: ") == ["restart: container runs: exited"]
    assert len(_checks.failed_lines(checks)) == 3


def test_a_lost_hosts_multi_line_connection_message_is_recorded_as_one_line():
    checks, run, dummy = _checks.begin_phase([], {}, "phase0", "host prep", at(1))
    lost = 'Data could not be sent to remote host "127.0.0.1": muxclient: master hello exchange failed\r\n' \
           "ssh: connect to host 127.0.0.1 port 20624: Connection refused\r\n"
    checks, run, dummy = _checks.begin_phase(checks, run, "phase2", "caches", at(2), lost=lost)
    assert run["unreachable"] == ('lost before phase2: Data could not be sent to remote host "127.0.0.1": muxclient: '
                                  "master hello exchange failed ssh: connect to host 127.0.0.1 port 20624: Connection refused")
    assert _checks.one_line(" a\n\tb  ") == "a b" and _checks.one_line(None) == ""


def test_fleet_stop_reason_counts_hosts_with_a_failed_phase():
    runs = {"a": {"phases": {"phase0": {"verdict": "failed"}}}, "b": {"phases": {"phase0": {"verdict": "passed"}}}, "c": {}, "d": {}}
    hosts = ["a", "b", "c", "d"]
    assert _checks.failed_hosts(hosts, runs) == ["a"]
    assert _checks.fleet_stop_reason(hosts, runs, 25) == ""
    assert _checks.fleet_stop_reason(hosts, runs, 20).startswith("fleet run stopped: 1 of 4 hosts failed or unreachable (25%)")
    assert _checks.fleet_stop_reason(hosts, runs, None) == ""


def test_fleet_stop_reason_counts_a_host_unreachable_at_the_start_or_lost_since_as_failed():
    runs = {"a": {"phases": {"phase0": {"verdict": "passed"}}}, "b": {"unreachable": "Failed to connect"},
            "c": {"phases": {"phase0": {"verdict": "passed"}, "phase1": {"verdict": "passed"}}}, "d": {}}
    hosts = ["a", "b", "c", "d"]
    assert _checks.failed_hosts(hosts, runs) == ["b"]
    # c was lost in phase 2 (its connection dropped): Ansible left it out of the play's hosts.
    assert _checks.failed_hosts(hosts, runs, active=["a", "b", "d"]) == ["b", "c"]
    assert _checks.fleet_stop_reason(hosts, runs, 40, active=["a", "b", "d"]).startswith(
        "fleet run stopped: 2 of 4 hosts failed or unreachable (50%), over gh200_max_fail_percentage=40")
