"""The model, verified file by file: each fault of a half-finished download makes its phase-0 check
`failed` with the file named, and the run changes nothing in the model directory. Each run breaks both healthy
hosts' models, each with a case of its own, and each case repairs what it broke."""
import os
import shutil
import struct
import tempfile

import pytest

from conftest import root_of, tree_state

HOST = "gh200-vb"
HOSTS = ("gh200-va", "gh200-vb")
MODEL = "models/standin/tiny-model"
SHARD1, SHARD2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"


def keep(model, name):
    """Save a file of the model directory aside; return a function that puts it back as it was."""
    path = os.path.join(model, name)
    saved = os.path.join(tempfile.mkdtemp(prefix="gh200-model-"), name)
    shutil.copy2(path, saved)
    st = os.stat(path)

    def restore():
        shutil.copy2(saved, path)
        os.chown(path, st.st_uid, st.st_gid)
        shutil.rmtree(os.path.dirname(saved))
    return path, restore


def delete_shard(model):
    path, restore = keep(model, SHARD2)
    os.unlink(path)
    return restore


def truncate_shard(model):
    path, restore = keep(model, SHARD1)
    os.truncate(path, os.path.getsize(path) - 64)
    return restore


def corrupt_header(model):
    path, restore = keep(model, SHARD2)
    with open(path, "r+b") as handle:
        handle.write(struct.pack("<Q", 1 << 40))
    return restore


def corrupt_config(model):
    path, restore = keep(model, "config.json")
    with open(path, "w") as handle:
        handle.write('{"architectures": [')
    return restore


def no_tokenizer(model):
    path, restore = keep(model, "tokenizer.json")
    os.unlink(path)
    return restore


def partial_download(model):
    folder = os.path.join(model, ".cache")
    leftover = os.path.join(folder, "huggingface", "download", SHARD2 + ".incomplete")
    os.makedirs(os.path.dirname(leftover))
    open(leftover, "w").close()
    st = os.stat(model)
    for path in (folder, os.path.dirname(os.path.dirname(leftover)), os.path.dirname(leftover), leftover):
        os.chown(path, st.st_uid, st.st_gid)  # owned by the host user: only the check under test has a reason to fail
    return lambda: shutil.rmtree(folder)


CASES = {
    # case: (how to break the model, the check that must fail, what its detail must name)
    "deleted shard": (delete_shard, "model weights complete", "shard %s is missing" % SHARD2),
    "truncated shard": (truncate_shard, "model weights complete", "%s is truncated" % SHARD1),
    "corrupt header": (corrupt_header, "model weights complete", "%s: header length" % SHARD2),
    "config that does not parse": (corrupt_config, "model config.json parses", "config.json does not parse"),
    "no tokenizer": (no_tokenizer, "model tokenizer present", "no tokenizer"),
    "partial download": (partial_download, "no partial model download left",
                         ".cache/huggingface/download/%s.incomplete" % SHARD2),
}


def pairs():
    """The cases two by two: each run of phase 0 breaks both healthy hosts' models, each with a case of its own."""
    cases = sorted(CASES)
    return [cases[i:i + len(HOSTS)] for i in range(0, len(cases), len(HOSTS))]


@pytest.mark.parametrize("cases", pairs(), ids=" + ".join)
def test_a_model_fault_fails_its_check_and_changes_nothing(verify, cases):
    per_host = dict(zip(HOSTS, cases))
    models = dict((host, os.path.join(root_of(host), MODEL)) for host in per_host)
    repairs, before, after = [], {}, {}
    try:
        for host, case in per_host.items():
            repairs.append(CASES[case][0](models[host]))
            before[host] = tree_state(models[host])
        run = verify("--limit", ",".join(per_host), "--tags", "phase0")
        after = dict((host, tree_state(models[host])) for host in per_host)
    finally:
        for repair in repairs:
            repair()
    assert run.rc != 0, run.output[-3000:]
    for host, case in per_host.items():
        dummy, check, named = CASES[case]
        checks = run.checks(host, "phase0")
        assert checks[check]["status"] == "failed", (host, checks[check])
        assert named in checks[check]["detail"], (host, checks[check]["detail"])
        others = [n for n, c in checks.items() if c["status"] == "failed" and n != check]
        assert others == [], (host, others)
        assert after[host] == before[host], host


def test_the_cases_pair_up_with_every_case_in_one_run():
    assert sorted(c for pair in pairs() for c in pair) == sorted(CASES)


def test_a_model_off_the_allowlist_ends_phase0_before_anything_runs(verify):
    root = root_of(HOST)
    before = tree_state(root)
    run = verify("--limit", HOST, "--tags", "phase0,phase1", "-e", "gh200_model_allowlist=Qwen/*,meta-llama/*")
    assert run.rc != 0
    assert tree_state(root) == before
    checks = run.host(HOST)["checks"]
    failed = [c for c in checks if c["status"] == "failed"]
    assert [(c["phase"], c["name"]) for c in failed] == [("phase0", "host prep completed")], failed
    assert "model 'standin/tiny-model' is not on the model allowlist (Qwen/*, meta-llama/*)" in failed[0]["detail"]
    assert [c["name"] for c in checks if c["phase"] == "phase0"] == ["host prep completed"]
    assert run.host(HOST)["phases"]["phase1"]["verdict"] == "skipped"
    assert run.checks(HOST, "phase1")["container lifecycle"]["status"] == "skipped: phase0 failed on this host"
