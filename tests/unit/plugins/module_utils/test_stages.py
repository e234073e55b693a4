"""Stages: cache folders and the variables that point SGLang at them, argv rendering that refuses
unknown names and arguments that could climb out of a path or smuggle an option."""
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _stages

DEEP_GEMM = _stages.DEFAULT_COMMANDS["deep_gemm"]


@pytest.mark.parametrize("stage, env", [
    ("flashinfer", {"FLASHINFER_WORKSPACE_BASE": "/profiles/flashinfer"}),
    ("inductor", {"TORCHINDUCTOR_CACHE_DIR": "/profiles/inductor", "TRITON_CACHE_DIR": "/profiles/inductor/triton"}),
    ("deep_gemm", {"SGLANG_DG_CACHE_DIR": "/profiles/deep_gemm"}),
    ("moe", {"SGLANG_MOE_CONFIG_DIR": "/profiles/moe_configs"}),
])
def test_each_stage_points_its_real_variable_at_its_folder(stage, env):
    assert _stages.stage_env(stage) == env
    assert sorted(_stages.STAGES) == sorted(_stages.STAGE_NAMES)


def test_extra_environment_never_overrides_the_cache_variables():
    env = _stages.stage_env("deep_gemm", "/p/", {"SGLANG_DG_CACHE_DIR": "/tmp/elsewhere", "HF_HUB_OFFLINE": 1})
    assert env == {"SGLANG_DG_CACHE_DIR": "/p/deep_gemm", "HF_HUB_OFFLINE": "1"}


def test_render_substitutes_every_item_and_drops_an_unset_optional():
    values = {"model_path": "/models/org/m", "tp_size": "1", "extra": ""}
    argv = _stages.render_argv("deep_gemm", DEEP_GEMM + ["{extra}"], values)
    assert argv == ["python3", "-m", "sglang.compile_deep_gemm", "--model-path", "/models/org/m", "--tp-size", "1",
                    "--trust-remote-code"]


def test_an_unknown_name_in_a_command_is_named():
    with pytest.raises(_stages.StageProblem) as exc:
        _stages.render_argv("deep_gemm", DEEP_GEMM, {"model_path": "/models/org/m"})
    assert str(exc.value) == ("stage deep_gemm: command item '{tp_size}' names {tp_size}, which is not a stage "
                              "argument (known: model_path)")


@pytest.mark.parametrize("templates", [[], "python3 -m x", ["python3", 3]])
def test_a_command_must_be_a_list_of_strings(templates):
    with pytest.raises(_stages.StageProblem, match="must be a non-empty list of strings"):
        _stages.render_argv("moe", templates, {})


@pytest.mark.parametrize("args, problem", [
    ({"tp_size": "../../etc"}, "stage argument tp_size='../../etc' is not allowed"),
    ({"dtype": "fp8;rm -rf /"}, "stage argument dtype='fp8;rm -rf /' is not allowed"),
    ({"dtype": "--enable-foo"}, "stage argument dtype='--enable-foo' is not allowed"),
    ({"Bad-Key": "1"}, "stage argument name 'Bad-Key' is not a lowercase identifier"),
])
def test_bad_stage_arguments_are_refused_with_their_key(args, problem):
    with pytest.raises(_stages.StageProblem) as exc:
        _stages.check_args(args)
    assert str(exc.value).startswith(problem)


def test_good_stage_arguments_become_strings():
    assert _stages.check_args({"tp_size": 1, "dtype": "fp8_w8a8", "trust": True, "block": "128,128"}) == {
        "block": "128,128", "dtype": "fp8_w8a8", "tp_size": "1", "trust": "true"}


def test_the_moe_config_lands_where_sglang_reads_it():
    name = "E=8,N=64,device_name=cpu,dtype=fp8_w8a8.json"
    assert _stages.moe_config_path("/profiles/moe_configs/", "3.5.1", name) == (
        "/profiles/moe_configs/configs/triton_3_5_1/" + name)


@pytest.mark.parametrize("state, verdict, changed, missing, expected", [
    ("skip", "match", [], [], ("skip", "state=skip")),
    ("rebuild", "match", [], [], ("run", "state=rebuild")),
    ("ensure", "missing", [], [], ("run", "no valid signature")),
    ("ensure", "mismatch", ["image_id", "versions.torch"], [], ("run", "signature mismatch: image_id, versions.torch changed")),
    ("ensure", "match", [], ["a.so", "b.so"], ("run", "2 recorded artifacts missing or changed, first: a.so")),
    ("ensure", "match", [], [], ("keep", "signature matches and its 3 artifacts are present")),
])
def test_decide(state, verdict, changed, missing, expected):
    assert _stages.decide(state, verdict, changed, missing, 3) == expected


def test_one_kept_artifact_is_one():
    assert _stages.decide("ensure", "match", [], [], 1) == ("keep", "signature matches and its 1 artifact is present")


@pytest.mark.parametrize("code, elapsed, running, status", [
    (0, 1, True, "ok"), (1, 1, True, "failed"), (124, 10, True, "timeout"), (137, 20, True, "timeout"),
    (124, 1, True, "failed"), (0, 1, False, "failed"), (137, 20, False, "failed"), (None, 1, False, "failed"),
])
def test_outcome(code, elapsed, running, status):
    assert _stages.outcome(code, elapsed, 10, running) == status


@pytest.mark.parametrize("name, params", [
    ("E=8,N=64,device_name=NVIDIA_GH200_480GB.json",
     {"E": 8, "N": 64, "dtype": None, "block_shape": None, "per_channel_quant": False}),
    ("E=256,N=256,device_name=NVIDIA_H200,dtype=fp8_w8a8,block_shape=[128, 128].json",
     {"E": 256, "N": 256, "dtype": "fp8_w8a8", "block_shape": [128, 128], "per_channel_quant": False}),
    ("E=128,N=768,device_name=NVIDIA_GH200_480GB,dtype=int8_w8a8,per_channel_quant=True.json",
     {"E": 128, "N": 768, "dtype": "int8_w8a8", "block_shape": None, "per_channel_quant": True}),
    ("compile.log", None),
    ("E=8,N=64.json", None),
])
def test_a_tuned_moe_file_name_gives_back_its_parameters(name, params):
    assert _stages.moe_name_params(name) == params


def test_a_tuned_name_the_container_would_not_read_is_named_with_what_it_would():
    assert _stages.moe_mismatches(["E=8,N=64,device_name=cpu.json"], ["E=8,N=64,device_name=NVIDIA_GH200_480GB.json"]) == [
        "the tuner wrote E=8,N=64,device_name=cpu.json, but this SGLang reads E=8,N=64,device_name=NVIDIA_GH200_480GB.json"]
    assert _stages.moe_mismatches(["a.json"], ["a.json"]) == []


def test_a_local_triton_version_keeps_its_release_folder():
    assert _stages.moe_config_path("/p", "3.6.0+git1a2b", "f.json") == "/p/configs/triton_3_6_0/f.json"


@pytest.mark.parametrize("stage", _stages.STAGE_NAMES)
def test_every_stage_has_an_sglang_default_command_that_renders_with_the_default_arguments(stage):
    values = dict(_stages.DEFAULT_ARGS, model_path="/models/org/m", cache_dir="/profiles/x", timeout="60")
    argv = _stages.render_argv(stage, _stages.DEFAULT_COMMANDS[stage], values)
    assert argv[0] == "python3" and "/models/org/m" in argv
    if stage in ("inductor", "flashinfer"):
        assert argv[1:3] == ["-c", _stages.WARM_SERVER]
        assert ("--enable-torch-compile" in argv) == (stage == "inductor")
        assert argv[argv.index("--attention-backend") + 1] == "flashinfer"  # the inductor stage traces the server's


def test_damaged_names_missing_changed_and_replaced_artifacts(tmp_path):
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "same.so").write_bytes(b"x" * 4)
    (tmp_path / "k" / "cut.so").write_bytes(b"x")
    (tmp_path / "k" / "link.so").symlink_to(tmp_path / "k" / "same.so")
    record = {"artifacts": ["k/cut.so", "k/gone.so", "k/link.so", "k/same.so", "k/unsized.so"],
              "sizes": {"k/cut.so": 4, "k/same.so": 4, "k/link.so": 4}}
    (tmp_path / "k" / "unsized.so").write_bytes(b"")  # an older record without sizes: presence only
    assert _stages.damaged(str(tmp_path), record) == ["k/cut.so (4 -> 1 bytes)", "k/gone.so (missing)",
                                                      "k/link.so (not a regular file)"]


# The quantization_config of an FP8 block-quantized model (Qwen3-Next-80B-A3B-Thinking-FP8's shape) and of an INT8 one.
FP8_BLOCK = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [128, 128]}


@pytest.mark.parametrize("dtype, config, expected", [
    ("auto", {"quantization_config": FP8_BLOCK}, "fp8_w8a8"),
    ("auto", {"quantization_config": {"quant_method": "w8a8_int8"}}, "int8_w8a8"),
    ("auto", {"torch_dtype": "bfloat16"}, "auto"),
    ("auto", None, "auto"),
    ("auto", {"quantization_config": "fp8"}, "auto"),
    ("int8_w8a16", {"quantization_config": FP8_BLOCK}, "int8_w8a16"),  # what the inventory says wins
])
def test_the_moe_tuner_dtype_follows_the_model_quantization(dtype, config, expected):
    assert _stages.moe_dtype(dtype, config) == expected


def fake_sglang(top, where):
    """A sglang package whose get_config_file_name lives at ``where`` (a dotted module path), as one version has it."""
    parts = where.split(".")
    for i in range(1, len(parts) + 1):
        folder = top.joinpath(*parts[:i])
        folder.mkdir(parents=True, exist_ok=True)
        init = folder / "__init__.py"
        if not init.exists():
            init.write_text("")
    (top.joinpath(*parts) / "__init__.py").write_text(
        "def get_config_file_name(E, N, dtype, block_shape=None, per_channel_quant=False):\n"
        "    return 'E=%d,N=%d,device_name=GH200,dtype=%s%s.json' % (E, N, dtype, ',block_shape=%s' % block_shape if block_shape else '')\n")


@pytest.mark.parametrize("where", [
    "sglang.srt.layers.moe.moe_runner.triton_utils.fused_moe_triton_config",
    "sglang.srt.layers.moe.fused_moe_triton.fused_moe_triton_config",
    "sglang.srt.layers.moe.fused_moe_triton",
])
def test_the_moe_name_probe_finds_get_config_file_name_where_each_sglang_keeps_it(tmp_path, where):
    fake_sglang(tmp_path, where)
    params = [{"E": 8, "N": 64, "dtype": "fp8_w8a8", "block_shape": [128, 128], "per_channel_quant": False}]
    out = subprocess.run([sys.executable, "-c", _stages.MOE_NAME_PROBE, json.dumps(params)], env=dict(os.environ, PYTHONPATH=str(tmp_path)),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == ["E=8,N=64,device_name=GH200,dtype=fp8_w8a8,block_shape=[128, 128].json"]


def test_the_moe_name_probe_says_where_it_looked_when_no_sglang_has_it(tmp_path):
    (tmp_path / "sglang").mkdir()
    (tmp_path / "sglang" / "__init__.py").write_text("")
    out = subprocess.run([sys.executable, "-c", _stages.MOE_NAME_PROBE, "[]"], env=dict(os.environ, PYTHONPATH=str(tmp_path)),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    assert out.returncode == 1 and "no get_config_file_name in this SGLang: tried sglang.srt.layers.moe.moe_runner" in out.stderr


def test_the_server_gets_every_stage_s_cache_variables_from_the_stages_own_definition():
    env = _stages.server_cache_env("/profiles", extra={"TORCHINDUCTOR_CACHE_DIR": "/elsewhere", "HF_HOME": "/hf"})
    for stage in _stages.STAGE_NAMES:
        for key, value in _stages.stage_env(stage, "/profiles").items():
            assert env[key] == value  # the same value the stage ran with; the server's own env never overrides it
    assert env["TRITON_CACHE_DIR"] == "/profiles/inductor/triton" and env["HF_HOME"] == "/hf"
    assert len(env) == 6


def test_the_server_gets_no_variable_of_a_stage_phase_2_did_not_build():
    env = _stages.server_cache_env("/profiles", extra={"HF_HOME": "/hf"}, stages=["deep_gemm", "flashinfer"])
    assert env == dict(_stages.stage_env("deep_gemm", "/profiles"), HF_HOME="/hf", **_stages.stage_env("flashinfer", "/profiles"))
    assert "TORCHINDUCTOR_CACHE_DIR" not in env and "TRITON_CACHE_DIR" not in env and "SGLANG_MOE_CONFIG_DIR" not in env
    assert _stages.server_cache_env("/profiles", stages=[]) == {}


def test_env_problems_name_each_missing_or_misdirected_variable():
    expected = {"A": "/profiles/a", "B": "/profiles/b", "C": "/profiles/c"}
    assert _stages.env_problems(expected, dict(expected)) == []
    assert _stages.env_problems(expected, {"A": "/profiles/a", "B": "/tmp/b"}) == ["B is /tmp/b, not /profiles/b", "C is not set"]
    assert _stages.env_problems(expected, {"A": None}) == ["A is not set", "B is not set", "C is not set"]


def test_a_quiet_stage_names_what_it_waits_on_or_that_nothing_is_held():
    waits = ["build/lock (a build's baton, held while it exists, written 2026-11-22T09:00:00Z)"]
    assert _stages.quiet_line(1201.7, 1200, waits) == (
        "no output for 1201 s (the stage's quiet_timeout is 1200 s), so it was stopped; it waits on "
        "build/lock (a build's baton, held while it exists, written 2026-11-22T09:00:00Z)")
    assert _stages.quiet_line(5, 5, []).endswith("; no lock file or baton is in its folder, so it hung on something "
                                                 "else (its log ends with its last line)")


def test_each_stage_records_the_server_arguments_its_kernels_are_for():
    values = dict(_stages.DEFAULT_ARGS, tp_size="2", torch_compile_max_bs="16")
    assert _stages.kernel_args("flashinfer", values) == {"attention_backend": "flashinfer", "tp_size": 2}
    assert _stages.kernel_args("inductor", values) == {"attention_backend": "flashinfer", "enable_torch_compile": True,
                                                       "torch_compile_max_bs": 16, "tp_size": 2}
    assert _stages.kernel_args("inductor", dict(values, attention_backend="fa3"))["attention_backend"] == "fa3"
    assert _stages.kernel_args("deep_gemm", values) == {"tp_size": 2}
    assert _stages.kernel_args("moe", values) == {"tp_size": 2}
    for stage in _stages.STAGE_NAMES:  # what is recorded is what a server may be given
        assert not [k for k, v in _stages.kernel_args(stage, values).items() if _stages.kernel_arg_problem(k, v)]


def test_the_inductor_stage_traces_the_attention_backend_the_server_runs():
    values = dict(_stages.DEFAULT_ARGS, model_path="/models/org/m")
    argv = _stages.render_argv("inductor", _stages.DEFAULT_COMMANDS["inductor"], values)
    assert argv[argv.index("--attention-backend") + 1] == "flashinfer"
    argv = _stages.render_argv("inductor", _stages.DEFAULT_COMMANDS["inductor"], dict(values, attention_backend="fa3"))
    assert argv[argv.index("--attention-backend") + 1] == "fa3"
    with pytest.raises(_stages.StageProblem, match=r"stage argument attention_backend: attention_backend='FA3' is not a lowercase name"):
        _stages.kernel_args("inductor", dict(values, attention_backend="FA3"))


@pytest.mark.parametrize("value", ["auto", "0", "-1", ""])
def test_a_kernel_count_that_is_not_a_positive_integer_is_named(value):
    with pytest.raises(_stages.StageProblem, match=r"stage argument tp_size=.* is not a positive integer \(the server's tp_size\)"):
        _stages.kernel_args("deep_gemm", dict(_stages.DEFAULT_ARGS, tp_size=value))


def test_the_stages_built_give_their_warmed_arguments_merged_with_their_sources():
    entries = {"flashinfer": {"status": "ok", "server_args": {"attention_backend": "flashinfer", "tp_size": 1}},
               "inductor": {"status": "ok", "server_args": {"enable_torch_compile": True, "torch_compile_max_bs": 32, "tp_size": 1}},
               "deep_gemm": {"status": "ok"},  # recorded before the arguments were kept: adds nothing
               "moe": {"status": "failed", "server_args": {"tp_size": 8}}}
    args, sources, problems = _stages.warmed_args(entries, ["deep_gemm", "flashinfer", "inductor"])
    assert args == {"attention_backend": "flashinfer", "enable_torch_compile": True, "torch_compile_max_bs": 32, "tp_size": 1}
    assert sources["tp_size"] == ["flashinfer", "inductor"] and sources["attention_backend"] == ["flashinfer"]
    assert problems == []


@pytest.mark.parametrize("recorded, problem", [
    ({"host": "0.0.0.0"}, "stage inductor: host is not a kernel-selecting server argument"),
    ({"api_key": "x"}, "stage inductor: api_key is not a kernel-selecting server argument"),
    ({"enable_torch_compile": "yes"}, "stage inductor: enable_torch_compile='yes' is not true or false"),
    ({"tp_size": True}, "stage inductor: tp_size=True is not an integer from 1 to 65536"),
    ({"tp_size": "1"}, "stage inductor: tp_size='1' is not an integer from 1 to 65536"),
    ({"torch_compile_max_bs": 0}, "stage inductor: torch_compile_max_bs=0 is not an integer from 1 to 65536"),
    ({"attention_backend": "fa3 --host 0.0.0.0"}, "stage inductor: attention_backend='fa3 --host 0.0.0.0' is not a lowercase name"),
    (["tp_size"], "stage inductor: server_args is not a mapping"),
])
def test_a_planted_recorded_argument_is_refused_by_name_and_never_given(recorded, problem):
    args, sources, problems = _stages.warmed_args({"inductor": {"status": "ok", "server_args": recorded}}, ["inductor"])
    assert args == {} and sources == {}
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_two_stages_that_warmed_different_values_are_named_and_the_key_left_out():
    entries = {"flashinfer": {"server_args": {"tp_size": 1, "attention_backend": "flashinfer"}},
               "deep_gemm": {"server_args": {"tp_size": 2}}}
    args, sources, problems = _stages.warmed_args(entries, ["flashinfer", "deep_gemm"])
    assert args == {"attention_backend": "flashinfer"} and "tp_size" not in sources
    assert problems == ["tp_size: stage deep_gemm warmed 2, stage flashinfer 1"]


def test_a_server_argument_other_than_phase_2_warmed_is_named_with_its_stage():
    warmed = {"attention_backend": "flashinfer", "enable_torch_compile": True, "torch_compile_max_bs": 32, "tp_size": 1}
    sources = {"attention_backend": ["flashinfer"], "enable_torch_compile": ["inductor"], "torch_compile_max_bs": ["inductor"],
               "tp_size": ["flashinfer", "inductor"]}
    parsed = {"attention_backend": "triton", "enable_torch_compile": True, "torch_compile_max_bs": 32, "tp_size": 1, "port": 30000}
    assert _stages.arg_differences(warmed, sources, parsed) == [
        'attention_backend: the server runs with "triton", phase 2 warmed "flashinfer" (flashinfer)']
    assert _stages.arg_differences(warmed, sources, dict(parsed, attention_backend="flashinfer")) == []
    assert _stages.arg_differences(warmed, sources, {}) == [  # an SGLang whose parser has none of them
        'attention_backend: the server runs with null, phase 2 warmed "flashinfer" (flashinfer)',
        'enable_torch_compile: the server runs with null, phase 2 warmed true (inductor)',
        'torch_compile_max_bs: the server runs with null, phase 2 warmed 32 (inductor)',
        'tp_size: the server runs with null, phase 2 warmed 1 (flashinfer, inductor)']


def test_the_stages_a_server_was_pointed_at_come_back_from_its_cache_variables():
    env = _stages.server_cache_env("/profiles", stages=["inductor", "deep_gemm"])
    assert _stages.stages_pointed_at(env) == ["inductor", "deep_gemm"]
    assert _stages.stages_pointed_at(dict(env, EXTRA="1")) == ["inductor", "deep_gemm"]
    half = dict(env)
    del half["TRITON_CACHE_DIR"]  # one of the inductor stage's two variables: not pointed at that stage
    assert _stages.stages_pointed_at(half) == ["deep_gemm"]
    assert _stages.stages_pointed_at(dict(env, SGLANG_DG_CACHE_DIR="/elsewhere")) == ["inductor"]
    assert _stages.stages_pointed_at({}) == [] and _stages.stages_pointed_at(None) == []
