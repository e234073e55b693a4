import os

from ansible_collections.gh200.sglang.plugins.module_utils import _files

SUBDIRS = ("models", "telemetry", "telemetry/logs")


def make_tree(root):
    for d in SUBDIRS:
        (root / d).mkdir(parents=True, exist_ok=True)


def test_complete_tree_has_no_problem(tmp_path):
    make_tree(tmp_path / "r")
    assert _files.tree_problems(str(tmp_path / "r"), os.getuid(), "me", SUBDIRS) == []


def test_every_problem_is_reported_not_only_the_first(tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / "telemetry").symlink_to(outside)
    problems = _files.tree_problems(str(root), os.getuid(), "me", SUBDIRS)
    assert len(problems) == 2
    assert problems[0] == "%s does not exist (run the host_prep role first)" % (root / "models")
    assert "telemetry is a symlink to" in problems[1] and "outside the host tree root" in problems[1]


def test_missing_root_relative_root_and_wrong_owner(tmp_path):
    assert _files.tree_problems(str(tmp_path / "nope"), os.getuid(), "me", SUBDIRS) == [
        "%s does not exist (run the host_prep role first)" % (tmp_path / "nope")]
    assert _files.tree_problems("relative/root", 0, "me", SUBDIRS) == ["host tree root 'relative/root' is not an absolute path"]
    make_tree(tmp_path / "r")
    problems = _files.tree_problems(str(tmp_path / "r"), 4242, "ubuntu", SUBDIRS)
    assert len(problems) == 1 and all("not by the host user ubuntu (uid 4242)" in p for p in problems)
