"""Clocks (issue 24, fault 8): the controller's clock two days ahead of its host's (ansible-playbook under libfaketime,
the host's modules on the real clock). Every freshness check judges the host's evidence on the host's own clock against
the container's own start (the TSDB and the run log against the start, the TSDB against the prompt's scrape), so none
fails new evidence; the report, judged on the controller's clock alone, still holds the host's record as this run's."""
import datetime
import os
import shutil

HOST = "gh200-va"
AHEAD = ("faketime", "-f", "+2d")  # monotonic clocks shifted too: a sleep against an unshifted one fails with EINVAL
FRESHNESS = ("Prometheus ready, TSDB written by this run", "run log of this run", "pointer names the current run",
             "Prometheus TSDB written after the prompt", "request captured under /telemetry/logs",
             "server metrics counted the request")


def test_a_controller_two_days_ahead_fails_no_fresh_evidence(verify):
    assert shutil.which("faketime"), "Debian's faketime is missing: scripts/setup.sh installs it"
    run = verify("--limit", HOST, "--tags", "phase1,phase3", wrap=AHEAD)
    assert run.rc == 0, run.output[-3000:]
    generated = datetime.datetime.fromisoformat(run.report["generated"])
    ahead = generated - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(days=1, hours=23) < ahead < datetime.timedelta(days=2, hours=1), ahead  # the skew took
    host = run.host(HOST)
    assert [host["phases"][p]["verdict"] for p in ("phase1", "phase3")] == ["passed", "passed"], host["detail"]
    checks = run.checks(HOST)
    for name in FRESHNESS:
        assert checks[name]["status"] == "passed", (name, checks[name])
    assert not [c for c in host["checks"] if c["status"] == "failed"]
    assert os.environ.get("FAKETIME") is None  # the skew was the run's own, not this test process's
