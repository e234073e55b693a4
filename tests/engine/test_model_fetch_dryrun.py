"""The dry-run with models/ empty: phase 0 fetches the tiny model from the test bed's hub stand-in on loopback
(scripts/setup.sh starts it) with the real huggingface_hub client, as the host user, and the whole plan passes on it;
a second run fetches nothing. A shard the hub serves with a wrong hash fails 'model fetched from the hub', named, and
the shard is not left in the tree. The model the suite found is put back whatever happens."""
import json
import os
import pathlib
import pwd
import shutil
import tempfile
import urllib.request

import pytest

from conftest import dryrun_playbook as playbook, dryrun_report, REPO

MODEL = "standin/tiny-model"
SHARD2 = "model-00002-of-00002.safetensors"
HUB_REPO = REPO / ".cache" / "hub-repos" / MODEL


def report_of(folder):
    host = dryrun_report(folder, source="tests/engine/test_model_fetch_dryrun.py")
    return host, dict((c["name"], c) for c in host["checks"] if c["phase"] == "phase0")


def hub_requests():
    try:
        return (REPO / ".cache" / "hub-repos" / ".requests.log").read_text().splitlines()
    except OSError:
        return []


@pytest.fixture
def emptied_models():
    """The dry-run's models/ with the tiny model moved aside (and the hub stand-in answering); put back afterwards."""
    if "GH200_DRYRUN_HUB_ENDPOINT" not in os.environ:
        pytest.skip("GH200_DRYRUN_HUB_ENDPOINT unset: run through scripts/test.sh (it loads .cache/testbed.env)")
    urllib.request.urlopen(os.environ["GH200_DRYRUN_HUB_ENDPOINT"] + "/api/models/%s/revision/main" % MODEL, timeout=5).read()
    root = pathlib.Path(pwd.getpwnam(os.environ["GH200_DRYRUN_USER"]).pw_dir) / "sglang-observability"
    model = root / "models" / MODEL
    aside = pathlib.Path(tempfile.mkdtemp(prefix="gh200-model-aside-", dir=str(root.parent)))
    if model.exists():
        os.rename(str(model), str(aside / "tiny-model"))
    try:
        yield root, model
    finally:
        (HUB_REPO / ".standin.json").unlink(missing_ok=True)
        if (aside / "tiny-model").exists():
            shutil.rmtree(str(model), ignore_errors=True)
            os.rename(str(aside / "tiny-model"), str(model))
        shutil.rmtree(str(aside), ignore_errors=True)


def test_the_dry_run_fetches_the_model_into_an_empty_models_folder_and_passes_then_fetches_nothing(emptied_models):
    root, model = emptied_models
    reports = tempfile.mkdtemp(prefix="gh200-fetch-")
    before = len(hub_requests())
    rc, out = playbook("playbooks/verify.yml", "-e", "report_dir=%s" % reports)
    assert rc == 0, out[-3000:]
    host, checks = report_of(reports)
    assert host["verdict"] == "passed", host["verdict"]
    fetched = checks["model fetched from the hub"]
    files = sorted(os.listdir(str(REPO / ".cache" / "tiny-model")))
    assert fetched["status"] == "passed" and "%s at " % MODEL in fetched["detail"], fetched
    assert ": fetched %d of %d files" % (len(files), len(files)) in fetched["detail"], fetched
    assert sorted(r.rsplit("/", 1)[1] for r in hub_requests()[before:] if r.startswith("GET /%s/resolve/" % MODEL)) == files
    uid = pwd.getpwnam(os.environ["GH200_DRYRUN_USER"]).pw_uid
    assert all(os.lstat(str(model / f)).st_uid == uid for f in files)  # written by the host user, never root
    for name in ("model weights complete", "no partial model download left", "only the expected model under models"):
        assert checks[name]["status"] == "passed", checks[name]
    # The container phase 2 judged serves phases 3 and 4, and the restart's run the caches after it: each later
    # start records that it is still the run judged, and judges no start of its own.
    reused = [(c["phase"], c["name"], c["status"]) for c in host["checks"] if "judged earlier" in c["name"]]
    assert reused == [("phase3", "start: container still runs the run judged earlier", "passed"),
                      ("phase4", "start: container still runs the run judged earlier", "passed"),
                      ("phase4", "after restart: start: container still runs the run judged earlier", "passed")], reused
    assert not [c["name"] for c in host["checks"] if c["phase"] == "phase3" and c["name"].startswith("start: entrypoint")]

    before = len(hub_requests())
    reports = tempfile.mkdtemp(prefix="gh200-fetch-")
    rc, out = playbook("playbooks/verify.yml", "--tags", "phase0", "-e", "report_dir=%s" % reports)
    assert rc == 0, out[-3000:]
    host, checks = report_of(reports)
    assert checks["model fetched from the hub"]["status"] == "skipped: the models were complete: nothing to fetch"
    assert hub_requests()[before:] == []


def test_a_shard_served_with_a_wrong_hash_fails_the_fetch_check_and_is_not_kept(emptied_models):
    root, model = emptied_models
    (HUB_REPO / ".standin.json").write_text(json.dumps({"corrupt": [SHARD2]}))
    reports = tempfile.mkdtemp(prefix="gh200-fetch-")
    rc, out = playbook("playbooks/verify.yml", "--tags", "phase0", "-e", "report_dir=%s" % reports)
    assert rc != 0
    host, checks = report_of(reports)
    fetched = checks["model fetched from the hub"]
    assert fetched["status"] == "failed" and fetched["detail"].startswith("%s: %s: sha256 " % (MODEL, SHARD2)), fetched
    assert not (model / SHARD2).exists()
    assert checks["model weights complete"]["status"] == "failed" and SHARD2 in checks["model weights complete"]["detail"]
