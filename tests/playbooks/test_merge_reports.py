"""playbooks/merge_reports.yml: two job slices of verify.yml and a --limit rerun of the failed host, each with its own
report, merged into one fleet report in which each host's newest verdict wins and its older ones are its history.
The slices are real verify.yml runs on local hosts whose host user exists or not (phase 0 fails at once)."""
import json
import pathlib

from conftest import only_report

PHASE0 = ["--tags", "phase0"]


def inventory(tmp_path, users):
    path = tmp_path / ("inventory-%s.yml" % "-".join(sorted(users)))
    path.write_text(json.dumps({"gh200": {"hosts": dict((h, {"gh200_host_user": u}) for h, u in users.items()), "vars": {
        "ansible_connection": "local", "gh200_model": "org/model", "gh200_run_lock_path": str(tmp_path / "lock.json")}}}))
    return str(path)


def verify(playbook, tmp_path, name, users):
    dest = tmp_path / name
    playbook(path=pathlib.Path("playbooks/verify.yml"), inventory=inventory(tmp_path, users),
             extra=PHASE0 + ["-e", "report_dir=%s" % dest])
    return dest


def test_two_slices_and_a_rerun_merge_into_one_report_newest_first(playbook, tmp_path):
    missing = "gh200-no-such-user"
    slice1 = verify(playbook, tmp_path, "slice1", {"ma": missing, "mb": missing})
    slice2 = verify(playbook, tmp_path, "slice2", {"mc": missing})
    rerun = verify(playbook, tmp_path, "rerun", {"ma": missing})
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    dest = tmp_path / "merged"
    base = ["-e", "report_dir=%s" % dest, "-e", "report_fail_on_failed=false"]
    rc, out = playbook(path=pathlib.Path("playbooks/merge_reports.yml"),
                       extra=base + ["-e", json.dumps({"report_merge_from": [str(slice1 / "*"), str(slice2), str(rerun / "*" / "report.json")]})])
    assert rc == 0, out[-3000:]
    folder, report = only_report(dest)
    assert sorted(report["hosts"]) == ["ma", "mb", "mc"] and report["summary"]["failed"] == ["ma", "mb", "mc"]
    (rerun_json,) = rerun.glob("*/report.json")
    assert report["hosts"]["ma"]["source"] == str(rerun_json)
    assert [h["verdict"] for h in report["hosts"]["ma"]["history"]] == ["failed"] and report["hosts"]["mb"]["history"] == []
    assert (folder / "failed.limit").read_text() == "ma\nmb\nmc\n"
    assert report["fleet"]["checks"][0]["failed_hosts"] == ["ma", "mb", "mc"]
    # A file that is no report: one line naming it, and nothing written.
    rc, out = playbook(path=pathlib.Path("playbooks/merge_reports.yml"),
                       extra=["-e", "report_dir=%s" % (tmp_path / "none"), "-e", json.dumps({"report_merge_from": [str(slice1), str(garbage)]})])
    assert rc != 0 and "report_merge: %s: not JSON" % garbage in out, out[-2000:]
    assert not (tmp_path / "none").exists()
