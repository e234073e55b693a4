"""stage_status: what a running stage shows (its log's last line, its lock's holder), read-only, confined."""
import os

from ansible_collections.gh200.sglang.plugins.modules import stage_status


def test_a_running_stage_shows_its_last_line_and_its_lock_holder(run_module, tmp_path, lock_holder):
    stage = tmp_path / "profiles" / "deep_gemm"
    stage.mkdir(parents=True)
    (stage / "compile.log").write_bytes(b"# header\nkernel 1/3\rkernel 2/3\r")
    proc = lock_holder(stage / ".lock")
    before = sorted(os.listdir(str(stage)))
    code, result = run_module(stage_status.main, {"stage": "deep_gemm", "root": str(tmp_path)})
    assert code == 0 and not result["changed"]
    assert result["last_line"] == "kernel 2/3" and result["log_bytes"] == 31
    assert result["lock"] == {"state": "held", "holder": "pid %d since 2026-11-22T10:00:00Z" % proc.pid}
    assert result["log_updated"] <= result["now"] and sorted(os.listdir(str(stage))) == before


def test_a_stage_that_never_ran_has_no_log_and_no_lock(run_module, tmp_path):
    (tmp_path / "profiles" / "inductor").mkdir(parents=True)
    code, result = run_module(stage_status.main, {"stage": "inductor", "root": str(tmp_path)})
    assert code == 0 and result["log_bytes"] is None and result["last_line"] == ""
    assert result["lock"] == {"state": "gone", "holder": ""}


def test_a_stage_folder_that_leaves_the_tree_is_refused(run_module, tmp_path):
    (tmp_path / "tree" / "profiles").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(str(tmp_path / "elsewhere"), str(tmp_path / "tree" / "profiles" / "moe_configs"))
    code, result = run_module(stage_status.main, {"stage": "moe", "root": str(tmp_path / "tree")})
    assert code == 1 and result["msg"].startswith("stage moe: stage folder")
