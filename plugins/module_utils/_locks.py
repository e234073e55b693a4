# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""flock(2) lock files (private to the collection): acquire with a bounded wait, release and remove,
and probe whether anyone holds a lock.

Pure standard-library code. A lock file is only ever opened with ``O_NOFOLLOW``, without blocking, relative to
its folder's handle (reached from the host tree's root without following a symlink when a root is given), and one
with another hard link is refused before it is truncated. Removing a lock file
is safe only while holding it, and only when the path still names the inode that is locked: a waiter
that wins a lock on an inode that was unlinked meanwhile retries on the new file. A lock file holds one
line, ``pid <N> since <UTC time>``, written by its holder, so a waiter can name it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import os
import stat
import time

from ansible_collections.gh200.sglang.plugins.module_utils import _files
from ansible_collections.gh200.sglang.plugins.module_utils._tree import walk

HOLDER_MAX_BYTES = 200


class LockHeld(Exception):
    """The lock stayed held for the whole wait; the message names the path and its holder."""


def utc(now):
    """``now`` (seconds since the epoch) as an ISO 8601 UTC time to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


def _open(dir_fd, name, path, create):
    """The lock file ``name`` in the folder ``dir_fd``, opened without following a symlink or blocking; OSError when it
    is not a regular file, PathProblem when it has another hard link (it is truncated and written once held)."""
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | _files.O_CLOEXEC
    if create:
        flags |= os.O_CREAT
    fd = os.open(name, flags, 0o644, dir_fd=dir_fd)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", path)
    problem = _files.write_problem(path, info)
    if problem:
        os.close(fd)
        raise _files.PathProblem(problem)
    return fd


def _try_flock(fd):
    """True when this descriptor now holds the exclusive lock, False when another one holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except (IOError, OSError) as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise


def _same_file(fd, dir_fd, name):
    """Whether ``name`` in the folder ``dir_fd`` still names the inode open as ``fd`` (it may have been unlinked and
    recreated)."""
    try:
        current = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return False
        raise
    mine = os.fstat(fd)
    return (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino)


def _holder_line(data):
    return data.decode("utf-8", "replace").strip().splitlines()[0] if data.strip() else ""


def _holder_at(dir_fd, name):
    """The holder line of the lock file ``name`` in the folder ``dir_fd``, or '' when it has none, is gone or is not a
    regular file (opened without following a symlink or blocking: a planted FIFO never hangs the read)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _files.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return ""
    try:
        return _holder_line(os.read(fd, HOLDER_MAX_BYTES)) if stat.S_ISREG(os.fstat(fd).st_mode) else ""
    finally:
        os.close(fd)


def read_holder(path, root=None):
    """The holder line a lock file carries (``pid N since T``), or '' (see _holder_at); with ``root``, its folder is
    reached from ``root`` without following a symlink."""
    try:
        dir_fd, name = _files.parent_folder(path, root)
    except (OSError, _files.PathProblem):
        return ""
    try:
        return _holder_at(dir_fd, name)
    finally:
        os.close(dir_fd)


def kernel_holders(path, proc_locks="/proc/locks"):
    """PIDs that hold an flock on the inode at ``path``, from the kernel's lock table (as this PID
    namespace sees them; a holder outside it shows as 0 or is absent)."""
    try:
        info = os.lstat(path)
        with open(proc_locks) as handle:
            lines = handle.read().splitlines()
    except (IOError, OSError):
        return []
    pids = []
    for line in lines:
        fields = line.split()
        if "->" in fields or len(fields) < 6 or fields[1] != "FLOCK":
            continue
        try:
            major, minor, inode = fields[5].split(":")
            matches = int(inode) == info.st_ino and os.makedev(int(major, 16), int(minor, 16)) == info.st_dev
        except ValueError:
            continue
        if matches:
            pids.append(int(fields[4]))
    return sorted(set(pids))


def describe_holder(path, line):
    """(how to name the holder of the held lock at ``path``, its PIDs from the kernel's lock table): the
    holder line it wrote, else the PIDs, else 'an unknown process'."""
    pids = kernel_holders(path)
    return line or ("pid %s" % ", ".join(str(p) for p in pids) if pids else "an unknown process"), pids


class Lock(object):
    """An acquired lock file; ``release()`` removes the file (relative to its folder's handle) and then drops the lock."""

    def __init__(self, path, fd, dir_fd, name):
        self.path, self.fd, self.dir_fd, self.name = path, fd, dir_fd, name

    def release(self):
        if self.fd is None:
            return
        try:
            if _same_file(self.fd, self.dir_fd, self.name):
                os.unlink(self.name, dir_fd=self.dir_fd)
        finally:
            os.close(self.fd)
            os.close(self.dir_fd)
            self.fd = self.dir_fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False


def acquire(path, wait=30.0, interval=0.5, pid=None, clock=time.time, sleep=time.sleep, root=None):
    """Take the exclusive lock on ``path`` (created 0644 when missing), trying without blocking every
    ``interval`` seconds for at most ``wait`` seconds. Returns a Lock; raises LockHeld naming the holder
    when the wait ends, OSError when the path cannot be a lock file (a symlink, a directory), PathProblem when it
    has another hard link or, with ``root`` (the host tree), its folder is reached through a symlink: every step
    acts relative to the folder's handle, opened from ``root`` without following one."""
    deadline = clock() + wait
    dir_fd, name = _files.parent_folder(path, root)
    try:
        while True:
            fd = _open(dir_fd, name, path, create=True)
            if _try_flock(fd):
                if _same_file(fd, dir_fd, name):
                    line = ("pid %d since %s\n" % (pid or os.getpid(), utc(clock()))).encode("ascii")
                    lock, dir_fd = Lock(path, fd, dir_fd, name), None
                    try:
                        os.ftruncate(fd, 0)
                        os.pwrite(fd, line, 0)
                    except OSError as exc:  # a full disk: no lock left behind, and the path named
                        lock.release()
                        exc.filename = exc.filename or path
                        raise
                    return lock
                os.close(fd)  # the holder removed this inode as we won it: try the new file at once
                continue
            os.close(fd)
            if clock() >= deadline:
                holder = _holder_at(dir_fd, name) or "an unknown process"
                raise LockHeld("%s is held by %s; gave up after %gs" % (path, holder, wait))
            sleep(interval)
    finally:
        if dir_fd is not None:
            os.close(dir_fd)


def probe(path, remove=False, root=None):
    """('free' | 'held' | 'gone', holder line) for the lock file at ``path``. A free lock is removed when
    ``remove`` is set, while this probe holds it, so no one can be holding it at that moment; with ``root``, its
    folder is reached from ``root`` without following a symlink and the removal acts relative to it."""
    try:
        dir_fd, name = _files.parent_folder(path, root)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return "gone", ""
        raise
    try:
        try:
            fd = _open(dir_fd, name, path, create=False)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return "gone", ""
            raise
        try:
            holder = _holder_line(os.pread(fd, HOLDER_MAX_BYTES, 0))
            if not _try_flock(fd):
                return "held", holder
            if not _same_file(fd, dir_fd, name):
                return "gone", ""
            if remove:
                os.unlink(name, dir_fd=dir_fd)
            return "free", holder
        finally:
            os.close(fd)
    finally:
        os.close(dir_fd)


# Locks held by existence, not by flock: torch.utils.file_baton.FileBaton (the JIT builds of torch's cpp_extension,
# FlashInfer's and DeepGEMM's kernels) creates a file named "lock" in the build folder and deletes it when done. A
# build killed with its container leaves it, and the next build waits for it for ever.
BATON_NAMES = ("lock",)


def stale_batons(top, older_than):
    """Baton files (BATON_NAMES, regular files) under ``top`` last written before ``older_than`` (epoch seconds: the
    start of the container the stage runs in, so no process alive in it can hold them), sorted; the walk follows
    no symlink."""
    found = []
    for rel, info in walk(top):
        if rel and os.path.basename(rel) in BATON_NAMES and stat.S_ISREG(info.st_mode) and info.st_mtime < older_than:
            found.append(os.path.join(top, rel))
    return sorted(found)


def waited_on(top, keep=(), root=None, limit=3):
    """What a quiet build under ``top`` may be waiting on, one phrase each (at most ``limit``, newest first): every
    baton (held by existence) and every ``*.lock`` file except those in ``keep``, with when it was written and, for a
    ``*.lock``, who holds it under flock. The walk follows no symlink; nothing is removed."""
    found = []
    for rel, info in walk(top):
        name = os.path.basename(rel) if rel else ""
        path = os.path.join(top, rel)
        if not stat.S_ISREG(info.st_mode) or path in keep or not (name in BATON_NAMES or name.endswith(".lock")):
            continue
        if name in BATON_NAMES:
            what = "a build's baton, held while it exists"
        else:
            state, line = probe(path, root=root or top)
            what = "held by %s" % describe_holder(path, line)[0] if state == "held" else "a lock file nobody holds"
        found.append((info.st_mtime, "%s (%s, written %s)" % (rel, what, utc(info.st_mtime))))
    return [phrase for dummy, phrase in sorted(found, reverse=True)[:limit]]


def find(top):
    """(regular ``*.lock`` files under ``top``, other entries named ``*.lock`` as '<path> (<kind>)'), sorted;
    the walk never follows a symbolic link."""
    files, others = [], []
    for rel, info in walk(top):
        if not rel or not os.path.basename(rel).endswith(".lock"):
            continue
        path = os.path.join(top, rel)
        if stat.S_ISREG(info.st_mode):
            files.append(path)
        else:
            others.append("%s (%s)" % (path, "symlink" if stat.S_ISLNK(info.st_mode) else "not a regular file"))
    return sorted(files), sorted(others)


def clean(top, keep=(), remove=True, root=None):
    """Probe every lock file under ``top`` except those in ``keep``: (removed or removable orphans, held ones). Each
    is probed and removed relative to its folder's handle, reached from ``root`` (default ``top``) without following
    a symlink."""
    removed, held = [], []
    for path in find(top)[0]:
        if path in keep:
            continue
        state, holder = probe(path, remove=remove, root=root or top)
        if state == "free":
            removed.append(path)
        elif state == "held":
            held.append((path, holder))
    return removed, held
