"""Seed 001's fix proven by INIT_RUN_HOOK alone: with no editable install by the role (and no PYTHONPATH),
every fresh start of the image imports the workspace, installed by the hook as devuser."""
import json

import pytest

from helpers import log_errors, module_args, run, wait_ready
from test_editable_install import FIVE_ARGS, STATE, install_args, py

testinfra_hosts = ["ansible://gh200-e"]
HOOK = "/workspaces/sglang/.devcontainer/post-create.sh"
DIST_PATH = "from importlib import metadata; print(metadata.distribution('sglang')._path)"


@pytest.fixture
def back_to_the_converged_container(host, gh200, engine):
    """Leave the container as the converge did (started the old way, then the role's editable install)."""
    yield
    assert run(host, "gh200.sglang.container_run", module_args(gh200, state="absent")).get("failed") is not True
    old = run(host, "gh200.sglang.container_run", module_args(gh200, pythonpath="", init_run_hook=None))
    assert old.get("failed") is not True, old.get("msg")
    wait_ready(engine.containers.get(gh200["gh200_container_name"]))
    fixed = run(host, "gh200.sglang.editable_install", install_args(gh200))
    assert fixed.get("failed") is not True, fixed.get("msg")


def test_the_hook_alone_gives_the_editable_import_on_every_start(host, gh200, engine, back_to_the_converged_container):
    name = gh200["gh200_container_name"]
    runs = set()
    for dummy in range(2):  # two fresh containers from the image, each with the baked wheel
        assert run(host, "gh200.sglang.container_run", module_args(gh200, state="absent")).get("failed") is not True
        started = run(host, "gh200.sglang.container_run", module_args(gh200, pythonpath="", init_run_hook=HOOK))
        assert started.get("failed") is not True, started.get("msg")
        runs.add(started["run_id"])
        dev = engine.containers.get(name)
        env = dict(e.split("=", 1) for e in dev.attrs["Config"]["Env"])
        assert env["INIT_RUN_HOOK"] == HOOK and "PYTHONPATH" not in env
        logs = wait_ready(dev)
        assert "INIT_RUN_HOOK finished" in logs and log_errors(logs) == [], logs

        rc, out = py(dev, STATE)
        assert rc == 0, out
        origin, direct_url = json.loads(out)
        assert origin == "/workspaces/sglang/python/sglang/__init__.py"
        assert direct_url["url"] == "file:///workspaces/sglang/python" and direct_url["dir_info"]["editable"] is True
        rc, out = py(dev, FIVE_ARGS)
        assert rc == 0, out

        rc, out = py(dev, DIST_PATH)
        assert rc == 0, out
        owner = dev.exec_run(["stat", "-c", "%u", out.strip()]).output.decode().strip()
        assert owner == str(gh200["uid"]), "the hook's install is owned by uid %s, not devuser" % owner
    assert len(runs) == 2
