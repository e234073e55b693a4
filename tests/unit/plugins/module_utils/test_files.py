import errno
import json
import os
import stat

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _files


def test_atomic_write_sets_mode_before_content_and_replaces(tmp_path):
    target = tmp_path / "pointer.env"
    target.write_text("old\n")
    os.chmod(target, 0o644)
    _files.atomic_write(str(target), b"new\n", mode=0o600)
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(os.lstat(target).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pointer.env"]


def test_atomic_write_replaces_a_symlink_instead_of_following_it(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep\n")
    link = tmp_path / "link.env"
    link.symlink_to(outside)
    _files.atomic_write(str(link), b"data\n", mode=0o600)
    assert outside.read_text() == "keep\n"
    assert not link.is_symlink()
    assert link.read_text() == "data\n"


def test_atomic_write_leaves_no_temp_file_on_failure(tmp_path, monkeypatch):
    def boom(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(_files.os, "fsync", boom)
    with pytest.raises(OSError):
        _files.atomic_write(str(tmp_path / "x"), b"data", mode=0o600)
    assert list(tmp_path.iterdir()) == []


def test_read_bytes_refuses_symlinks(tmp_path):
    real = tmp_path / "real"
    real.write_bytes(b"x")
    (tmp_path / "link").symlink_to(real)
    assert _files.read_bytes(str(real)) == b"x"
    assert _files.read_bytes(str(tmp_path / "missing")) is None
    with pytest.raises(_files.PathProblem, match="is a symlink"):
        _files.read_bytes(str(tmp_path / "link"))


def test_symlink_problem_allows_links_inside_root_and_rejects_escapes(tmp_path):
    root = tmp_path / "root"
    (root / "models" / "a").mkdir(parents=True)
    (root / "inside").symlink_to(root / "models")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "escape").symlink_to(elsewhere)
    assert _files.symlink_problem(str(root), str(root / "models" / "a")) is None
    assert _files.symlink_problem(str(root), str(root / "inside")) is None
    assert _files.symlink_problem(str(root), str(root / "not" / "yet")) is None
    problem = _files.symlink_problem(str(root), str(root / "escape" / "x"))
    assert "escape is a symlink to" in problem and "outside the host tree root" in problem


def test_symlink_problem_rejects_a_symlinked_root_and_outside_paths(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "root").symlink_to(real)
    assert "host tree root must be a real directory" in _files.symlink_problem(str(tmp_path / "root"), str(tmp_path / "root"))
    assert "is outside the host tree root" in _files.symlink_problem(str(real), str(tmp_path / "other"))


def test_ownership_problem(tmp_path):
    me = os.getuid()
    assert _files.ownership_problem(str(tmp_path), me, "me") is None
    assert _files.ownership_problem(str(tmp_path / "missing"), me, "me") is None
    assert "not by the host user ubuntu (uid 4242)" in _files.ownership_problem(str(tmp_path), 4242, "ubuntu")


def test_read_json_quarantines_a_corrupt_file(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"ok": True}))
    assert _files.read_json(str(good)) == ({"ok": True}, None)
    assert _files.read_json(str(tmp_path / "missing.json")) == (None, None)
    bad = tmp_path / "prep_result.json"
    bad.write_text("{not json")
    assert _files.read_json(str(bad), quarantine=False) == (None, None) and bad.exists()
    data, aside = _files.read_json(str(bad), now=1795348800.25)
    assert data is None and aside == str(tmp_path / "prep_result.json.corrupt-20261122T120000.250Z")
    assert not bad.exists() and (tmp_path / aside).read_text() == "{not json"


def test_ensure_dirs_makes_what_is_missing_with_owner_and_mode_and_leaves_the_rest(tmp_path):
    (tmp_path / "telemetry").mkdir(mode=0o700)
    _files.ensure_dirs(str(tmp_path), "telemetry/prometheus/snapshots", os.geteuid(), os.getegid(), mode=0o750)
    made = [tmp_path / "telemetry/prometheus", tmp_path / "telemetry/prometheus/snapshots"]
    assert [os.stat(p).st_mode & 0o777 for p in made] == [0o750, 0o750]
    assert os.stat(tmp_path / "telemetry").st_mode & 0o777 == 0o700  # an existing folder is not touched
    _files.ensure_dirs(str(tmp_path), "telemetry/prometheus/snapshots", os.geteuid(), os.getegid())  # again: nothing


@pytest.mark.parametrize("make", [
    lambda p: os.symlink(str(p / "telemetry"), str(p / "link")),
    lambda p: (p / "link").write_text("x"),
])
def test_ensure_dirs_never_goes_through_a_symlink_or_a_file(tmp_path, make):
    (tmp_path / "telemetry").mkdir()
    make(tmp_path)
    with pytest.raises(_files.PathProblem, match="link is a symlink or not a directory; refusing to follow it"):
        _files.ensure_dirs(str(tmp_path), "link/snapshots", os.geteuid(), os.getegid())
    assert list((tmp_path / "telemetry").iterdir()) == []


def test_open_dir_refuses_a_symlinked_root_and_paths_that_climb(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "root").symlink_to(tmp_path / "real")
    with pytest.raises(_files.PathProblem, match="root is a symlink or not a directory"):
        _files.open_dir(str(tmp_path / "root"))
    with pytest.raises(_files.PathProblem, match="is not a path below"):
        _files.open_dir(str(tmp_path / "real"), "a/../..")
    with pytest.raises(_files.PathProblem, match="outside the host tree root"):
        _files.relative(str(tmp_path / "real"), str(tmp_path / "realm/x"))
    assert _files.relative(str(tmp_path), str(tmp_path / "a" / "b")) == "a/b"


def test_atomic_write_under_a_root_refuses_a_folder_swapped_for_a_symlink(tmp_path):
    root, canary = tmp_path / "root", tmp_path / "canary"
    (root / "telemetry").mkdir(parents=True)
    canary.mkdir()
    _files.atomic_write(str(root / "telemetry" / "pointer.env"), b"RUN_ID=1\n", root=str(root))
    (root / "telemetry" / "pointer.env").unlink()
    (root / "telemetry").rmdir()
    (root / "telemetry").symlink_to(canary)
    with pytest.raises(_files.PathProblem, match="telemetry is a symlink or not a directory"):
        _files.atomic_write(str(root / "telemetry" / "pointer.env"), b"RUN_ID=2\n", root=str(root))
    assert list(canary.iterdir()) == []
    with pytest.raises(_files.PathProblem, match="outside the host tree root"):
        _files.atomic_write(str(tmp_path / "elsewhere.env"), b"x", root=str(root))


@pytest.mark.parametrize("plant, cause", [
    (lambda log, outside: os.link(str(outside), str(log)), "has 2 hard links"),
    (lambda log, outside: os.symlink(str(outside), str(log)), "is a symlink"),
    (lambda log, outside: os.mkfifo(str(log)), "is not a regular file"),
])
def test_open_for_write_never_truncates_or_gives_away_a_planted_file(tmp_path, plant, cause):
    root = tmp_path / "root"
    (root / "profiles").mkdir(parents=True)
    outside = tmp_path / "shadow"
    outside.write_text("root's own file\n")
    os.chmod(outside, 0o600)
    before = os.stat(outside)
    plant(root / "profiles" / "compile.log", outside)
    with pytest.raises(_files.PathProblem, match=cause):
        _files.open_for_write(str(root / "profiles" / "compile.log"), str(root), 4242, 4242)
    after = os.stat(outside)
    assert outside.read_text() == "root's own file\n"
    assert (after.st_uid, after.st_mode, after.st_size) == (before.st_uid, before.st_mode, before.st_size)


def test_open_for_write_truncates_or_appends_with_the_owner_given(tmp_path):
    log = tmp_path / "compile.log"
    log.write_text("old\n")
    with _files.open_for_write(str(log), str(tmp_path), 4242, 4343) as handle:
        handle.write(b"first\n")
    with _files.open_for_write(str(log), str(tmp_path), 4242, 4343, append=True) as handle:
        handle.write(b"second\n")
    assert log.read_text() == "first\nsecond\n"
    assert (os.stat(log).st_uid, os.stat(log).st_gid) == (4242, 4343)


def test_remove_contents_keeps_what_it_is_told_and_removes_links_without_following_them(tmp_path):
    root, canary = tmp_path / "root", tmp_path / "canary"
    stage = root / "profiles" / "inductor"
    (stage / "a" / "b").mkdir(parents=True)
    (stage / "a" / "b" / "kernel.so").write_text("x")
    (stage / ".lock").write_text("pid 1\n")
    canary.mkdir()
    (canary / "keep").write_text("keep")
    (stage / "escape").symlink_to(canary)
    (stage / "a" / "escape").symlink_to(canary)
    assert _files.remove_contents(str(root), "profiles/inductor", keep=(".lock",)) == (3, 2)
    assert sorted(p.name for p in stage.iterdir()) == [".lock"]
    assert (canary / "keep").read_text() == "keep"
    (stage / "sub").symlink_to(canary)
    os.rename(str(stage), str(root / "profiles" / "aside"))
    (root / "profiles" / "inductor").symlink_to(canary)  # the stage folder itself swapped for a link
    with pytest.raises(_files.PathProblem, match="inductor is a symlink or not a directory"):
        _files.remove_contents(str(root), "profiles/inductor")
    assert (canary / "keep").read_text() == "keep"


def test_remove_contents_spares_the_kept_files_and_the_folders_that_hold_them(tmp_path):
    stage = tmp_path / "profiles" / "inductor"
    (stage / "fx" / "ab").mkdir(parents=True)
    (stage / "half").mkdir()
    for rel in ("fx/ab/signed.so", "fx/ab/planted.so", "half/partial.bin", "compile.log", ".lock", "stray"):
        (stage / rel).write_text(rel)
    assert _files.remove_contents(str(tmp_path), "profiles/inductor", keep=(".lock", "compile.log"),
                                  kept={"fx/ab/signed.so", "fx", "fx/ab"}) == (3, 1)
    left = sorted(str(p.relative_to(stage)) for p in stage.rglob("*"))
    assert left == [".lock", "compile.log", "fx", "fx/ab", "fx/ab/signed.so"]
    assert (stage / "fx" / "ab" / "signed.so").read_text() == "fx/ab/signed.so"
    (stage / "new.bin").write_text("written by a live process")
    os.utime(str(stage / "fx" / "ab" / "signed.so"), (1000, 1000))
    assert _files.remove_contents(str(tmp_path), "profiles/inductor", kept=set(), before=2000) == (1, 2)
    assert sorted(p.name for p in stage.iterdir()) == [".lock", "compile.log", "new.bin"]
    assert _files.remove_contents(str(tmp_path), "profiles/inductor", kept=set()) == (3, 0)
    assert list(stage.iterdir()) == []


def test_move_within_renames_by_handles(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.json").write_text("{}")
    _files.move_within(str(tmp_path), str(tmp_path / "a" / "x.json"), str(tmp_path / "b" / "x.json"))
    assert (tmp_path / "b" / "x.json").read_text() == "{}" and not (tmp_path / "a" / "x.json").exists()


def test_a_planted_fifo_is_refused_at_once_never_waited_on(tmp_path):
    import threading
    fifo = tmp_path / "prep_result.json"
    os.mkfifo(str(fifo))
    done = []
    worker = threading.Thread(target=lambda: done.append(pytest.raises(_files.PathProblem, _files.read_bytes, str(fifo))))
    worker.start()
    worker.join(5)
    assert done and "is not a regular file" in str(done[0].value)
    assert _files.read_json(str(tmp_path / "missing.json")) == (None, None)


def test_a_huge_sparse_record_is_refused_and_a_log_is_read_from_its_tail(tmp_path):
    huge = tmp_path / "prep_result.json"
    with open(str(huge), "wb") as handle:
        handle.truncate(1 << 30)  # 1 GiB, sparse
    with pytest.raises(_files.PathProblem, match="holds 1073741824 bytes, more than the 16777216 a record may have"):
        _files.read_bytes(str(huge))
    assert _files.read_json(str(huge), quarantine=False) == (None, None) and huge.exists()
    data, aside = _files.read_json(str(huge), now=1795348800.25)  # kept aside, never loaded
    assert data is None and aside.endswith(".corrupt-20261122T120000.250Z") and not huge.exists()
    log = tmp_path / "compile.log"
    log.write_bytes(b"a" * 100 + b"last line\n")
    assert _files.read_bytes(str(log), limit=10, tail=True) == b"last line\n"


def test_ensure_dirs_refuses_a_directory_swapped_for_a_symlink_between_mkdir_and_chmod(tmp_path, monkeypatch):
    canary = tmp_path / "outside"
    canary.mkdir(mode=0o700)
    (tmp_path / "tree").mkdir()
    real_mkdir = os.mkdir

    def racing_mkdir(path, mode=0o777, *, dir_fd=None):
        real_mkdir(path, mode, dir_fd=dir_fd)
        os.rmdir(path, dir_fd=dir_fd)
        os.symlink(str(canary), path, dir_fd=dir_fd)  # the race: the folder becomes a link before its owner and mode are set

    monkeypatch.setattr(os, "mkdir", racing_mkdir)
    with pytest.raises(_files.PathProblem, match="new is a symlink or not a directory"):
        _files.ensure_dirs(str(tmp_path / "tree"), "new", os.getuid(), os.getgid(), mode=0o755)
    assert oct(canary.stat().st_mode & 0o777) == "0o700"  # the canary's mode is unchanged


def test_unlink_under_walks_by_handles_and_never_follows_a_swapped_folder(tmp_path):
    root = tmp_path / "stage"
    (root / "build" / "x").mkdir(parents=True)
    (root / "build" / "x" / "lock").write_text("")
    _files.unlink_under(str(root), "build/x/lock")
    assert not (root / "build" / "x" / "lock").exists()
    _files.unlink_under(str(root), "build/x/lock")  # already gone: fine
    canary = tmp_path / "outside"
    canary.mkdir()
    (canary / "lock").write_text("keep me")
    (root / "build" / "x").rmdir()
    os.symlink(str(canary), str(root / "build" / "x"))  # the folder swapped for a link to outside the tree
    with pytest.raises(_files.PathProblem, match="is a symlink or not a directory"):
        _files.unlink_under(str(root), "build/x/lock")
    assert (canary / "lock").read_text() == "keep me"
    with pytest.raises(_files.PathProblem):
        _files.unlink_under(str(root), "../outside/lock")


def test_a_corrupt_record_is_kept_aside_through_the_root_s_handles_never_through_a_swapped_folder(tmp_path):
    root, canary = tmp_path / "root", tmp_path / "canary"
    (root / "profiles").mkdir(parents=True)
    (root / "profiles" / "prep_result.json").write_text("{not json")
    data, aside = _files.read_json(str(root / "profiles" / "prep_result.json"), now=1795348800.25, root=str(root))
    assert data is None and aside == str(root / "profiles" / "prep_result.json.corrupt-20261122T120000.250Z")
    assert (root / "profiles" / "prep_result.json.corrupt-20261122T120000.250Z").read_text() == "{not json"
    canary.mkdir()
    (canary / "prep_result.json").write_text("{outside")
    os.rename(str(root / "profiles"), str(tmp_path / "aside"))
    (root / "profiles").symlink_to(canary)  # the folder swapped for a link after the read
    with pytest.raises(_files.PathProblem, match="profiles is a symlink or not a directory"):
        _files.keep_aside(str(root / "profiles" / "prep_result.json"), now=1, root=str(root))
    assert sorted(p.name for p in canary.iterdir()) == ["prep_result.json"]


def test_a_write_that_finds_no_space_leaves_the_file_whole_and_names_it(tmp_path, monkeypatch):
    path = tmp_path / "prep_result.json"
    path.write_bytes(b'{"stages": {"inductor": {"status": "ok"}}}\n')
    real = os.write

    def full(fd, data):
        if len(data) > 10:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)
    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError) as exc:
        _files.atomic_write(str(path), b'{"stages": {"inductor": {"status": "ok"}, "moe": {"status": "ok"}}}\n', root=str(tmp_path))
    assert exc.value.errno == errno.ENOSPC and exc.value.filename == str(path)
    assert path.read_bytes() == b'{"stages": {"inductor": {"status": "ok"}}}\n' and sorted(os.listdir(str(tmp_path))) == ["prep_result.json"]


def test_free_space_is_read_through_the_folder_handle_and_said_in_one_line(tmp_path):
    (tmp_path / "profiles").mkdir()
    free, total = _files.free_space(str(tmp_path), "profiles")
    assert 0 <= free <= total and total > 0
    line = _files.space_line(str(tmp_path), "profiles")
    assert line.startswith("no space left on the device of %s/profiles (" % tmp_path) and line.endswith(" KiB)")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(str(tmp_path / "elsewhere"), str(tmp_path / "link"))
    with pytest.raises(_files.PathProblem):
        _files.free_space(str(tmp_path), "link")
