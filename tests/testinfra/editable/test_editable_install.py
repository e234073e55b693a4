"""Seed 001: after the editable_install role the container imports the bind-mounted workspace."""
import json

import pytest

from helpers import module_args, run

testinfra_hosts = ["ansible://gh200-e"]

CONFIG = "sglang.srt.layers.moe.fused_moe_triton.fused_moe_triton_config"
SIGNATURE = "(E: int, N: int, dtype: Optional[str], block_shape: Optional[List[int]] = None, per_channel_quant: bool = False) -> str"
FIVE_ARGS = "from %s import get_config_file_name as f; print(f(512, 4096, 'fp8_w8a8', [128, 128], True))" % CONFIG
STATE = ("import json, sglang; from importlib import metadata; "
         "print(json.dumps([sglang.__file__, json.loads(metadata.distribution('sglang').read_text('direct_url.json') or 'null')]))")
OFFLINE = ["--no-index", "--no-build-isolation"]


def py(container, code, user="devuser"):
    rc, out = container.exec_run(["python", "-c", code], user=user, environment={"PYTHONPATH": ""})
    return rc, out.decode()


@pytest.fixture(scope="module")
def dev(gh200, engine):
    return engine.containers.get(gh200["gh200_container_name"])


def install_args(gh200, **over):
    args = {"name": gh200["gh200_container_name"], "pip_args": OFFLINE, "probe": {"callable": CONFIG + ":get_config_file_name", "signature": SIGNATURE}}
    args.update(over)
    return args


def test_container_was_started_the_old_way(dev):
    env = dict(e.split("=", 1) for e in dev.attrs["Config"]["Env"])
    assert "PYTHONPATH" not in env and "INIT_RUN_HOOK" not in env


def test_import_resolves_to_the_workspace_as_an_editable_install(dev):
    rc, out = py(dev, STATE)
    assert rc == 0, out
    origin, direct_url = json.loads(out)
    assert origin == "/workspaces/sglang/python/sglang/__init__.py"
    assert direct_url == {"url": "file:///workspaces/sglang/python", "dir_info": {"editable": True}}


def test_five_argument_call_works_and_signature_matches(dev):
    rc, out = py(dev, FIVE_ARGS)
    assert rc == 0, out
    assert out.strip() == "E=512,N=4096,device_name=NVIDIA_GH200_480GB,dtype=fp8_w8a8,block_shape=[128, 128],per_channel_quant=True.json"
    rc, out = py(dev, "import inspect; from %s import get_config_file_name as f; print(inspect.signature(f))" % CONFIG)
    assert out.strip() == SIGNATURE


def test_nothing_root_owned_in_workspace_or_site_packages(dev):
    rc, out = dev.exec_run(["find", "/workspaces/sglang", "/opt/sglang-venv", "-user", "root"])
    assert rc == 0 and out.decode() == ""


def test_workspace_tests_ran_in_the_container_with_junit_under_telemetry(host, gh200):
    logs = host.file("%s/telemetry/logs" % gh200["gh200_root"])
    reports = [f for f in logs.listdir() if f.startswith("pytest-") and f.endswith(".xml")]
    assert reports
    junit = host.file("%s/%s" % (logs.path, sorted(reports)[-1]))
    assert junit.uid == gh200["uid"]
    assert 'tests="2"' in junit.content_string and 'failures="0"' in junit.content_string
    assert not host.file("%s/.pytest_cache" % gh200["gh200_workspace"]).exists


def test_module_reports_no_change_now(host, gh200):
    assert run(host, "gh200.sglang.editable_install", install_args(gh200))["changed"] is False
    assert run(host, "gh200.sglang.editable_install", install_args(gh200), check=True)["changed"] is False


def test_check_real_real_check_on_a_fresh_old_way_container(host, gh200, engine):
    name = gh200["gh200_container_name"] + "-fresh"
    env = {"PROMETHEUS_PORT": "19195", "NODE_EXPORTER_PORT": "19295"}
    started = run(host, "gh200.sglang.container_run", module_args(gh200, name=name, env=env, pythonpath="", init_run_hook=None))
    assert started["failed"] is False, started.get("msg")
    fresh = engine.containers.get(name)
    try:
        baked = py(fresh, STATE)[1]
        check1 = run(host, "gh200.sglang.editable_install", install_args(gh200, name=name), check=True)
        assert check1["changed"] is True and check1["origin_before"].startswith("/opt/sglang-venv/")
        assert py(fresh, STATE)[1] == baked  # check mode installed nothing
        assert py(fresh, FIVE_ARGS)[0] != 0

        real1 = run(host, "gh200.sglang.editable_install", install_args(gh200, name=name))
        assert real1["changed"] is True and real1["origin"] == "/workspaces/sglang/python/sglang/__init__.py"
        assert real1["editable_url"] == "/workspaces/sglang/python" and real1["signature"] == SIGNATURE
        assert py(fresh, FIVE_ARGS)[0] == 0

        real2 = run(host, "gh200.sglang.editable_install", install_args(gh200, name=name))
        check2 = run(host, "gh200.sglang.editable_install", install_args(gh200, name=name), check=True)
        assert (real2["changed"], check2["changed"]) == (False, False)
    finally:
        run(host, "gh200.sglang.container_run", module_args(gh200, name=name, state="absent"))


BAD = {
    "missing container": ({"name": "sglang-dev-no-such"}, "container sglang-dev-no-such is missing: start it before the editable install"),
    "workspace not in the container": ({"workspace": "/workspaces/nope"}, "workspace source /workspaces/nope/python does not exist in the container"),
    "package not in the workspace": ({"package": "nosuchpkg"}, "package nosuchpkg is not in /workspaces/sglang/python"),
    "invalid extras": ({"extras": ["all", "bad extra!"]}, "invalid extras: 'bad extra!'"),
    "root user": ({"user": "root"}, "refusing to install as root"),
    "wrong signature": ({"probe": {"callable": CONFIG + ":get_config_file_name", "signature": "(E: int, N: int) -> str"}},
                        "has signature (E: int, N: int, dtype: Optional[str]"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_fails_clearly_and_installs_nothing(host, gh200, dev, case):
    before = py(dev, STATE)[1]
    override, expected = BAD[case]
    result = run(host, "gh200.sglang.editable_install", install_args(gh200, **override))
    assert result["failed"] is True
    assert expected in result["msg"], result["msg"]
    assert py(dev, STATE)[1] == before


def test_stopped_container_is_refused(host, gh200, engine):
    stopped = engine.containers.create(gh200["gh200_image"], name=gh200["gh200_container_name"] + "-stopped", network_mode="none")
    try:
        result = run(host, "gh200.sglang.editable_install", install_args(gh200, name=stopped.name))
    finally:
        stopped.remove(force=True)
    assert result["failed"] is True
    assert "is created: start it before the editable install" in result["msg"]
