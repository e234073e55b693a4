import json
import subprocess
import sys

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _editable as e

SRC = "/workspaces/sglang/python"
EDITABLE = {"url": "file:///workspaces/sglang/python", "dir_info": {"editable": True}}


def test_already_editable_from_the_workspace_needs_nothing():
    state = {"origin": SRC + "/sglang/__init__.py", "direct_url": EDITABLE}
    assert e.decide(state, SRC) == (False, [])


def test_baked_wheel_needs_an_install_and_says_why():
    state = {"origin": "/opt/sglang-venv/lib/python3.11/site-packages/sglang/__init__.py", "direct_url": None}
    needed, reasons = e.decide(state, SRC)
    assert needed
    assert reasons == ["the package imports from /opt/sglang-venv/lib/python3.11/site-packages/sglang/__init__.py, not from " + SRC,
                       "the installed distribution is not an editable install"]


def test_pythonpath_alone_is_not_an_install():
    # The import resolves to the workspace, but the distribution is still the baked, non-editable one.
    state = {"origin": SRC + "/sglang/__init__.py", "direct_url": {"url": "file:///sgl-workspace/python", "dir_info": {}}}
    assert e.decide(state, SRC) == (True, ["the installed distribution is not an editable install"])


def test_editable_install_of_another_checkout_is_wrong():
    state = {"origin": "/sgl-workspace/python/sglang/__init__.py", "direct_url": {"url": "file:///sgl-workspace/python", "dir_info": {"editable": True}}}
    needed, reasons = e.decide(state, SRC)
    assert needed and reasons[1] == "the editable install points at /sgl-workspace/python, not at " + SRC


def test_import_error_is_a_reason():
    needed, reasons = e.decide({"import_error": "ModuleNotFoundError: No module named 'sglang'", "direct_url": None}, SRC)
    assert needed and reasons[0].startswith("the package does not import (ModuleNotFoundError")


def test_prefix_of_a_directory_name_is_not_under_it():
    assert e.under("/workspaces/sglang/python/sglang/__init__.py", SRC)
    assert not e.under("/workspaces/sglang/python2/sglang/__init__.py", SRC)
    assert not e.under(None, SRC)


@pytest.mark.parametrize("direct_url,url", [
    (EDITABLE, SRC), ({"url": "file:///x", "dir_info": {"editable": False}}, None), (None, None),
    ({"url": "https://example.invalid/x.whl", "archive_info": {}}, None), ({"url": "git+https://x", "dir_info": {"editable": True}}, None),
])
def test_editable_url(direct_url, url):
    assert e.editable_url(direct_url) == url


def test_requirement_with_extras_is_one_sorted_spec():
    assert e.requirement(SRC, []) == SRC
    assert e.requirement(SRC, ["test", "all", "test"]) == SRC + "[all,test]"


@pytest.mark.parametrize("kwargs,message", [
    (dict(package="sglang;rm", extras=[], probe_callable=None, user="devuser"), "is not a Python import name"),
    (dict(package="sglang", extras=["all", "bad extra!", "-x"], probe_callable=None, user="devuser"), "invalid extras: 'bad extra!', '-x'"),
    (dict(package="sglang", extras=[], probe_callable="no_colon", user="devuser"), "is not of the form module:callable"),
    (dict(package="sglang", extras=[], probe_callable=None, user="root"), "refusing to install as root"),
    (dict(package="sglang", extras=[], probe_callable=None, user="0:0"), "refusing to install as root"),
])
def test_bad_inputs(kwargs, message):
    with pytest.raises(e.InputError, match=message.replace("(", r"\(").replace("[", r"\[")):
        e.check_inputs(**kwargs)


def test_signature_comparison_folds_white_space():
    assert e.signature_matches("(E: int, N: int) -> str", "(E: int,N: int)->str")
    assert not e.signature_matches("(E: int, N: int, per_channel_quant: bool = False) -> str", "(E: int, N: int) -> str")


def test_inspect_script_runs_and_reports(tmp_path):
    pkg = tmp_path / "src" / "minipkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("def f(a, b=1):\n    return a\n")
    out = subprocess.run([sys.executable, "-c", e.INSPECT, "minipkg", str(tmp_path / "src"), "minipkg:f"],
                         env={"PYTHONPATH": str(tmp_path / "src")}, capture_output=True, text=True, check=True).stdout
    state = e.parse_inspect("noise from sitecustomize\n" + out)
    assert state["src_is_dir"] and state["pkg_in_src"]
    assert state["origin"] == str(pkg / "__init__.py")
    assert state["signature"] == "(a, b=1)"
    assert state["direct_url"] is None and "PackageNotFoundError" in state["dist_error"]
    missing = json.loads(subprocess.run([sys.executable, "-c", e.INSPECT, "nosuchpkg", str(tmp_path / "src")],
                                        capture_output=True, text=True, check=True).stdout)
    assert missing["import_error"].startswith("ModuleNotFoundError") and not missing["pkg_in_src"]


@pytest.mark.parametrize("user", ["", "root", "0", "00", "000:1000", " root", "root:root", "0:0"])
def test_every_spelling_of_root_is_refused(user):
    with pytest.raises(e.InputError, match="refusing to install as root"):
        e.check_inputs("sglang", [], None, user)


@pytest.mark.parametrize("user", ["devuser\n", "dev user", "devuser;id", "1000:"])
def test_a_user_that_is_not_a_name_or_uid_is_refused(user):
    with pytest.raises(e.InputError, match="is not a user name or uid"):
        e.check_inputs("sglang", [], None, user)


def test_devuser_and_a_uid_pass():
    e.check_inputs("sglang", [], None, "devuser")
    e.check_inputs("sglang", [], None, "1000:1000")
