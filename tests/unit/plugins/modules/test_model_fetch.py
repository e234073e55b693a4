"""gh200.sglang.model_fetch with the real huggingface_hub client against the hub stand-in on loopback
(tests/testbed/hub_standin.py), serving the test bed's tiny model (.cache/tiny-model, made by scripts/setup.sh)."""
import json
import os
import shutil
import sys
import threading

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _model
from ansible_collections.gh200.sglang.plugins.modules import model_fetch

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "testbed"))
import hub_standin  # noqa: E402

TINY = os.path.join(REPO, ".cache", "tiny-model")
MODEL = "standin/tiny-model"
SHARD2 = "model-00002-of-00002.safetensors"


@pytest.fixture
def hub(tmp_path):
    """The stand-in hub serving the tiny model as standin/tiny-model (and a gated copy as standin/gated-model)."""
    if not os.path.isdir(TINY):
        pytest.fail("%s is missing: run scripts/setup.sh" % TINY)
    repos = tmp_path / "repos"
    shutil.copytree(TINY, str(repos / MODEL))
    shutil.copytree(TINY, str(repos / "standin" / "gated-model"))
    (repos / "standin" / "gated-model" / ".standin.json").write_text(json.dumps({"gated": True, "token": "hf_secret_value_123"}))
    server = hub_standin.Hub(str(repos))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def root(tmp_path):
    tree = tmp_path / "tree"
    (tree / "models").mkdir(parents=True)
    return tree


def faults(hub, model, **kw):
    with open(os.path.join(hub.repos, model, ".standin.json"), "w") as f:
        json.dump(kw, f)


def state(path):
    """Every path under ``path`` with its size and mode: what a run that changes nothing leaves as it was."""
    out = []
    for top, dirs, files in os.walk(str(path)):
        for name in sorted(dirs + files):
            full = os.path.join(top, name)
            info = os.lstat(full)
            out.append((os.path.relpath(full, str(path)), info.st_size, info.st_mode))
    return sorted(out)


def fetch(run_module, hub, root, **kw):
    args = dict(models=[MODEL], root=str(root), host_user="root", endpoint=hub.endpoint, timeout=60)
    args.update(kw)
    return run_module(model_fetch.main, args)


def gets(hub, name=""):
    return [r for r in hub.requests() if r.startswith("GET /standin/") and name in r]


def test_a_fresh_fetch_is_complete_then_a_second_run_fetches_nothing(run_module, hub, root):
    code, out = fetch(run_module, hub, root)
    assert code == 0 and out["changed"] and out["problems"] == [], out
    (entry,) = out["models"]
    assert len(entry["commit"]) == 40 and entry["files"] == len(os.listdir(TINY)) and sorted(entry["fetched"]) == sorted(os.listdir(TINY))
    model_dir = str(root / "models" / MODEL)
    inspected = _model.inspect(model_dir, str(root))
    # huggingface_hub leaves its released locks behind: they are not a partial download.
    assert inspected["problem_count"] == 0 and os.listdir(os.path.join(model_dir, ".cache", "huggingface", "download")), inspected
    assert "fetched %d of %d files" % (entry["files"], entry["files"]) in out["summary"]
    before, requests = state(root), len(hub.requests())
    code, out = fetch(run_module, hub, root)
    assert code == 0 and not out["changed"] and out["models"][0]["fetched"] == [] and out["problems"] == [], out
    assert state(root) == before and len(gets(hub)) == len(os.listdir(TINY))
    assert all("/resolve/" not in r for r in hub.requests()[requests:]), hub.requests()[requests:]


def test_check_mode_lists_what_it_would_fetch_and_writes_nothing(run_module, hub, root):
    before = state(root)
    code, out = fetch(run_module, hub, root, _ansible_check_mode=True)
    assert code == 0 and out["changed"] and sorted(out["models"][0]["fetched"]) == sorted(os.listdir(TINY)), out
    assert "would fetch" in out["summary"] and state(root) == before and gets(hub) == []


def test_a_download_cut_mid_shard_is_resumed_with_a_ranged_request(run_module, hub, root):
    """The client writes what it received in 10 MiB chunks: a 24 MiB shard cut after 11 MiB is resumed from 10 MiB."""
    big = os.path.join(hub.repos, "standin", "big-model")
    os.makedirs(big)
    shutil.copy(os.path.join(TINY, "config.json"), big)
    with open(os.path.join(big, "model.safetensors"), "wb") as f:
        f.write(os.urandom(24 * 1024 * 1024))
    faults(hub, "standin/big-model", cut={"model.safetensors": 11 * 1024 * 1024})
    code, out = fetch(run_module, hub, root, models=["standin/big-model"])
    assert code == 0 and out["problems"] == [] and out["changed"], out
    assert [r.split(" ", 2)[2:] for r in gets(hub, "model.safetensors")] == [[], ["bytes=%d-" % (10 * 1024 * 1024)]], hub.requests()
    with open(os.path.join(big, "model.safetensors"), "rb") as a, open(str(root / "models" / "standin" / "big-model" / "model.safetensors"), "rb") as b:
        assert a.read() == b.read()


def test_a_file_with_the_wrong_hash_is_named_removed_and_fetched_again_by_the_next_run(run_module, hub, root):
    faults(hub, MODEL, corrupt=[SHARD2])
    code, out = fetch(run_module, hub, root)
    assert code == 0 and out["changed"], out
    (bad,) = out["models"][0]["bad"]
    assert bad.startswith(SHARD2 + ": sha256 ") and ", the hub lists " in bad, bad
    assert out["problems"] == ["%s: %s" % (MODEL, bad)]
    assert not os.path.exists(str(root / "models" / MODEL / SHARD2))
    faults(hub, MODEL)
    code, out = fetch(run_module, hub, root)
    assert code == 0 and out["models"][0]["fetched"] == [SHARD2] and out["problems"] == [], out


def test_a_gated_repo_without_a_token_is_one_line_and_writes_nothing(run_module, hub, root):
    before = state(root)
    code, out = fetch(run_module, hub, root, models=["standin/gated-model"])
    assert code == 0 and not out["changed"], out
    assert out["problems"] == ["standin/gated-model is gated: the hub at %s refused it without a token "
                               "(give host_prep_model_fetch_token_file)" % hub.endpoint]
    assert state(root) == before


def test_a_gated_repo_with_a_token_file_is_fetched_and_the_token_is_never_returned(run_module, hub, root, tmp_path):
    token = tmp_path / "hf_token"
    token.write_text("hf_secret_value_123\n")
    token.chmod(0o600)
    code, out = fetch(run_module, hub, root, models=["standin/gated-model"], token_file=str(token))
    assert code == 0 and out["problems"] == [] and out["changed"], out
    assert "hf_secret_value_123" not in json.dumps(out)
    token.chmod(0o644)
    before = state(root)
    code, out = fetch(run_module, hub, root, models=["standin/gated-model"], token_file=str(token))
    assert code == 1 and out["msg"] == ("model fetch of standin/gated-model: token file %s has mode 0644: it must be 0400 "
                                        "or 0600 (its owner's only)" % token), out
    assert state(root) == before


def test_a_repo_off_the_allowlist_is_refused_before_any_request(run_module, hub, root):
    before = state(root)
    code, out = fetch(run_module, hub, root, allowlist=["Qwen/*"])
    assert code == 1 and out["msg"] == "model 'standin/tiny-model' is not on the model allowlist (Qwen/*)", out
    assert hub.requests() == [] and state(root) == before


def test_a_stalled_download_ends_at_the_timeout_with_one_line(run_module, hub, root):
    faults(hub, MODEL, stall={SHARD2: 30})
    code, out = fetch(run_module, hub, root, timeout=3)
    assert code == 0 and out["changed"], out
    assert out["problems"] == ["the fetch of %s did not end within 3 s (timeout); what it fetched stays for the next run to resume" % MODEL]


def test_the_fetch_runs_only_as_the_host_user(run_module, hub, root):
    code, out = fetch(run_module, hub, root, host_user="nobody")
    assert code == 1 and out["msg"].startswith("model fetch of standin/tiny-model: the fetch runs as the host user nobody (uid "), out
    assert hub.requests() == []


def test_a_models_dir_through_a_symlink_out_of_the_tree_is_refused(run_module, hub, root, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(str(root / "models"))
    (root / "models").symlink_to(outside)
    code, out = fetch(run_module, hub, root)
    assert code == 1 and "symlink" in out["msg"] and out["msg"].startswith("model fetch of standin/tiny-model: model directory"), out
    assert os.listdir(str(outside)) == [] and hub.requests() == []
