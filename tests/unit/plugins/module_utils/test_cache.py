"""_cache: which stages need nothing written, and a plan's stages and states checked before anything is read."""
import json

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _cache, _signature, _stages


@pytest.mark.parametrize("action, old, check_mode, expected", [
    ("keep", None, False, ("kept", False)),
    ("keep", {"status": "failed"}, True, ("kept", False)),
    ("skip", {"status": "skipped"}, False, ("skipped", False)),
    ("skip", {"status": "ok"}, False, None),        # recording the skip writes prep_result.json
    ("skip", None, True, ("would skip", True)),
    ("run", {"status": "ok"}, False, None),
    ("run", None, True, ("would run", True)),
])
def test_decision(action, old, check_mode, expected):
    assert _cache.decision(action, old, check_mode) == expected


@pytest.mark.parametrize("stages, commands, problem", [
    ({"deep_gemm": "ensure", "moe": "skip"}, {"inductor": ["x"]}, None),
    ({"DeepGEMM": "ensure"}, {}, "stage 'DeepGEMM' is not one of flashinfer, inductor, deep_gemm, moe"),
    ({}, {"tensorrt": ["x"]}, "stage 'tensorrt' is not one of flashinfer, inductor, deep_gemm, moe"),
    ({"moe": True}, {}, "stage moe: state True is not one of ensure, rebuild, skip"),
])
def test_plan_problem(stages, commands, problem):
    assert _cache.plan_problem(stages, commands) == problem


def test_a_stage_folder_or_model_that_leaves_the_tree_is_refused(tmp_path):
    with pytest.raises(_cache._tree.OptionProblem):
        _cache.layout(str(tmp_path), "moe", "../../etc")
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "moe_configs").symlink_to("/tmp")
    with pytest.raises(_cache._tree.OptionProblem, match="stage folder"):
        _cache.layout(str(tmp_path), "moe", "org/m")


@pytest.mark.parametrize("timeout, lock_wait, retries, problem", [
    (0, 30, 1, "timeout must be 1 second or more (0 would run the command without a limit), got 0"),
    (-5, 30, 1, "timeout must be 1 second or more"),
    (3600, float("nan"), 1, "lock_wait must be a finite number of seconds, 0 or more, got nan"),
    (3600, float("inf"), 1, "lock_wait must be a finite number of seconds"),
    (3600, -1.0, 1, "lock_wait must be a finite number of seconds"),
    (3600, 30, -1, "timeout_retries must be 0 or more, got -1"),
])
def test_limits_that_cannot_bound_a_stage_are_refused(timeout, lock_wait, retries, problem):
    assert _cache.limits_problem(timeout, lock_wait, retries).startswith(problem)
    assert _cache.limits_problem(3600, 30.0, 1) is None and _cache.limits_problem(1, 0.0, 0) is None


def test_a_negative_quiet_bound_is_refused_and_zero_means_none():
    assert _cache.limits_problem(3600, 30, 1, -1) == "quiet_timeout must be 0 (no bound) or more seconds, got -1"
    assert _cache.limits_problem(3600, 30, 1, 0) is None and _cache.limits_problem(3600, 30, 1, 1200) is None


def test_the_signature_records_a_digest_of_every_value_the_user_added_never_the_value():
    env = _stages.stage_env("inductor", "/profiles", {"HF_TOKEN": "hf_secret_value", "EXTRA": "1"})
    recorded = _cache.recorded_env("inductor", env)
    assert recorded["TORCHINDUCTOR_CACHE_DIR"] == env["TORCHINDUCTOR_CACHE_DIR"]  # the stage's own: as it is
    assert recorded["HF_TOKEN"].startswith("sha256:") and "hf_secret_value" not in json.dumps(recorded)
    changed = _cache.recorded_env("inductor", dict(env, HF_TOKEN="hf_other"))
    assert _signature.changed_inputs({"env": recorded}, {"env": changed}) == ["env.HF_TOKEN"]


def test_the_moe_stage_is_tuned_for_the_dtype_of_the_model_it_serves(tmp_path):
    model = tmp_path / "models" / "org" / "fp8-moe"
    model.mkdir(parents=True)
    (model / "config.json").write_text(json.dumps({"quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]}}))
    argv = _cache.layout(str(tmp_path), "moe", "org/fp8-moe", stage_args={"dtype": "auto"})["argv"]
    assert argv[argv.index("--dtype") + 1] == "fp8_w8a8"
    (model / "config.json").write_text(json.dumps({"torch_dtype": "bfloat16"}))
    argv = _cache.layout(str(tmp_path), "moe", "org/fp8-moe")["argv"]
    assert argv[argv.index("--dtype") + 1] == "auto"
    argv = _cache.layout(str(tmp_path), "inductor", "org/fp8-moe")["argv"]
    assert "--dtype" not in argv


def test_with_a_model_store_the_stage_reads_the_model_there_and_refuses_a_store_in_the_tree(tmp_path):
    root, store = tmp_path / "tree", tmp_path / "store"
    (root / "profiles" / "moe_configs").mkdir(parents=True)
    (store / "org" / "m").mkdir(parents=True)
    where = _cache.layout(str(root), "moe", "org/m", model_store=str(store))
    assert where["model_dir"] == str(store / "org" / "m") and "/models/org/m" in where["argv"]
    with pytest.raises(_cache._tree.OptionProblem, match="overlaps the host tree"):
        _cache.layout(str(root), "moe", "org/m", model_store=str(root / "profiles"))


def test_a_stage_records_the_server_arguments_of_its_own_stage_arguments(tmp_path):
    (tmp_path / "models" / "org" / "m").mkdir(parents=True)
    where = _cache.layout(str(tmp_path), "inductor", "org/m", stage_args={"torch_compile_max_bs": 8, "tp_size": 2})
    assert where["server_args"] == {"attention_backend": "flashinfer", "enable_torch_compile": True, "torch_compile_max_bs": 8,
                                    "tp_size": 2}
    assert where["argv"][where["argv"].index("--torch-compile-max-bs") + 1] == "8"  # the command says the same
    custom = _cache.layout(str(tmp_path), "flashinfer", "org/m", command=["standin-stage", "flashinfer", "--tp-size", "{tp_size}"])
    assert custom["server_args"] == {"attention_backend": "flashinfer", "tp_size": 1}
