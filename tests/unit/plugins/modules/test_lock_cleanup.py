"""lock_cleanup: orphans removed (check mode predicts it), held locks never touched and named, nothing
outside the root read, symlinks left alone."""
import os

import pytest

from ansible_collections.gh200.sglang.plugins.modules import lock_cleanup


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    for stage in ("flashinfer", "inductor", "deep_gemm", "moe_configs"):
        (root / "profiles" / stage).mkdir(parents=True)
    (root / "profiles/moe_configs/.lock").write_text("pid 99999 since 2026-11-21T09:00:00Z\n")  # its holder died
    (root / "profiles/deep_gemm/cache").mkdir()
    (root / "profiles/deep_gemm/cache/kernel.lock").write_text("")  # deep in the tree, never written to
    (root / "profiles/flashinfer/kernel.so").write_text("keep")
    return root


@pytest.fixture
def held(tree, lock_holder):
    path = tree / "profiles/inductor/.lock"
    return path, lock_holder(path)


def listing(root):
    return sorted(os.path.relpath(os.path.join(d, n), str(root)) for d, dirs, files in os.walk(str(root)) for n in dirs + files)


def test_check_mode_predicts_and_the_real_run_removes_only_the_orphans(run_module, tree, held):
    path, proc = held
    before = listing(tree)
    code, predicted = run_module(lock_cleanup.main, {"root": str(tree), "_ansible_check_mode": True, "_ansible_diff": True})
    assert code == 0 and predicted["changed"] and listing(tree) == before
    code, result = run_module(lock_cleanup.main, {"root": str(tree), "_ansible_diff": True})
    assert code == 0 and result["changed"]
    orphans = [str(tree / "profiles/deep_gemm/cache/kernel.lock"), str(tree / "profiles/moe_configs/.lock")]
    assert predicted["removed"] == result["removed"] == orphans
    assert result["held"] == [{"path": str(path), "holder": "pid %d since 2026-11-22T10:00:00Z" % proc.pid, "pids": [proc.pid]}]
    assert result["summary"] == ("2 orphaned locks removed (profiles/deep_gemm/cache/kernel.lock, profiles/moe_configs/.lock); "
                                 "1 held: profiles/inductor/.lock by pid %d since 2026-11-22T10:00:00Z" % proc.pid)
    assert predicted["summary"].startswith("2 orphaned locks would be removed")
    assert listing(tree) == [e for e in before if not e.endswith("kernel.lock") and e != "profiles/moe_configs/.lock"]
    assert result["diff"]["after"] == "%s\n" % path
    code, again = run_module(lock_cleanup.main, {"root": str(tree)})
    assert code == 0 and not again["changed"] and again["removed"] == [] and len(again["held"]) == 1
    assert path.exists()


def test_a_held_lock_with_no_holder_line_is_named_by_its_pid(run_module, tree, held):
    path, proc = held
    os.truncate(str(path), 0)
    code, result = run_module(lock_cleanup.main, {"root": str(tree)})
    assert result["held"][0]["holder"] == "pid %d" % proc.pid


def test_symlinks_are_never_followed_or_removed(run_module, tree, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.lock").write_text("")
    (tree / "profiles/flashinfer/elsewhere").symlink_to(outside)
    (tree / "profiles/flashinfer/link.lock").symlink_to(outside / "x.lock")
    code, result = run_module(lock_cleanup.main, {"root": str(tree), "path": "profiles/flashinfer"})
    assert code == 0 and not result["changed"] and result["removed"] == []
    assert result["left_alone"] == ["%s (symlink)" % (tree / "profiles/flashinfer/link.lock")]
    assert (outside / "x.lock").exists() and (tree / "profiles/flashinfer/link.lock").is_symlink()


@pytest.mark.parametrize("path, msg", [
    ("../..", "lock_cleanup: path '../..' has an empty, '.' or '..' segment"),
    ("/tmp", "lock_cleanup: path '/tmp' is absolute"),
    ("profiles/out", "lock_cleanup: path: {root}/profiles/out is a symlink to {out}, outside the host tree root {root}"),
])
def test_a_path_leaving_the_tree_is_refused_with_one_line_and_nothing_changed(run_module, tree, tmp_path, path, msg):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "orphan.lock").write_text("")
    (tree / "profiles/out").symlink_to(tmp_path / "out")
    before = listing(tmp_path)
    code, result = run_module(lock_cleanup.main, {"root": str(tree), "path": path})
    assert code == 1 and result["msg"].startswith(msg.format(root=tree, out=tmp_path / "out")), result["msg"]
    assert "\n" not in result["msg"] and listing(tmp_path) == before


def test_a_nul_byte_in_the_path_is_one_line(run_module, tmp_path):
    from ansible_collections.gh200.sglang.plugins.modules import lock_cleanup
    code, result = run_module(lock_cleanup.main, {"root": str(tmp_path), "path": "profiles/\x00x"})
    assert code == 1 and result["msg"] == "lock_cleanup: path 'profiles/\\x00x' holds a NUL byte"
