"""Deploy modes (seed 002): `both` runs a chat and a tool server together, each checked under its own name; a mode
without its model, a tool model off the allowlist, or two servers on one port are refused before anything starts."""
import json
import os
import shutil

import pytest

from conftest import container_state, root_of, tree_state

HOST = "gh200-vb"
PORT, TOOL_PORT = 19892, 19895
TOOL = "standin/tiny-tool-model"


@pytest.fixture
def tool_model():
    """A second model under models/, owned as the first; removed afterwards, so phase 0 finds one model again."""
    models = os.path.join(root_of(HOST), "models")
    src, dest = os.path.join(models, "standin/tiny-model"), os.path.join(models, TOOL)
    shutil.copytree(src, dest)
    st = os.stat(src)
    for dirpath, dirnames, filenames in os.walk(dest):
        for name in [dirpath] + [os.path.join(dirpath, n) for n in filenames]:
            os.chown(name, st.st_uid, st.st_gid)
    yield dest
    shutil.rmtree(dest)


def run_modes(verify, tags, **extra):
    extra.setdefault("inference_server_args", {"port": PORT})
    extra.setdefault("inference_tool_port", TOOL_PORT)
    return verify("--limit", HOST, "--tags", tags, "-e", json.dumps(extra))


def test_deploy_mode_both_serves_the_two_models_together_each_under_its_own_checks(verify, tool_model):
    run = run_modes(verify, "phase0,phase3", gh200_deploy_mode="both", gh200_tool_model=TOOL)
    assert run.rc == 0, run.output[-3000:]
    phase0 = run.checks(HOST, "phase0")
    assert phase0["only the expected model under models"]["detail"] == "only models/standin/tiny-model and models/%s" % TOOL
    assert ("| %s: " % TOOL) in phase0["model weights complete"]["detail"]
    checks = run.checks(HOST, "phase3")
    assert checks["servers of deploy mode both on ports of their own"]["detail"] == "sglang-%d, sglang-%d" % (PORT, TOOL_PORT)
    for name in ("server arguments valid for the container's SGLang", "smoke prompt answered",
                 "Prometheus scraped the server's request counter", "server stopped by its PID, port freed"):
        assert checks[name]["status"] == checks["tool server: " + name]["status"] == "passed", name
    assert "--model-path /models/%s" % TOOL in checks["tool server: server arguments valid for the container's SGLang"]["detail"]
    assert 'server="sglang-%d"' % TOOL_PORT in checks["tool server: Prometheus scraped the server's request counter"]["detail"]


@pytest.mark.parametrize("tags, extra, line", [
    ("phase0,phase3", {"gh200_deploy_mode": "tool"},
     "deploy mode 'tool' needs a tool model: set gh200_tool_model (an org/name repo id)"),
    ("phase3", {"gh200_deploy_mode": "both", "gh200_tool_model": TOOL, "gh200_model_allowlist": ["standin/tiny-model"]},
     "gh200_tool_model: model '%s' is not on the model allowlist (standin/tiny-model)" % TOOL),
], ids=["tool-without-its-model", "tool-model-off-the-allowlist"])
def test_a_deploy_mode_without_its_model_or_off_the_allowlist_ends_the_phase_before_anything_starts(
        verify, engine, tags, extra, line):
    root = root_of(HOST)
    before = (tree_state(root), container_state(engine, HOST))
    run = run_modes(verify, tags, **extra)
    assert run.rc != 0
    first = tags.split(",")[0]
    failed = [(c["phase"], c["name"], c["detail"]) for c in run.host(HOST)["checks"] if c["status"] == "failed"]
    title = {"phase0": "host prep", "phase3": "inference smoke test"}[first]
    assert failed == [(first, title + " completed", line)], failed
    assert (tree_state(root), container_state(engine, HOST)) == before


def test_two_servers_on_one_port_are_refused_before_either_starts(verify, tool_model):
    run = run_modes(verify, "phase3", gh200_deploy_mode="both", gh200_tool_model=TOOL, inference_tool_port=PORT)
    assert run.rc != 0
    checks = run.checks(HOST, "phase3")
    assert checks["servers of deploy mode both on ports of their own"]["status"] == "failed"
    assert checks["servers of deploy mode both on ports of their own"]["detail"] == "the servers share port %d" % PORT
    assert checks["tool server: smoke prompt answered"]["status"] == "skipped: the servers share a port"
    assert checks["server starts without CLI or context-length errors"]["status"] == "skipped: the servers share a port"
