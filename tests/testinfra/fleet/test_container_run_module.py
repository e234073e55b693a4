"""container_run in the community.docker pattern (check, real, real, check), drift, and the preflight,
on gh200-b, against the real engine."""
from helpers import POINTER, history, module_args, run

testinfra_hosts = ["ansible://gh200-b"]


def test_check_real_real_check(host, gh200, engine):
    name = gh200["gh200_container_name"]
    assert run(host, "gh200.sglang.container_run", module_args(gh200, state="absent")).get("failed") is not True
    runs_before = history(host, gh200)

    check1 = run(host, "gh200.sglang.container_run", module_args(gh200), check=True)
    assert check1["changed"] is True and check1["actions"] == ["create", "write_manifest"]
    assert [c.name for c in engine.containers.list(all=True, filters={"name": "^/%s$" % name})] == []
    assert history(host, gh200) == runs_before and not host.file("%s/%s" % (gh200["gh200_root"], POINTER)).exists

    real1 = run(host, "gh200.sglang.container_run", module_args(gh200))
    assert real1["changed"] is True and real1["actions"] == check1["actions"]
    assert engine.containers.get(name).status == "running"
    assert len(history(host, gh200)) == len(runs_before) + 1

    real2 = run(host, "gh200.sglang.container_run", module_args(gh200))
    assert real2["changed"] is False and real2["actions"] == [] and real2["run_id"] == real1["run_id"]

    check2 = run(host, "gh200.sglang.container_run", module_args(gh200), check=True)
    assert check2["changed"] is False and check2["actions"] == []
    assert engine.containers.get(name).id == real1["container"]["id"]


def test_drift_is_named_and_recreated_only_on_change(host, gh200, engine):
    name = gh200["gh200_container_name"]
    first = run(host, "gh200.sglang.container_run", module_args(gh200))
    drifted = module_args(gh200, env=dict(gh200["container_env"], SGLANG_LOG_LEVEL="debug"))

    kept = run(host, "gh200.sglang.container_run", dict(drifted, recreate="never"))
    assert kept["changed"] is False and [d["key"] for d in kept["drift"]] == ["env"]
    assert engine.containers.get(name).id == first["container"]["id"]

    predicted = run(host, "gh200.sglang.container_run", drifted, check=True)
    assert predicted["changed"] is True and predicted["actions"] == ["stop", "remove", "create", "write_manifest"]
    assert engine.containers.get(name).id == first["container"]["id"]

    recreated = run(host, "gh200.sglang.container_run", drifted)
    assert recreated["actions"] == predicted["actions"] and recreated["drift"] == predicted["drift"]
    assert engine.containers.get(name).id != first["container"]["id"]
    assert engine.containers.get(name).attrs["Config"]["Env"].count("SGLANG_LOG_LEVEL=debug") == 1

    # Back to the converged configuration for the tests that follow.
    assert run(host, "gh200.sglang.container_run", module_args(gh200))["changed"] is True


def test_validated_creates_nothing_and_passes(host, gh200):
    before = history(host, gh200)
    result = run(host, "gh200.sglang.container_run", module_args(gh200, state="validated"))
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False and result["problems"] == []
    assert history(host, gh200) == before


def test_gpu_request_without_nvidia_runtime_is_a_preflight_problem(host, gh200):
    result = run(host, "gh200.sglang.container_run", module_args(gh200, state="validated", gpus="all"))
    assert result["failed"] is True
    assert "gpus=all was requested but the engine has no nvidia runtime" in result["msg"]
