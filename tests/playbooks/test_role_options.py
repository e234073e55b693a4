"""Role options behave the same from YAML, JSON -e and key=value -e: a boolean given as the string
'false' on the command line is false (host_prep on localhost, with a second model beside the expected one)."""
import getpass
import json
import os
import shutil
import sys
import threading

import pytest

from conftest import only_report, REPO

sys.path.insert(0, str(REPO / "tests" / "testbed"))
import hub_standin  # noqa: E402

PLAY = """
- hosts: all
  gather_facts: true
  gather_subset: [min]
  tasks:
    - gh200.sglang.phase: {state: reset}
    - gh200.sglang.phase: {state: begin, phase: phase0, title: host prep}
    - ansible.builtin.include_role: {name: gh200.sglang.host_prep}
- hosts: localhost
  gather_facts: false
  tasks:
    - gh200.sglang.report: {hosts: [localhost], dest: "{{ dest }}", phases: [phase0], fail_on_failed: false}
"""


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "sglang-observability"
    (root / "models/org/expected").mkdir(parents=True)
    (root / "models/org/expected/config.json").write_text("{}")
    (root / "models/org/second").mkdir()
    (root / "models/org/second/config.json").write_text("{}")
    return root


def checks_with(playbook, tmp_path, tree, option, how, value, **settings):
    """The phase-0 checks of host_prep on localhost with ``option`` given as ``value`` the way ``how`` says (key=value
    or JSON -e), over the test tree with org/expected as the model; the run must succeed."""
    settings.update({"gh200_root": str(tree), "gh200_host_user": getpass.getuser(), "gh200_model": "org/expected",
                     "dest": str(tmp_path / "r")})
    extra = ["-e", json.dumps(settings)]
    extra += ["-e", "%s=%s" % (option, value)] if how == "key=value" else ["-e", json.dumps({option: value})]
    rc, out = playbook(PLAY, extra=extra)
    assert rc == 0, out[-3000:]
    dummy, report = only_report(tmp_path / "r")
    return dict((r["name"], r) for r in report["hosts"]["localhost"]["checks"])


@pytest.mark.parametrize("how,value,status", [
    ("key=value", "false", "skipped: host_prep_models_exclusive is false"),
    ("key=value", "no", "skipped: host_prep_models_exclusive is false"),
    ("json", False, "skipped: host_prep_models_exclusive is false"),
    ("key=value", "true", "failed"),
    ("json", True, "failed"),
])
def test_models_exclusive_from_the_command_line(playbook, tmp_path, tree, how, value, status):
    checks = checks_with(playbook, tmp_path, tree, "host_prep_models_exclusive", how, value)
    assert checks["only the expected model under models"]["status"] == status
    if status == "failed":
        assert checks["only the expected model under models"]["detail"].endswith("models/org/second, models/org/second/config.json")
    # config.json alone: the model is reported incomplete, whatever the exclusive option says.
    assert checks["model weights complete"]["status"] == "failed"
    assert checks["model config.json parses"]["detail"] == "config.json names no architectures"


@pytest.mark.parametrize("extra, refused", [
    (["-e", "gh200_model_allowlist=org/*"], False),
    (["-e", "gh200_model_allowlist=other/*,org/expected"], False),
    (["-e", json.dumps({"gh200_model_allowlist": ["org/expected"]})], False),
    (["-e", "gh200_model_allowlist=other/*,org/second"], True),
    (["-e", json.dumps({"gh200_model_allowlist": ["other/*"]})], True),
])
def test_model_allowlist_from_the_command_line(playbook, tmp_path, tree, extra, refused):
    settings = {"gh200_root": str(tree), "gh200_host_user": getpass.getuser(), "gh200_model": "org/expected",
                "dest": str(tmp_path / "r")}
    rc, out = playbook(PLAY, extra=["-e", json.dumps(settings)] + extra)
    if refused:
        assert rc != 0 and "model 'org/expected' is not on the model allowlist (other/*" in out, out[-3000:]
        assert not (tree / "profiles").exists()  # refused before the tree was touched
    else:
        assert rc == 0, out[-3000:]
        assert (tree / "profiles").is_dir()


@pytest.fixture
def hub(tmp_path):
    """The hub stand-in on loopback serving the test bed's tiny model as org/expected."""
    shutil.copytree(str(REPO / ".cache" / "tiny-model"), str(tmp_path / "repos" / "org" / "expected"))
    server = hub_standin.Hub(str(tmp_path / "repos"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("how,value,status", [
    ("key=value", "false", "skipped: host_prep_model_fetch is false"),
    ("json", False, "skipped: host_prep_model_fetch is false"),
    ("key=value", "true", "passed"),
])
def test_model_fetch_from_the_command_line(playbook, tmp_path, tree, hub, how, value, status):
    checks = checks_with(playbook, tmp_path, tree, "host_prep_model_fetch", how, value, host_prep_model_fetch_endpoint=hub.endpoint)
    assert checks["model fetched from the hub"]["status"] == status, checks["model fetched from the hub"]
    fetched = status == "passed"
    assert checks["model weights complete"]["status"] == ("passed" if fetched else "failed")
    assert sorted(os.listdir(str(tree / "models/org/expected"))) == sorted(
        (os.listdir(str(REPO / ".cache" / "tiny-model")) + [".cache"]) if fetched else ["config.json"])
