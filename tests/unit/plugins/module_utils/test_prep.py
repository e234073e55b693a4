"""prep_result.json and stage artifacts: entries merged under a lock (concurrent stages keep each
other's entries), a corrupt file kept aside, failures carry their first error lines, artifacts counted
without the module's own records or symlinks."""
import json
import multiprocessing
import os
import time

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _prep

T0 = 1795348800.0  # 2026-11-22T12:00:00Z
OK = {"count": 3, "bytes": 300}

LOG = """# gh200.sglang cache_stage inductor, 2026-11-22T12:00:00Z, argv: ['python3', 'build_error.py']
building kernel
[1/3] c++ -c main.cpp
main.cpp:3:5: error: 'foo' was not declared in this scope
    3 |     foo();
      |     ^~~
ninja: build stopped: subcommand failed.
RuntimeError: Error building extension 'gh200_probe'
"""


def test_error_lines_start_at_the_first_error():
    assert _prep.error_lines(LOG) == [
        "main.cpp:3:5: error: 'foo' was not declared in this scope",
        "    3 |     foo();",
        "      |     ^~~",
        "RuntimeError: Error building extension 'gh200_probe'",
    ]
    assert _prep.error_lines("a\n\nb\nc\n", limit=2) == ["b", "c"]


def test_an_entry_records_times_duration_and_errors_only_for_failures():
    ok = _prep.entry("ok", "sha256:ab", T0, T0 + 12.3456, OK)
    assert ok == {"status": "ok", "signature": "sha256:ab", "started": "2026-11-22T12:00:00Z",
                  "finished": "2026-11-22T12:00:12Z", "duration_s": 12.346, "artifacts": 3, "bytes": 300}
    failed = _prep.entry("timeout", "sha256:ab", T0, T0 + 1, {}, LOG, extra={"exit_code": 124})
    assert failed["errors"][0].startswith("main.cpp:3:5: error") and failed["exit_code"] == 124
    with pytest.raises(ValueError, match="status 'done' is not one of ok, failed, skipped, timeout"):
        _prep.entry("done", None, T0, T0, {})


def test_artifacts_leave_out_records_and_symlinks_and_name_wrong_owners(tmp_path):
    stage = tmp_path / "inductor"
    (stage / "fx" / "ab").mkdir(parents=True)
    (stage / "fx" / "ab" / "kernel.py").write_text("x" * 10)
    (stage / "triton.so").write_bytes(b"\0" * 20)
    for record in ("compile.log", "signature.json", ".lock"):
        (stage / record).write_text("record")
    (stage / "fx" / "compile.log").write_text("a real artifact of that name, deeper down")
    (stage / "fx" / "locks").mkdir()
    (stage / "fx" / "locks" / "ab.lock").write_text("")  # a library's lock file is not an artifact
    (stage / "link").symlink_to("/etc/passwd")
    os.chown(str(stage / "triton.so"), 4321, 4321)
    info = _prep.artifacts(str(stage), uid=os.getuid())
    assert info == {"count": 3, "bytes": 10 + 20 + 41, "files": ["fx/ab/kernel.py", "fx/compile.log", "triton.so"],
                    "sizes": {"fx/ab/kernel.py": 10, "fx/compile.log": 41, "triton.so": 20}, "wrong_owner": ["triton.so"]}
    empty = {"count": 0, "bytes": 0, "files": [], "sizes": {}, "wrong_owner": []}
    assert _prep.artifacts(str(tmp_path / "missing")) == empty


def test_update_merges_entries_and_leaves_no_lock(tmp_path):
    path = str(tmp_path / "prep_result.json")
    _prep.update(path, "flashinfer", _prep.entry("ok", "sha256:1", T0, T0, OK))
    doc, aside = _prep.update(path, "inductor", _prep.entry("failed", "sha256:2", T0, T0, {}, LOG))
    assert aside is None and sorted(doc["stages"]) == ["flashinfer", "inductor"]
    assert json.loads(open(path).read()) == doc and oct(os.stat(path).st_mode & 0o777) == "0o644"
    assert _prep.read(path)["inductor"]["status"] == "failed"
    assert sorted(os.listdir(str(tmp_path))) == ["prep_result.json"]


@pytest.mark.parametrize("content", ["{\"stages\": {\"moe\": ", "[1, 2]"])
def test_a_corrupt_file_is_kept_aside_and_rebuilt(tmp_path, content):
    path = tmp_path / "prep_result.json"
    path.write_text(content)
    assert _prep.read(str(path)) == {} and path.read_text() == content  # reading moves nothing
    doc, aside = _prep.update(str(path), "moe", _prep.entry("ok", "sha256:1", T0, T0, OK), now=T0)
    assert aside == str(path) + ".corrupt-20261122T120000.000Z"
    assert open(aside).read() == content and list(doc["stages"]) == ["moe"]


def _writer(path, stage, rounds):
    for i in range(rounds):
        _prep.update(path, stage, _prep.entry("ok", "sha256:%d" % i, T0, T0 + i, OK), wait=60)


def test_stages_finishing_at_once_never_lose_each_others_entries(tmp_path):
    path = str(tmp_path / "prep_result.json")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(path, stage, 25)) for stage in ("flashinfer", "inductor", "deep_gemm", "moe")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    stages = _prep.read(path)
    assert sorted(stages) == ["deep_gemm", "flashinfer", "inductor", "moe"]
    assert set(s["signature"] for s in stages.values()) == {"sha256:24"}
    assert sorted(os.listdir(str(tmp_path))) == ["prep_result.json"]


@pytest.mark.parametrize("tail, line", [
    (b"one\ntwo\n\n", "two"),
    (b"building 1/9\rbuilding 5/9\rbuilding 9/9", "building 9/9"),
    (b"\x1b[32mok\x1b[0m done\n", "ok done"),
    (b"", ""),
    (b"x" * 300, "x" * 197 + "..."),
])
def test_the_last_line_is_what_a_terminal_shows(tail, line):
    assert _prep.last_line(tail) == line


def test_log_state_reads_the_tail_and_never_follows_a_symlink(tmp_path):
    log = tmp_path / "compile.log"
    log.write_bytes(b"a" * 10000 + b"\nlast words\n")
    state = _prep.log_state(str(log))
    assert state["bytes"] == 10012 and state["last_line"] == "last words" and state["updated"] > 0
    (tmp_path / "link.log").symlink_to(log)
    assert _prep.log_state(str(tmp_path / "link.log")) is None
    assert _prep.log_state(str(tmp_path / "missing.log")) is None


def test_written_since_names_the_files_a_later_process_wrote_and_nothing_older(tmp_path):
    stage = tmp_path / "inductor"
    (stage / "fxgraph" / "ab").mkdir(parents=True)
    old = stage / "fxgraph" / "ab" / "built-by-phase-2"
    old.write_text("kernel")
    for record in ("compile.log", "signature.json"):
        (stage / record).write_text("record")
    past = time.time() - 600
    for path in (old, stage / "compile.log", stage / "signature.json"):
        os.utime(str(path), (past, past))
    since = os.stat(str(old)).st_ctime + 0.001  # ctime cannot be set back: the boundary is after the files above
    time.sleep(0.02)
    assert _prep.written_since(str(stage), since) == {"count": 0, "files": []}

    (stage / "fxgraph" / "cd").mkdir()
    (stage / "fxgraph" / "cd" / "compiled-at-start.so").write_bytes(b"\0")
    planted = stage / "aged.so"
    planted.write_bytes(b"\0")
    os.utime(str(planted), (past, past))  # an old mtime does not hide a write: its ctime is new
    (stage / "fxgraph" / "locks").mkdir()
    (stage / "fxgraph" / "locks" / "x.lock").write_text("")  # a lock is not a kernel
    (stage / "compile.log").write_text("a record rewritten")
    (stage / "link").symlink_to("/etc/passwd")
    assert _prep.written_since(str(stage), since) == {"count": 2, "files": ["aged.so", "fxgraph/cd/compiled-at-start.so"]}
    assert _prep.written_since(str(stage), since, limit=1) == {"count": 2, "files": ["aged.so"]}
    assert _prep.written_since(str(tmp_path / "absent"), since) == {"count": 0, "files": []}


def test_built_stages_are_those_recorded_ok():
    stages = {"inductor": {"status": "ok"}, "flashinfer": {"status": "failed"}, "moe": {"status": "skipped"},
              "deep_gemm": {"status": "ok"}, "planted": "ok", "not-a-stage": {"status": "ok"}}
    assert _prep.built(stages) == ["deep_gemm", "inductor"]
    assert _prep.built({}) == [] and _prep.built(None) == []


def test_written_in_stages_judges_only_the_folders_of_the_stages_phase_2_built(tmp_path):
    root = tmp_path
    profiles = root / "profiles"
    for folder in ("inductor", "flashinfer", "moe_configs"):
        (profiles / folder).mkdir(parents=True)
    (profiles / "prep_result.json").write_text(json.dumps({"format": 1, "stages": {
        "inductor": {"status": "ok"}, "flashinfer": {"status": "ok"}, "moe": {"status": "skipped"}}}))
    since = time.time() - 1
    (profiles / "inductor" / "new.so").write_bytes(b"\0")
    (profiles / "moe_configs" / "E=8,N=64,device_name=x.json").write_text("{}")  # a skipped stage is not judged
    expected = {"stages": ["flashinfer", "inductor"], "count": 1, "files": ["profiles/inductor/new.so"]}
    assert _prep.written_in_stages(str(root), since, _prep.built(_prep.in_tree(str(root)))) == expected
    (profiles / "prep_result.json").unlink()
    assert _prep.written_in_stages(str(root), since, _prep.built(_prep.in_tree(str(root)))) == {"stages": [], "count": 0, "files": []}


def test_written_in_stages_judges_the_stages_it_is_given_whatever_prep_result_says_now(tmp_path):
    """A server judged by the caches it was started with: a stage phase 2 built after its start is not its."""
    profiles = tmp_path / "profiles"
    for folder in ("inductor", "deep_gemm"):
        (profiles / folder).mkdir(parents=True)
    (profiles / "prep_result.json").write_text(json.dumps({"format": 1, "stages": {
        "inductor": {"status": "ok"}, "deep_gemm": {"status": "ok"}}}))
    since = time.time() - 1
    (profiles / "inductor" / "new.so").write_bytes(b"\0")
    (profiles / "deep_gemm" / "kernel.so").write_bytes(b"\0")
    assert _prep.written_in_stages(str(tmp_path), since, ["deep_gemm", "not-a-stage"]) == {
        "stages": ["deep_gemm"], "count": 1, "files": ["profiles/deep_gemm/kernel.so"]}
    assert _prep.written_in_stages(str(tmp_path), since, []) == {"stages": [], "count": 0, "files": []}
