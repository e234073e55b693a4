"""A shared model store (issue 26, item 2): gh200_model_store names a folder outside the host tree, as an NFS or Lustre
export would be, and verify.yml on the local dry-run reads the model there instead of <root>/models: phase 0 verifies
it file by file, the dev container sees it read-only at /models, and the server of phase 3 loads it from there. A
truncated shard in the store and a model left in the tree's models/ each fail their check, and the run changes
nothing in the store.

Each run has a host tree of its own (gh200_root), so the dry-run's tree is never touched; the store is root's, 0755,
so the host user can read it and write nothing."""
import json
import os
import pwd
import shutil
import uuid

import docker
import pytest

from conftest import BASE, MODEL, REPO, dryrun_playbook as playbook, tree_state as snapshot
import report_json  # noqa: E402  pylint: disable=wrong-import-position

SHARD = "model-00002-of-00002.safetensors"
TREE = ("models", "profiles/flashinfer", "profiles/inductor", "profiles/deep_gemm", "profiles/moe_configs", "telemetry/logs",
        "telemetry/prometheus", "telemetry/jaeger", "telemetry/container_runs")


@pytest.fixture
def bed(tmp_path):
    """(tree root, store, report folder): an empty folder the host user owns for the tree, a root-owned store holding
    the tiny model; removed afterwards."""
    if "GH200_DRYRUN_USER" not in os.environ:
        pytest.skip("GH200_DRYRUN_USER unset: run through scripts/test.sh (it loads .cache/testbed.env)")
    account = pwd.getpwnam(os.environ["GH200_DRYRUN_USER"])
    top = BASE / ("model-store-" + uuid.uuid4().hex[:8])
    (top / "host").mkdir(parents=True)
    os.chown(str(top / "host"), account.pw_uid, account.pw_gid)
    store = top / "store"
    shutil.copytree(str(REPO / ".cache" / "tiny-model"), str(store / MODEL))
    for dirpath, dirnames, filenames in os.walk(str(store)):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    os.chmod(str(top), 0o755)
    yield top / "host" / "sglang-observability", store, tmp_path
    shutil.rmtree(str(top), ignore_errors=True)


def run(root, store, reports, *args):
    folder = reports / uuid.uuid4().hex[:8]
    folder.mkdir()
    extra = {"gh200_root": str(root), "gh200_model_store": str(store), "report_dir": str(folder)}
    rc, out = playbook("playbooks/verify.yml", "-e", json.dumps(extra), *args)
    (found,) = [p for p in folder.iterdir() if p.is_dir()]
    (host,) = report_json.load(found / "report.json")["hosts"].values()
    return rc, out, host, dict(((c["phase"], c["name"]), c) for c in host["checks"])


def test_the_model_is_verified_in_the_store_mounted_read_only_and_served_from_there(bed):
    root, store, reports = bed
    before = snapshot(store)
    # Phase 3 starts the container itself (with phase 1's start checks, as "start: ...") and serves the model.
    rc, out, host, checks = run(root, store, reports, "--tags", "phase0,phase3", "-e", "container_editable_install=false")
    assert rc == 0, out[-3000:]
    assert checks[("phase3", "start: container runs")]["status"] == "passed"
    for phase in ("phase0", "phase3"):
        assert host["phases"][phase]["verdict"] == "passed", (phase, host["phases"][phase])
    weights = checks[("phase0", "model weights complete")]
    assert weights["status"] == "passed" and "2 safetensors files" in weights["detail"], weights
    only = checks[("phase0", "only the expected model under models")]
    assert only["status"] == "passed" and only["detail"] == "nothing: the served models come from the store %s" % store, only
    assert os.listdir(str(root / "models")) == []
    mounts = dict((m["Destination"], m) for m in docker.from_env().containers.get("sglang-dev-dryrun").attrs["Mounts"])
    assert mounts["/models"]["Source"] == str(store) and mounts["/models"]["RW"] is False, mounts["/models"]
    assert snapshot(store) == before


def test_a_truncated_shard_in_the_store_and_a_model_left_in_the_tree_fail_their_checks_and_change_nothing(bed):
    root, store, reports = bed
    account = pwd.getpwnam(os.environ["GH200_DRYRUN_USER"])
    for folder in TREE + ("models/standin/old-copy",):  # the tree a first run made, and a copy of a model left in it
        (root / folder).mkdir(parents=True, exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(str(root)):
        os.chown(dirpath, account.pw_uid, account.pw_gid)
    shard = store / MODEL / SHARD
    shard.write_bytes(shard.read_bytes()[:-10])
    before = snapshot(store), snapshot(root)
    rc, out, host, checks = run(root, store, reports, "--tags", "phase0")
    assert rc != 0
    weights = checks[("phase0", "model weights complete")]
    assert weights["status"] == "failed" and "%s is truncated" % SHARD in weights["detail"], weights
    only = checks[("phase0", "only the expected model under models")]
    assert only["status"] == "failed" and "models/standin/old-copy" in only["detail"], only
    assert [n for (p, n), c in checks.items() if c["status"] == "failed"] == [
        "model weights complete", "only the expected model under models"], checks
    assert (snapshot(store), snapshot(root)) == before
