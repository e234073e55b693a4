"""The model directory check: every fault named, with the file, and nothing on disk changed."""
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import struct

import numpy as np
import pytest
from safetensors.numpy import save_file

from ansible_collections.gh200.sglang.plugins.module_utils import _model, _tree
from ansible_collections.gh200.sglang.plugins.modules import model_files

MAKER = os.path.join(os.path.dirname(__file__), "..", "..", "..", "testbed", "make-tiny-model.py")
MODEL = "standin/tiny-model"
SHARD1, SHARD2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("make_tiny_model", MAKER)
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    dest = tmp_path_factory.mktemp("made") / "tiny"
    maker.main(str(dest))
    return dest


@pytest.fixture
def tree(tmp_path, tiny_model):
    """A host tree with the tiny model at models/standin/tiny-model; returns (root, model dir)."""
    root = tmp_path / "tree"
    model = root / "models" / MODEL
    shutil.copytree(tiny_model, model)
    return root, model


def snapshot(path):
    """Every entry under path with its type, size, mode, mtime and content hash."""
    out = {}
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            p = os.path.join(top, name)
            st = os.lstat(p)
            digest = hashlib.sha256(open(p, "rb").read()).hexdigest() if os.path.isfile(p) and not os.path.islink(p) else None
            out[p] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return out


def inspect(root, model):
    return _model.inspect(str(model), os.path.realpath(str(root)))


def only(result, category):
    """The problems of one category, asserting every other category is clean."""
    others = dict((c, v) for c, v in result["problems"].items() if c != category and v)
    assert not others, others
    return result["problems"][category]


def test_the_tiny_model_is_complete_and_its_facts_are_read(tree):
    root, model = tree
    result = inspect(root, model)
    assert result["problem_count"] == 0, result["problems"]
    assert result["config"]["architecture"] == "LlamaForCausalLM"
    assert result["config"]["max_position_embeddings"] == 256
    assert result["config"]["torch_dtype"] == "float32"
    assert result["weights"]["files"] == 2 and result["weights"]["index"] == "model.safetensors.index.json"
    assert all(s["bytes"] == s["declared_bytes"] for s in result["weights"]["shards"])
    assert "tokenizer.json" in result["tokenizer"]


def test_a_deleted_shard_is_named(tree):
    root, model = tree
    (model / SHARD2).unlink()
    before = snapshot(root)
    problems = only(inspect(root, model), "weights")
    assert problems == ["shard %s is missing (named in model.safetensors.index.json)" % SHARD2]
    assert snapshot(root) == before


def test_a_truncated_shard_is_named_with_both_sizes(tree):
    root, model = tree
    size = (model / SHARD1).stat().st_size
    os.truncate(model / SHARD1, size - 100)
    before = snapshot(root)
    problems = only(inspect(root, model), "weights")
    assert problems == ["%s is truncated: its header declares %d bytes, the file has %d" % (SHARD1, size, size - 100)]
    assert snapshot(root) == before


def test_trailing_bytes_are_named(tree):
    root, model = tree
    with open(model / SHARD2, "ab") as handle:
        handle.write(b"\0" * 7)
    assert only(inspect(root, model), "weights")[0].startswith("%s has 7 bytes beyond what its header declares" % SHARD2)


@pytest.mark.parametrize("damage, cause", [
    (lambda b: struct.pack("<Q", 1 << 40) + b[8:], "over the 100 MB limit"),
    (lambda b: struct.pack("<Q", len(b)) + b[8:], "runs past the end of the file"),
    (lambda b: b[:8] + b"#" + b[9:], "header is not JSON"),
    (lambda b: b[:3], "too short for a safetensors header"),
])
def test_a_corrupt_header_is_named(tree, damage, cause):
    root, model = tree
    data = (model / SHARD1).read_bytes()
    (model / SHARD1).write_bytes(damage(data))
    before = snapshot(root)
    problems = only(inspect(root, model), "weights")
    assert len(problems) == 1 and problems[0].startswith(SHARD1 + ": ") and cause in problems[0], problems
    assert snapshot(root) == before


def test_reading_a_header_never_reads_the_weights(tree, monkeypatch):
    root, model = tree
    (length,) = struct.unpack("<Q", (model / SHARD1).read_bytes()[:8])
    read = []
    real_read = os.read

    def counting_read(fd, n):
        data = real_read(fd, n)
        read.append(len(data))
        return data

    monkeypatch.setattr(_model.os, "read", counting_read)
    facts, problem = _model.check_safetensors(str(model / SHARD1), (model / SHARD1).stat().st_size)
    assert problem == "" and facts["tensors"] == 10
    assert sum(read) == 8 + length < (model / SHARD1).stat().st_size


def test_a_shard_that_lacks_a_mapped_tensor_is_named(tree):
    root, model = tree
    index = json.loads((model / "model.safetensors.index.json").read_text())
    index["weight_map"]["model.extra.weight"] = SHARD2
    (model / "model.safetensors.index.json").write_text(json.dumps(index))
    assert only(inspect(root, model), "weights") == [
        "%s lacks 1 tensors that model.safetensors.index.json maps to it, first: model.extra.weight" % SHARD2]


def test_an_index_naming_a_path_outside_the_directory_is_refused(tree):
    root, model = tree
    index = {"weight_map": {"a": "../other/model.safetensors"}}
    (model / "model.safetensors.index.json").write_text(json.dumps(index))
    assert "outside the model directory" in only(inspect(root, model), "weights")[0]


def test_a_single_file_model_without_index(tmp_path):
    root = tmp_path / "tree"
    model = root / "models" / "org" / "one"
    model.mkdir(parents=True)
    (model / "config.json").write_text('{"architectures": ["X"], "text_config": {"max_position_embeddings": 8}, "dtype": "bfloat16"}')
    (model / "tokenizer.model").write_bytes(b"spm")
    save_file({"w": np.zeros((2, 3), np.float16)}, str(model / "model.safetensors"))
    result = inspect(root, model)
    assert result["problem_count"] == 0, result["problems"]
    assert (result["config"]["max_position_embeddings"], result["config"]["torch_dtype"]) == (8, "bfloat16")
    assert result["weights"]["index"] is None and result["weights"]["tensors"] == 1
    os.truncate(model / "model.safetensors", (model / "model.safetensors").stat().st_size - 1)
    assert "model.safetensors is truncated" in only(inspect(root, model), "weights")[0]


def test_no_weights_at_all(tree):
    root, model = tree
    for name in (SHARD1, SHARD2, "model.safetensors.index.json"):
        (model / name).unlink()
    assert only(inspect(root, model), "weights") == ["no weights: expected model.safetensors or model.safetensors.index.json"]


@pytest.mark.parametrize("content, problem", [
    (None, "config.json is missing"),
    ("{not json", "config.json does not parse"),
    ("[1]", "config.json is not a JSON object"),
    ('{"model_type": "llama"}', "config.json names no architectures"),
])
def test_config_faults(tree, content, problem):
    root, model = tree
    if content is None:
        (model / "config.json").unlink()
    else:
        (model / "config.json").write_text(content)
    assert only(inspect(root, model), "config")[0].startswith(problem)


def test_tokenizer_faults_and_the_vocabulary_alternative(tree):
    root, model = tree
    (model / "tokenizer.json").write_text("{truncated")
    assert only(inspect(root, model), "tokenizer")[0].startswith("tokenizer.json does not parse")
    (model / "tokenizer.json").unlink()
    assert only(inspect(root, model), "tokenizer")[0].startswith("no tokenizer")
    (model / "vocab.json").write_text("{}")
    assert inspect(root, model)["problem_count"] == 0


def test_partial_downloads_are_named_with_their_paths(tree):
    root, model = tree
    download = model / ".cache" / "huggingface" / "download"
    download.mkdir(parents=True)
    (download / "x.safetensors.incomplete").write_bytes(b"")
    (download / "x.safetensors.lock").write_bytes(b"")
    (download / "x.safetensors.metadata").write_bytes(b"")
    (download / "done.safetensors.lock").write_bytes(b"")  # released: huggingface_hub leaves it after a download
    os.mkfifo(str(download / "fifo.lock"))  # not a regular file: cannot be told apart, named (and never blocks)
    (model / "unrelated.lock").write_bytes(b"")
    with open(str(download / "x.safetensors.lock"), "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as huggingface_hub's download holds it
        problems = only(inspect(root, model), "partial")
    assert problems == ["partial download left: %s" % (download / n) for n in ("fifo.lock", "x.safetensors.incomplete", "x.safetensors.lock")]
    os.unlink(str(download / "fifo.lock"))
    (download / "x.safetensors.incomplete").unlink()
    assert only(inspect(root, model), "partial") == []


def test_symlinks_inside_the_tree_are_followed_and_leaving_ones_are_not(tree, tmp_path):
    root, model = tree
    blobs = root / "models" / "blobs"
    blobs.mkdir()
    (model / SHARD1).rename(blobs / "abc")
    (model / SHARD1).symlink_to(blobs / "abc")
    assert inspect(root, model)["problem_count"] == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    (model / SHARD2).rename(outside / SHARD2)
    (model / SHARD2).symlink_to(outside / SHARD2)
    problems = only(inspect(root, model), "weights")
    assert problems[0] == "shard %s is missing (named in model.safetensors.index.json)" % SHARD2
    assert problems[1].startswith("symlink leaves the host tree: %s -> " % (model / SHARD2))


def test_a_model_directory_leading_out_is_refused_before_reading(tmp_path):
    root = tmp_path / "tree"
    (root / "models" / "org").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (root / "models" / "org" / "m").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(_tree.OptionProblem) as exc:
        _tree.confine(str(root), "model directory", "models/org/m")
    assert str(exc.value) == "model directory: %s is a symlink to %s, outside the host tree root %s" % (
        root / "models/org/m", tmp_path / "elsewhere", root)


@pytest.mark.parametrize("model, allowlist, problem", [
    ("Qwen/Qwen3-8B", [], ""),
    ("Qwen/Qwen3-8B", ["Qwen/*"], ""),
    ("Qwen/Qwen3-8B", ["meta-llama/Llama-3.1-8B", "Qwen/Qwen3-8B"], ""),
    ("Qwen/Qwen3-8B", ["meta-llama/*"], "model 'Qwen/Qwen3-8B' is not on the model allowlist (meta-llama/*)"),
    ("qwen/Qwen3-8B", ["Qwen/*"], "model 'qwen/Qwen3-8B' is not on the model allowlist (Qwen/*)"),
    ("Qwen", [], "model 'Qwen' is not a Hugging Face repo id (org/name, each at most 96 characters)"),
    ("../etc/passwd", [], "model '../etc/passwd' is not a Hugging Face repo id (org/name, each at most 96 characters)"),
    ("a/b/c", [], "model 'a/b/c' is not a Hugging Face repo id (org/name, each at most 96 characters)"),
    ("a/..b", [], "model 'a/..b' is not a Hugging Face repo id (org/name, each at most 96 characters)"),
    ("org/" + "m" * 96, [], ""),
    ("org/" + "m" * 97, [], "model 'org/%s... (101 characters) is not a Hugging Face repo id (org/name, each at most 96 characters)"
     % ("m" * 75)),
    ("org/m\n", [], "model 'org/m\\n' is not a Hugging Face repo id (org/name, each at most 96 characters)"),
])
def test_policy(model, allowlist, problem):
    assert _model.policy_problem(model, allowlist) == problem


@pytest.mark.parametrize("dtype, shape, nbytes, ok", [
    ("F32", [2, 3], 24, True), ("BF16", [5], 10, True), ("F4", [3], 2, True),
    ("F32", [2, 3], 20, False), ("UNKNOWN", [2], 3, True),
])
def test_tensor_sizes_follow_dtype_and_shape(dtype, shape, nbytes, ok):
    header = {"t": {"dtype": dtype, "shape": shape, "data_offsets": [0, nbytes]}}
    if ok:
        assert _model.data_extent(header) == (["t"], nbytes)
    else:
        with pytest.raises(ValueError, match="declares 20 bytes"):
            _model.data_extent(header)


def test_holes_and_overlaps_in_the_data_are_named():
    hole = {"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}, "b": {"dtype": "U8", "shape": [2], "data_offsets": [3, 5]}}
    with pytest.raises(ValueError, match="'b' starts at byte 3 of the data, expected 2"):
        _model.data_extent(hole)


def test_the_module_fails_with_one_line_before_reading(run_module, tree, tmp_path, monkeypatch):
    root, model = tree
    (tmp_path / "elsewhere").mkdir()
    (root / "models" / "linked").symlink_to(tmp_path / "elsewhere")
    opened = []
    monkeypatch.setattr(_model, "inspect", lambda *a: opened.append(a))
    for args, msg in [
        ({"model": MODEL, "allowlist": ["Qwen/*"]}, "model 'standin/tiny-model' is not on the model allowlist (Qwen/*)"),
        ({"model": "standin"}, "model 'standin' is not a Hugging Face repo id (org/name, each at most 96 characters)"),
        ({"model": MODEL, "models_dir": "../x"}, "model standin/tiny-model: models_dir '../x' has an empty, '.' or '..' segment"),
        ({"model": MODEL, "models_dir": "/abs"}, "model standin/tiny-model: models_dir '/abs' is absolute"),
        ({"model": "linked/m"}, "model linked/m: model directory: %s is a symlink to %s, outside the host tree root %s" % (
            root / "models/linked", tmp_path / "elsewhere", root)),
    ]:
        code, result = run_module(model_files.main, dict(args, root=str(root)))
        assert code == 1 and result["msg"].startswith(msg), result["msg"]
    assert opened == []


def test_the_module_returns_facts_and_changes_nothing(run_module, tree):
    root, model = tree
    before = snapshot(root)
    code, result = run_module(model_files.main, {"model": MODEL, "root": str(root), "allowlist": ["standin/*"]})
    assert code == 0 and result["changed"] is False and result["problem_count"] == 0
    facts = result["ansible_facts"]["gh200_model_facts"]
    assert facts["config"]["max_position_embeddings"] == 256 and facts["path"] == str(model)
    assert result["summary"]["weights"].startswith("2 safetensors files (model.safetensors.index.json), 21 tensors")
    assert snapshot(root) == before


def test_the_deploy_mode_refuses_a_missing_or_disallowed_tool_model_before_reading(run_module, tree, monkeypatch):
    root, model = tree
    opened = []
    monkeypatch.setattr(_model, "inspect", lambda *a: opened.append(a))
    for args, msg in [
        ({"deploy_mode": "tool"}, "deploy mode 'tool' needs a tool model: set gh200_tool_model (an org/name repo id)"),
        ({"deploy_mode": "both", "tool_model": "standin/tool", "allowlist": [MODEL]},
         "gh200_tool_model: model 'standin/tool' is not on the model allowlist (standin/tiny-model)"),
    ]:
        code, result = run_module(model_files.main, dict(args, model=MODEL, root=str(root)))
        assert (code, result["msg"]) == (1, msg)
    assert opened == []


def test_deploy_mode_both_inspects_both_models_and_names_each_problem(run_module, tree, tiny_model):
    root, model = tree
    shutil.copytree(tiny_model, root / "models/standin/tool-model")
    os.truncate(root / "models/standin/tool-model" / SHARD2, 1300)
    before = snapshot(root)
    code, result = run_module(model_files.main, {"model": MODEL, "tool_model": "standin/tool-model",
                                                 "deploy_mode": "both", "root": str(root)})
    assert code == 0 and result["changed"] is False and result["problem_count"] == 1
    assert [(s["role"], s["model"], s["max_position_embeddings"]) for s in result["served"]] == [
        ("chat", MODEL, 256), ("tool", "standin/tool-model", 256)]
    assert only(result, "weights")[0].startswith("standin/tool-model: %s is truncated" % SHARD2)
    assert result["summary"]["config"].startswith(MODEL + ": ") and " | standin/tool-model: " in result["summary"]["config"]
    assert result["ansible_facts"]["gh200_model_facts"]["served"] == result["served"]
    # Deploy mode tool inspects the tool model alone.
    code, result = run_module(model_files.main, {"model": "standin/absent", "tool_model": "standin/tool-model",
                                                 "deploy_mode": "tool", "root": str(root)})
    assert [s["role"] for s in result["served"]] == ["tool"] and result["path"].endswith("standin/tool-model")
    assert snapshot(root) == before


@pytest.fixture
def store(tmp_path, tiny_model):
    """A shared model store outside the tree ``tmp_path/tree`` with the tiny model at <org>/<name>; returns (root, store)."""
    root = tmp_path / "tree"
    (root / "models").mkdir(parents=True)
    store = tmp_path / "store"
    shutil.copytree(tiny_model, store / MODEL)
    return root, store


def test_with_a_store_the_model_is_read_there_by_the_same_rules_and_nothing_changes(run_module, store, tmp_path):
    root, shared = store
    before = snapshot(tmp_path)
    code, result = run_module(model_files.main, {"model": MODEL, "root": str(root), "model_store": str(shared)})
    assert code == 0 and result["problem_count"] == 0 and result["path"] == str(shared / MODEL)
    assert snapshot(tmp_path) == before
    (shared / MODEL / SHARD2).write_bytes((shared / MODEL / SHARD2).read_bytes()[:-10])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (shared / MODEL / "tokenizer.json").rename(elsewhere / "tokenizer.json")
    (shared / MODEL / "tokenizer.json").symlink_to(elsewhere / "tokenizer.json")
    code, result = run_module(model_files.main, {"model": MODEL, "root": str(root), "model_store": str(shared)})
    weights = result["problems"]["weights"]
    assert code == 0 and any(p.startswith("%s is truncated" % SHARD2) for p in weights), weights
    link = "%s -> %s" % (shared / MODEL / "tokenizer.json", elsewhere / "tokenizer.json")
    assert "symlink leaves the model store %s: %s" % (shared, link) in weights


@pytest.mark.parametrize("where, cause", [
    ("relative", "model_store 'store' is not an absolute path"),
    ("missing", "model_store {tmp}/nope is not an existing directory"),
    ("inside", "model_store {tmp}/tree/models ({tmp}/tree/models) overlaps the host tree {tmp}/tree: name a folder outside it"),
    ("above", "model_store {tmp} ({tmp}) overlaps the host tree {tmp}/tree: name a folder outside it"),
])
def test_a_store_that_is_not_a_folder_apart_from_the_tree_is_refused_in_one_line_before_reading(
        run_module, store, tmp_path, monkeypatch, where, cause):
    root, dummy = store
    value = {"relative": "store", "missing": str(tmp_path / "nope"), "inside": str(root / "models"), "above": str(tmp_path)}[where]
    opened = []
    monkeypatch.setattr(_model, "inspect", lambda *a: opened.append(a))
    code, result = run_module(model_files.main, {"model": MODEL, "root": str(root), "model_store": value})
    assert code == 1 and result["msg"] == "model %s: %s" % (MODEL, cause.format(tmp=tmp_path)) and opened == []


def test_a_model_folder_in_the_store_leading_out_of_it_is_refused(run_module, store, tmp_path):
    root, shared = store
    (shared / "org").mkdir()
    (shared / "org" / "m").symlink_to(root / "models")
    code, result = run_module(model_files.main, {"model": "org/m", "root": str(root), "model_store": str(shared)})
    assert code == 1 and result["msg"] == "model org/m: model directory: %s is a symlink to %s, outside the host tree root %s" % (
        shared / "org/m", root / "models", shared)
