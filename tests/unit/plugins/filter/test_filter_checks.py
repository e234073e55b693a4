from ansible_collections.gh200.sglang.plugins.filter.checks import FilterModule, failed_checks, file_changes


def test_failed_checks_lists_only_failures_in_order():
    checks = [
        {"name": "pointer removed", "status": "failed", "detail": "/r/telemetry/container_run_meta.env"},
        {"name": "GPU", "status": "skipped: no GPU", "detail": ""},
        {"name": "history kept", "status": "passed", "detail": "2 manifests"},
        {"name": "owner", "status": "failed", "detail": "wrong owner: profiles"},
    ]
    assert failed_checks(checks) == ["pointer removed: /r/telemetry/container_run_meta.env", "owner: wrong owner: profiles"]
    assert failed_checks([]) == [] and failed_checks(None) == []
    assert FilterModule().filters()["failed_checks"] is failed_checks


def test_file_changes_names_lost_files_and_changed_sizes_only():
    before = {"profiles/a.so": 10, "profiles/b.so": 20, "profiles/c.so": 30, "profiles/x.tmp": 1}
    after = {"profiles/a.so": 10, "profiles/c.so": 31, "profiles/new.so": 5}
    assert file_changes(before, after, ignore=r"\.tmp$") == ["profiles/b.so (lost)", "profiles/c.so (30 -> 31 bytes)"]
    assert file_changes(before, dict(before)) == [] and file_changes({}, after) == []
