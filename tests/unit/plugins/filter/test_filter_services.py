import pytest

from ansible_collections.gh200.sglang.plugins.filter.services import FilterModule, service_skip, services_waiting

ALL = ["ready_line", "run_log", "node_exporter", "prometheus"]


def evidence(fresh=(), node=False, ready=False, tsdb=False):
    return {"run_log": {"fresh": list(fresh)}, "node_exporter": {"up": node}, "prometheus": {"ready": ready, "tsdb_fresh": tsdb}}


def test_a_service_the_image_runs_is_judged_and_one_it_does_not_is_skipped_by_name():
    assert service_skip("prometheus", ALL) == ""
    assert service_skip("prometheus", ["ready_line"]) == "not run by this image"
    assert service_skip("node_exporter", []) == "not run by this image" == service_skip("run_log", None)
    with pytest.raises(ValueError, match="service 'dcgm' is not one of ready_line, run_log, node_exporter, prometheus"):
        service_skip("dcgm", ALL)


def test_only_the_listed_services_are_waited_for():
    assert services_waiting(evidence(), ALL, "init-run.log") == ["run_log", "node_exporter", "prometheus"]
    assert services_waiting(evidence(["init-run.log"], node=True, ready=True), ALL, "init-run.log") == ["prometheus"]
    assert services_waiting(evidence(["init-run.log"], node=True, ready=True, tsdb=True), ALL, "init-run.log") == []
    assert services_waiting(evidence(["other.log"]), ["run_log"], "init-run.log") == ["run_log"]
    assert services_waiting(evidence(), ["ready_line"], "init-run.log") == [] == services_waiting(None, [], "x")
    assert FilterModule().filters()["services_waiting"] is services_waiting
