"""verify.yml in batches (gh200_serial): one report after the last batch that holds every host's record of this run,
and the fleet stop policy (gh200_max_fail_percentage) judged within each batch. Three local hosts whose host user does
not exist, so phase 0 fails on each at once (no host tree is touched)."""
import json
import pathlib

import pytest

from conftest import only_report

HOSTS = ["sa", "sb", "sc"]


@pytest.fixture
def inventory(tmp_path):
    path = tmp_path / "inventory.yml"
    path.write_text(json.dumps({"gh200": {"hosts": dict((h, {}) for h in HOSTS), "vars": {
        "ansible_connection": "local", "gh200_host_user": "gh200-no-such-user", "gh200_model": "org/model"}}}))
    return str(path)


@pytest.mark.parametrize("serial,batch", [("1", 1), ("67%", 2), (None, 3)])
def test_batches_share_one_report_and_each_batch_has_its_own_stop_policy(playbook, inventory, tmp_path, monkeypatch, serial, batch):
    monkeypatch.setenv("ANSIBLE_SHOW_CUSTOM_STATS", "true")  # the stats AWX and AAP keep as the job's artifacts
    dest = tmp_path / "reports"
    extra = ["--tags", "phase0,phase1", "-e", "gh200_max_fail_percentage=0", "-e", "report_dir=%s" % dest]
    extra += ["-e", "gh200_serial=%s" % serial] if serial else []
    rc, out = playbook(path=pathlib.Path("playbooks/verify.yml"), extra=extra, inventory=inventory)
    assert rc != 0, out[-3000:]
    folder, report = only_report(dest)  # one report, written after the last batch
    stats = out.split("CUSTOM STATS:")[1]
    assert "gh200_report_path: %s" % folder in stats and "gh200_report_hosts:   failed:   - sa   - sb   - sc" in stats, stats
    assert sorted(report["hosts"]) == HOSTS and report["summary"]["failed"] == HOSTS, out[-3000:]
    for n, host in enumerate(HOSTS):
        phases = report["hosts"][host]["phases"]
        # Every host of every batch ran its own phase 0 (never skipped by an earlier batch's failures) ...
        assert phases["phase0"]["verdict"] == "failed" and phases["phase0"]["reason"] == ""
        check = [c for c in report["hosts"][host]["checks"] if c["phase"] == "phase0"][0]
        assert "gh200-no-such-user" in check["detail"], check
        # ... and its batch's failures stopped its batch's next phase: counted over the batch, not the fleet.
        size = min(batch, len(HOSTS) - (n // batch) * batch)
        assert phases["phase1"]["reason"] == ("fleet run stopped: %d of %d hosts failed or unreachable (100%%), over gh200_max_fail_percentage=0"
                                              % (size, size)), (host, phases["phase1"])
