from ansible_collections.gh200.sglang.plugins.filter.checks import FilterModule, failed_checks


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
