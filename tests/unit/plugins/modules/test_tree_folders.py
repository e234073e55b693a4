"""tree_folders: check mode predicts and writes nothing, the real run makes the root and the folders with their owner
and mode and fixes the ones that differ, a second run changes nothing; a symlink or a file in the way, and a bad
option, fail with one line and change nothing."""
import os

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _files
from ansible_collections.gh200.sglang.plugins.modules import tree_folders

FOLDERS = ["models", "telemetry", "telemetry/logs"]


def state(top):
    """Every entry under ``top`` (itself included) with its kind, owner and mode, never following a symlink."""
    out = {}
    if not os.path.lexists(str(top)):
        return out
    for d, dirs, files in os.walk(str(top)):
        for path in [d] + [os.path.join(d, n) for n in dirs + files]:
            info = os.lstat(path)
            out[os.path.relpath(path, str(top))] = (info.st_mode, info.st_uid, info.st_gid, os.path.islink(path) and os.readlink(path))
    return out


def test_check_mode_predicts_then_the_real_run_makes_the_tree_and_a_second_changes_nothing(run_module, tmp_path):
    root = tmp_path / "tree"
    args = {"root": str(root), "folders": FOLDERS, "mode": "0750"}
    code, predicted = run_module(tree_folders.main, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert code == 0 and predicted["changed"] and not root.exists()
    assert predicted["created"] == predicted["changed_folders"] == [".", "models", "telemetry", "telemetry/logs"]
    code, made = run_module(tree_folders.main, dict(args, _ansible_diff=True))
    assert code == 0 and made["changed"] and made["created"] == predicted["created"]
    assert made["diff"]["before"].splitlines() == ["%s: absent" % f for f in made["created"]]
    mine = "directory %d:%d 0750" % (os.geteuid(), os.getegid())
    assert made["diff"]["after"].splitlines() == ["%s: %s" % (f, mine) for f in made["created"]]
    for rel in [""] + FOLDERS:
        info = os.lstat(str(root / rel))
        assert (info.st_mode & 0o7777, info.st_uid, info.st_gid) == (0o750, os.geteuid(), os.getegid()), rel
    for check in (False, True):
        code, again = run_module(tree_folders.main, dict(args, _ansible_check_mode=check))
        assert code == 0 and not again["changed"] and again["changed_folders"] == [], again


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder another owner needs root")
def test_a_folder_with_another_owner_or_mode_is_given_the_host_user_s_and_nothing_below_it_is_touched(run_module, tmp_path):
    root = tmp_path / "tree"
    (root / "telemetry/logs/old").mkdir(parents=True)
    os.chown(str(root / "telemetry"), 4242, 4242)
    os.chmod(str(root / "telemetry"), 0o777)
    os.chown(str(root / "telemetry/logs/old"), 4242, 4242)
    code, result = run_module(tree_folders.main, {"root": str(root), "folders": FOLDERS, "_ansible_diff": True})
    assert code == 0 and result["changed_folders"] == ["models", "telemetry"] and result["created"] == ["models"]
    assert "telemetry: directory 4242:4242 0777" in result["diff"]["before"].splitlines()
    info = os.lstat(str(root / "telemetry"))
    assert (info.st_uid, info.st_mode & 0o7777) == (os.geteuid(), 0o755)
    assert os.lstat(str(root / "telemetry/logs/old")).st_uid == 4242  # not named: left as it is


@pytest.mark.parametrize("plant, cause", [
    (lambda root, outside: os.symlink(str(outside), str(root / "telemetry")), "telemetry is a symlink or not a directory"),
    (lambda root, outside: (root / "telemetry").write_text("x"), "telemetry is a symlink or not a directory"),
    (lambda root, outside: os.symlink(str(outside), str(root / "models")), "models is a symlink or not a directory"),
])
def test_a_symlink_or_a_file_in_the_way_fails_in_one_line_and_nothing_changes(run_module, tmp_path, plant, cause):
    root, outside = tmp_path / "tree", tmp_path / "outside"
    root.mkdir(mode=0o700)
    outside.mkdir(mode=0o700)
    plant(root, outside)
    before = (state(root), state(outside))
    code, result = run_module(tree_folders.main, {"root": str(root), "folders": FOLDERS})
    assert code == 1 and cause in result["msg"] and "\n" not in result["msg"], result
    assert (state(root), state(outside)) == before


@pytest.mark.parametrize("args, cause", [
    ({"folders": ["../escape"]}, "folders '../escape' has an empty, '.' or '..' segment"),
    ({"folders": ["/etc"]}, "folders '/etc' is absolute"),
    ({"mode": "rwx"}, "mode 'rwx' is not an octal file mode"),
    ({"mode": "17777"}, "mode '17777' is not an octal file mode"),
])
def test_a_bad_option_fails_in_one_line_before_anything_is_made(run_module, tmp_path, args, cause):
    root = tmp_path / "tree"
    code, result = run_module(tree_folders.main, dict({"root": str(root), "folders": FOLDERS}, **args))
    assert code == 1 and result["msg"].startswith("tree_folders: " + cause) and "\n" not in result["msg"], result
    assert not root.exists() and os.listdir(str(tmp_path)) == []


def test_the_plan_lists_only_the_folders_that_differ_in_order():
    states = [("", (0, 0, 0o755)), ("models", None), ("telemetry", (1, 1, 0o755)), ("x", (0, 0, 0o700))]
    assert _files.folder_plan(states, 0, 0, 0o755) == [
        ("models", "absent", "directory 0:0 0755"), ("telemetry", "directory 1:1 0755", "directory 0:0 0755"),
        ("x", "directory 0:0 0700", "directory 0:0 0755")]
    assert _files.folder_plan(states[:1], 0, 0, 0o755) == []


def test_a_root_whose_parents_are_missing_is_made_with_them_each_with_the_owner_and_mode(run_module, tmp_path):
    root = tmp_path / "var/tmp/host/tree"
    code, result = run_module(tree_folders.main, {"root": str(root), "folders": ["models"], "mode": "0750"})
    assert code == 0 and result["created"] == [".", "models"], result
    for path in (tmp_path / "var", tmp_path / "var/tmp", tmp_path / "var/tmp/host", root, root / "models"):
        info = os.lstat(str(path))
        assert (info.st_mode & 0o7777, info.st_uid) == (0o750, os.geteuid()), path
