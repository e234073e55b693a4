"""gh200_container_user (issue 26, item 5) is the user every probe, stage, server and install runs as in the container:
on the local dry-run, phase 1 (after phase 0, which makes the tree) run with an image user that cannot write the tree (nobody) fails the writable check,
named after that user, and only that check; the as-shipped user (devuser) passes it in every other dry-run test."""
import json
import tempfile

from conftest import dryrun_playbook as playbook, dryrun_report


def test_the_writable_check_runs_as_the_container_user_and_names_it():
    reports = tempfile.mkdtemp(prefix="gh200-container-user-")
    rc, out = playbook("playbooks/verify.yml", "--tags", "phase0,phase1", "-e", json.dumps(
        {"gh200_container_user": "nobody", "container_editable_install": False, "report_dir": reports}))
    assert rc != 0, out[-3000:]
    host = dryrun_report(reports)
    failed = dict((c["name"], c) for c in host["checks"] if c["status"] == "failed")
    assert list(failed) == ["scaffolding and telemetry writable by nobody"], failed
    detail = failed["scaffolding and telemetry writable by nobody"]["detail"]
    assert detail.startswith("not writable by nobody: /profiles/flashinfer, ") and "/telemetry/logs" in detail, detail
