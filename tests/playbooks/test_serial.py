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
        "ansible_connection": "local", "gh200_host_user": "gh200-no-such-user", "gh200_model": "org/model",
        # A lock of its own: the host's default one is the dry-run's too (the engine suite runs beside this one).
        "gh200_run_lock_path": str(tmp_path / "lock.json")}}}))
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


@pytest.mark.parametrize("limit, phase0", [(30, "failed"), (20, "skipped")])
def test_a_host_unreachable_at_the_start_counts_against_the_fleet_from_the_first_phase(playbook, tmp_path, limit, phase0):
    """Four hosts, one unreachable (ssh to a closed loopback port): 1 of 4 is 25 %. At 30 % phase 0 runs (and fails on
    the three whose host user does not exist); at 20 % the fleet stops before phase 0."""
    path = tmp_path / "inventory.yml"
    hosts = dict((h, {}) for h in HOSTS)
    hosts["gone"] = {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1}
    path.write_text(json.dumps({"gh200": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "gh200_host_user": "gh200-no-such-user", "gh200_model": "org/model",
        "gh200_run_lock_path": str(tmp_path / "lock.json")}}}))
    dest = tmp_path / "reports"
    rc, out = playbook(path=pathlib.Path("playbooks/verify.yml"), inventory=str(path),
                       extra=["--tags", "phase0,phase1", "-e", "gh200_max_fail_percentage=%d" % limit, "-e", "report_dir=%s" % dest])
    assert rc != 0
    dummy, report = only_report(dest)
    assert report["hosts"]["gone"]["verdict"] == "unreachable", report["hosts"]["gone"]
    for host in HOSTS:
        phases = report["hosts"][host]["phases"]
        assert phases["phase0"]["verdict"] == phase0, (host, phases["phase0"])
        if phase0 == "skipped":
            assert phases["phase0"]["reason"].startswith("fleet run stopped: 1 of 4 hosts failed or unreachable (25%), over "
                                                         "gh200_max_fail_percentage=20"), phases["phase0"]
