"""cache_plan: every stage's answer from one probe of the container, the same answer cache_stage gives in check
mode; a broken cache is never called kept; bad input is one error and nothing written."""
import json
import os

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _cache, _docker, _files, _prep, _signature
from ansible_collections.gh200.sglang.plugins.modules import cache_plan, cache_stage

MODEL = "org/tiny"
FACTS = {"versions": {"sglang": "0.5.5", "torch": "2.9.0+cpu", "triton": None, "flashinfer": None, "deep_gemm": None},
         "gpu": {"count": 0, "cuda": None}}


class Result(object):
    def __init__(self, exit_code, out, err=b""):
        self.exit_code, self.output = exit_code, (out, err)


class Container(object):
    """A running dev container whose version probe answers FACTS (or ``probe``), counting the probes."""

    def __init__(self, image="sha256:image-a", status="running", probe=None):
        self.attrs, self.status, self.id, self.probes = {"Image": image}, status, "c1", 0
        self.probe = probe or Result(0, (json.dumps(FACTS) + "\n").encode())

    def exec_run(self, argv, **kwargs):
        self.probes += 1
        return self.probe


class Client(object):
    def __init__(self, container):
        self.containers = self
        self.container = container

    def get(self, name):
        if self.container is None:
            raise _docker.NotFound("no such container: %s" % name)
        return self.container


@pytest.fixture
def engine(monkeypatch):
    """The fake engine the modules talk to; set ``engine.container`` to change what it holds."""
    holder = Client(Container())
    monkeypatch.setattr(_docker, "HAS_DOCKER", True)
    monkeypatch.setattr(_docker, "client", lambda module: holder)
    return holder


@pytest.fixture
def tree(tmp_path):
    """A host tree with the model and a deep_gemm cache signed for FACTS and image-a (two artifacts)."""
    model = tmp_path / "models" / "org" / "tiny"
    model.mkdir(parents=True)
    (model / "config.json").write_text('{"max_position_embeddings": 2048}')
    stage = tmp_path / "profiles" / "deep_gemm"
    (stage / "kernels").mkdir(parents=True)
    (stage / "kernels" / "a.cubin").write_bytes(b"x" * 64)
    (stage / "b.json").write_text("{}")
    where = _cache.layout(str(tmp_path), "deep_gemm", MODEL)
    inputs = _cache.inputs("deep_gemm", where, _cache.model_digest(str(model))[0], FACTS, "sha256:image-a")
    found = _prep.artifacts(str(stage))
    (stage / "signature.json").write_bytes(_files.json_bytes(_signature.record(inputs, found["files"], found["sizes"])))
    _prep.update(where["prep"], "deep_gemm", _prep.entry("ok", _signature.signature(inputs), 0, 1, found))
    return tmp_path


def snapshot(root):
    return sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*"))


def args(root, **more):
    return dict(dict(stages={"deep_gemm": "ensure", "inductor": "ensure", "moe": "skip"}, model=MODEL, root=str(root)), **more)


def test_one_probe_answers_every_stage_and_only_a_valid_signature_is_kept(run_module, engine, tree):
    before = snapshot(tree)
    code, result = run_module(cache_plan.main, args(tree))
    assert code == 0 and result["changed"] is False and engine.container.probes == 1
    stages = result["stages"]
    assert result["kept"] == ["deep_gemm"]
    assert stages["deep_gemm"]["decision"] == "kept" and stages["deep_gemm"]["reason"].endswith("its 2 artifacts are present")
    assert stages["deep_gemm"]["artifacts"]["count"] == 2 and stages["deep_gemm"]["recorded"]["status"] == "ok"
    assert (stages["inductor"]["decision"], stages["inductor"]["reason"]) == ("would run", "no valid signature")
    assert stages["inductor"]["check_skip"] == "check mode: the stage would run (no valid signature)"
    assert (stages["moe"]["decision"], stages["moe"]["check_skip"]) == ("would skip", "stage not enabled (state=skip)")
    assert snapshot(tree) == before


def test_the_answer_is_the_one_cache_stage_gives_in_check_mode(run_module, engine, tree):
    code, plan = run_module(cache_plan.main, args(tree))
    for stage, state in (("deep_gemm", "ensure"), ("inductor", "ensure"), ("moe", "skip")):
        code, one = run_module(cache_stage.main, dict(stage=stage, state=state, model=MODEL, root=str(tree),
                                                      _ansible_check_mode=True))
        assert code == 0
        for key in ("decision", "reason", "changed_inputs", "signature", "argv", "check_skip", "recorded", "artifacts"):
            assert plan["stages"][stage][key] == one[key], (stage, key)


@pytest.mark.parametrize("breakage, reason", [
    (lambda root: (root / "profiles/deep_gemm/kernels/a.cubin").write_bytes(b"x"),
     "1 recorded artifact missing or changed, first: kernels/a.cubin (64 -> 1 bytes)"),
    (lambda root: os.unlink(str(root / "profiles/deep_gemm/b.json")),
     "1 recorded artifact missing or changed, first: b.json (missing)"),
    (lambda root: (root / "models/org/tiny/config.json").write_text('{"max_position_embeddings": 4096}'),
     "signature mismatch: model_config changed"),
    (lambda root: (root / "profiles/deep_gemm/signature.json").write_text("{not json"), "no valid signature"),
])
def test_a_broken_cache_is_never_called_kept(run_module, engine, tree, breakage, reason):
    breakage(tree)
    code, result = run_module(cache_plan.main, args(tree))
    assert code == 0 and result["kept"] == []
    assert (result["stages"]["deep_gemm"]["decision"], result["stages"]["deep_gemm"]["reason"]) == ("would run", reason)


def test_another_image_or_a_reset_means_the_stage_runs(run_module, engine, tree):
    engine.container = Container(image="sha256:image-b")
    code, result = run_module(cache_plan.main, args(tree))
    assert result["stages"]["deep_gemm"]["changed_inputs"] == ["image_id"] and result["kept"] == []
    engine.container = Container()
    code, result = run_module(cache_plan.main, args(tree, reset=True))
    assert (result["stages"]["deep_gemm"]["decision"], result["stages"]["deep_gemm"]["reason"]) == ("would run", "reset=true")


def test_a_skip_already_recorded_needs_nothing(run_module, engine, tree):
    _prep.update(str(tree / "profiles" / "prep_result.json"), "moe", _prep.entry("skipped", None, 0, 0, {}))
    code, result = run_module(cache_plan.main, args(tree))
    assert result["stages"]["moe"]["decision"] == "skipped" and result["kept"] == ["deep_gemm"]


@pytest.mark.parametrize("change, container, msg", [
    (dict(stages={"deepgemm": "ensure"}), Container(), "stage 'deepgemm' is not one of flashinfer, inductor, deep_gemm, moe"),
    (dict(stages={"moe": "later"}), Container(), "stage moe: state 'later' is not one of ensure, rebuild, skip"),
    (dict(model="org/missing"), Container(), "model directory %s/models/org/missing does not exist"),
    (dict(model="../etc"), Container(), "is not a Hugging Face repo id"),
    (dict(stage_args={"tp_size": "1;rm"}), Container(), "stage deep_gemm: stage argument tp_size='1;rm' is not allowed"),
    (dict(commands={"inductor": ["python3", "{nope}"]}), Container(), "names {nope}, which is not a stage argument"),
    ({}, None, "container sglang-dev is missing: start it before the cache stages"),
    ({}, Container(status="exited"), "container sglang-dev is exited: start it before the cache stages"),
    ({}, Container(probe=Result(1, b"", b"Traceback\nModuleNotFoundError: json\n")),
     "the version probe failed (rc=1): ModuleNotFoundError: json in container sglang-dev"),
])
def test_bad_input_is_one_error_and_nothing_is_written(run_module, engine, tree, change, container, msg):
    engine.container = container
    before = snapshot(tree)
    code, result = run_module(cache_plan.main, args(tree, **change))
    assert code == 1 and "\n" not in result["msg"]
    assert (msg % tree if "%s" in msg else msg) in result["msg"]
    assert snapshot(tree) == before


def test_no_stage_asks_nothing(run_module, engine, tree):
    code, result = run_module(cache_plan.main, args(tree, stages={}))
    assert code == 0 and result["stages"] == {} and engine.container.probes == 0
