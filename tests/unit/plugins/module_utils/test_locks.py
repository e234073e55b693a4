"""flock lock files: a bounded wait naming the holder, release removes the file, a probe tells a held
lock from an orphaned one. Holders are real processes."""
import calendar
import os

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _files, _locks


class Clock(object):
    """A fake clock that the fake sleep advances."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_acquire_writes_the_holder_and_release_removes_the_file(tmp_path):
    path = tmp_path / ".lock"
    lock = _locks.acquire(str(path), wait=0, pid=4242, clock=lambda: 1795348800.0)
    assert path.read_text() == "pid 4242 since 2026-11-22T12:00:00Z\n"
    assert _locks.probe(str(path)) == ("held", "pid 4242 since 2026-11-22T12:00:00Z")
    lock.release()
    assert not path.exists()
    lock.release()  # twice is harmless


def test_the_lock_is_released_and_removed_when_the_block_raises(tmp_path):
    path = tmp_path / ".lock"
    with pytest.raises(RuntimeError):
        with _locks.acquire(str(path), wait=0):
            raise RuntimeError("the stage failed")
    assert not path.exists()


def test_a_held_lock_is_retried_within_the_wait_then_names_its_holder(tmp_path, lock_holder):
    path = tmp_path / ".lock"
    proc = lock_holder(path)
    clock = Clock()
    with pytest.raises(_locks.LockHeld) as exc:
        _locks.acquire(str(path), wait=2, interval=0.5, clock=clock.time, sleep=clock.sleep)
    assert str(exc.value) == "%s is held by pid %d since 2026-11-22T10:00:00Z; gave up after 2s" % (path, proc.pid)
    assert clock.slept == [0.5, 0.5, 0.5, 0.5]
    assert path.exists()  # the holder's file is left alone


def test_a_lock_freed_during_the_wait_is_taken(tmp_path, lock_holder):
    path = tmp_path / ".lock"
    proc = lock_holder(path)
    clock = Clock()

    def sleep(seconds):
        clock.sleep(seconds)
        if len(clock.slept) == 2:
            proc.kill()
            proc.wait()

    with _locks.acquire(str(path), wait=10, interval=1, clock=clock.time, sleep=sleep):
        assert _locks.probe(str(path))[0] == "held"
    assert clock.slept == [1, 1] and not path.exists()


def test_a_killed_holder_leaves_an_orphan_that_the_probe_removes(tmp_path, lock_holder):
    path = tmp_path / ".lock"
    proc = lock_holder(path)
    assert _locks.kernel_holders(str(path)) == [proc.pid]
    assert _locks.probe(str(path), remove=True)[0] == "held" and path.exists()
    proc.kill()
    proc.wait()
    assert _locks.kernel_holders(str(path)) == []
    assert _locks.probe(str(path)) == ("free", "pid %d since 2026-11-22T10:00:00Z" % proc.pid)
    assert path.exists()  # a probe without remove changes nothing
    assert _locks.probe(str(path), remove=True)[0] == "free" and not path.exists()
    assert _locks.probe(str(path)) == ("gone", "")


def test_a_waiter_never_keeps_a_lock_on_a_removed_file(tmp_path, monkeypatch):
    """Between a holder's unlink and close, a waiter can win the old inode; it must retry on the new file."""
    path = tmp_path / ".lock"
    first = _locks.acquire(str(path), wait=0)
    real_try = _locks._try_flock
    calls = []

    def racing_try(fd):
        calls.append(fd)
        if len(calls) == 1:
            first.release()  # the holder removes the file and lets go while this waiter holds its descriptor
        return real_try(fd)

    monkeypatch.setattr(_locks, "_try_flock", racing_try)
    second = _locks.acquire(str(path), wait=0)
    assert len(calls) == 2 and path.exists()
    st = os.stat(str(path))
    assert (st.st_dev, st.st_ino) == (os.fstat(second.fd).st_dev, os.fstat(second.fd).st_ino)
    second.release()


@pytest.mark.parametrize("kind", ["symlink", "directory", "fifo"])
def test_a_lock_path_that_is_not_a_regular_file_is_refused_at_once(tmp_path, kind):
    path = tmp_path / ".lock"
    target = tmp_path / "target"
    target.write_text("keep")
    if kind == "symlink":
        path.symlink_to(target)
    elif kind == "fifo":
        os.mkfifo(str(path))  # never waited on: every open is non-blocking
    else:
        path.mkdir()
    with pytest.raises(OSError):
        _locks.acquire(str(path), wait=0)
    with pytest.raises(OSError):
        _locks.probe(str(path), remove=True)
    assert _locks.read_holder(str(path)) == ""
    assert target.read_text() == "keep" and os.path.lexists(str(path))


def test_a_hard_linked_lock_file_is_never_truncated_or_written(tmp_path):
    shadow = tmp_path / "shadow"
    shadow.write_text("root:x:0:0\n")
    path = tmp_path / "stage" / ".lock"
    path.parent.mkdir()
    os.link(str(shadow), str(path))
    with pytest.raises(_files.PathProblem, match="has 2 hard links"):
        _locks.acquire(str(path), wait=0, root=str(tmp_path))
    with pytest.raises(_files.PathProblem, match="has 2 hard links"):
        _locks.probe(str(path), remove=True, root=str(tmp_path))
    assert shadow.read_text() == "root:x:0:0\n" and path.exists()


def test_under_a_root_a_lock_folder_swapped_for_a_symlink_is_refused(tmp_path):
    canary = tmp_path / "canary"
    canary.mkdir()
    (canary / "x.lock").write_text("")
    root = tmp_path / "root"
    (root / "profiles").mkdir(parents=True)
    (root / "profiles" / "inductor").symlink_to(canary)
    with pytest.raises(_files.PathProblem, match="inductor is a symlink or not a directory"):
        _locks.acquire(str(root / "profiles" / "inductor" / ".lock"), wait=0, root=str(root))
    with pytest.raises(_files.PathProblem, match="inductor is a symlink or not a directory"):
        _locks.probe(str(root / "profiles" / "inductor" / "x.lock"), remove=True, root=str(root))
    assert sorted(p.name for p in canary.iterdir()) == ["x.lock"]
    assert _locks.probe(str(root / "profiles" / "gone" / "x.lock"), root=str(root)) == ("gone", "")


def test_kernel_holders_reads_the_lock_table(tmp_path):
    path = tmp_path / ".lock"
    path.write_text("")
    st = os.stat(str(path))
    dev = "%02x:%02x:%d" % (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    table = tmp_path / "locks"
    table.write_text("1: FLOCK  ADVISORY  WRITE 77 %s 0 EOF\n1: -> FLOCK  ADVISORY  WRITE 78 %s 0 EOF\n"
                     "2: POSIX  ADVISORY  WRITE 79 %s 0 EOF\n3: FLOCK  ADVISORY  WRITE 80 00:01:1 0 EOF\n" % (dev, dev, dev))
    assert _locks.kernel_holders(str(path), str(table)) == [77]


def test_utc():
    assert _locks.utc(calendar.timegm((2026, 11, 22, 13, 5, 9)) + 0.9) == "2026-11-22T13:05:09Z"


def test_clean_removes_only_unheld_locks_and_keeps_what_it_is_told(tmp_path, lock_holder):
    (tmp_path / "locks").mkdir()
    orphan = tmp_path / "locks" / "fxgraph.lock"  # what a library's FileLock leaves behind
    orphan.write_text("")
    mine = tmp_path / ".lock"
    mine.write_text("")
    held = tmp_path / "locks" / "busy.lock"
    proc = lock_holder(held)
    (tmp_path / "link.lock").symlink_to(orphan)
    assert _locks.find(str(tmp_path)) == ([str(mine), str(held), str(orphan)], ["%s (symlink)" % (tmp_path / "link.lock")])
    assert _locks.clean(str(tmp_path), keep=(str(mine),), remove=False) == (
        [str(orphan)], [(str(held), "pid %d since 2026-11-22T10:00:00Z" % proc.pid)])
    assert orphan.exists()
    removed, held_now = _locks.clean(str(tmp_path), keep=(str(mine),))
    assert removed == [str(orphan)] and not orphan.exists() and mine.exists() and held.exists()
    assert _locks.describe_holder(str(held), "") == ("pid %d" % proc.pid, [proc.pid])


def test_batons_written_before_the_container_started_are_stale_newer_ones_may_be_held(tmp_path):
    import os
    old = tmp_path / "cached_ops" / "norm" / "lock"
    new = tmp_path / "cached_ops" / "gemm" / "lock"
    for path in (old, new):
        path.parent.mkdir(parents=True)
        path.write_text("")
    os.utime(str(old), (1000, 1000))
    os.utime(str(new), (3000, 3000))
    (tmp_path / "lock.txt").write_text("not a baton")
    os.symlink(str(old), str(tmp_path / "lock"))  # a symlink named lock is no baton
    assert _locks.stale_batons(str(tmp_path), older_than=2000) == [str(old)]


def test_what_a_quiet_build_waits_on_is_named_newest_first_and_nothing_is_removed(tmp_path, lock_holder):
    import os
    baton = tmp_path / "build" / "lock"
    baton.parent.mkdir()
    baton.write_text("")
    os.utime(str(baton), (calendar.timegm((2026, 11, 22, 9, 0, 0)),) * 2)
    orphan = tmp_path / "fxgraph.lock"
    orphan.write_text("")
    os.utime(str(orphan), (calendar.timegm((2026, 11, 22, 8, 0, 0)),) * 2)
    mine = tmp_path / ".lock"
    mine.write_text("")
    held = tmp_path / "triton" / "busy.lock"
    held.parent.mkdir()
    proc = lock_holder(held)
    os.utime(str(held), (calendar.timegm((2026, 11, 22, 10, 0, 0)),) * 2)
    (tmp_path / "link.lock").symlink_to(orphan)  # a symlink is no lock it can wait on
    (tmp_path / "notes.txt").write_text("")
    assert _locks.waited_on(str(tmp_path), keep=(str(mine),)) == [
        "triton/busy.lock (held by pid %d since 2026-11-22T10:00:00Z, written 2026-11-22T10:00:00Z)" % proc.pid,
        "build/lock (a build's baton, held while it exists, written 2026-11-22T09:00:00Z)",
        "fxgraph.lock (a lock file nobody holds, written 2026-11-22T08:00:00Z)"]
    assert baton.exists() and orphan.exists() and held.exists() and mine.exists()
    assert _locks.waited_on(str(tmp_path), keep=(str(mine),), limit=1) == _locks.waited_on(str(tmp_path), keep=(str(mine),))[:1]
    assert _locks.waited_on(str(tmp_path / "build" / "none")) == []
