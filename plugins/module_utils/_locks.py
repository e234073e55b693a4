# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""flock(2) lock files (private to the collection): acquire with a bounded wait, release and remove,
and probe whether anyone holds a lock.

Pure standard-library code. A lock file is only ever opened with ``O_NOFOLLOW``. Removing a lock file
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

from ansible_collections.gh200.sglang.plugins.module_utils._tree import walk

HOLDER_MAX_BYTES = 200


class LockHeld(Exception):
    """The lock stayed held for the whole wait; the message names the path and its holder."""


def utc(now):
    """``now`` (seconds since the epoch) as an ISO 8601 UTC time to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


def _open(path, create):
    flags = os.O_RDWR | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    if create:
        flags |= os.O_CREAT
    fd = os.open(path, flags, 0o644)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", path)
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


def _same_file(fd, path):
    """Whether ``path`` still names the inode open as ``fd`` (it may have been unlinked and recreated)."""
    try:
        current = os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return False
        raise
    mine = os.fstat(fd)
    return (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino)


def read_holder(path):
    """The holder line a lock file carries (``pid N since T``), or '' when it has none or is gone."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return ""
    try:
        data = os.read(fd, HOLDER_MAX_BYTES)
    finally:
        os.close(fd)
    return data.decode("utf-8", "replace").strip().splitlines()[0] if data.strip() else ""


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
    """An acquired lock file; ``release()`` removes the file and then drops the lock."""

    def __init__(self, path, fd):
        self.path, self.fd = path, fd

    def release(self):
        if self.fd is None:
            return
        try:
            if _same_file(self.fd, self.path):
                os.unlink(self.path)
        finally:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False


def acquire(path, wait=30.0, interval=0.5, pid=None, clock=time.time, sleep=time.sleep):
    """Take the exclusive lock on ``path`` (created 0644 when missing), trying without blocking every
    ``interval`` seconds for at most ``wait`` seconds. Returns a Lock; raises LockHeld naming the holder
    when the wait ends, OSError when the path cannot be a lock file (a symlink, a directory)."""
    deadline = clock() + wait
    while True:
        fd = _open(path, create=True)
        if _try_flock(fd):
            if _same_file(fd, path):
                line = ("pid %d since %s\n" % (pid or os.getpid(), utc(clock()))).encode("ascii")
                os.ftruncate(fd, 0)
                os.pwrite(fd, line, 0)
                return Lock(path, fd)
            os.close(fd)  # the holder removed this inode as we won it: try the new file at once
            continue
        os.close(fd)
        if clock() >= deadline:
            holder = read_holder(path) or "an unknown process"
            raise LockHeld("%s is held by %s; gave up after %gs" % (path, holder, wait))
        sleep(interval)


def probe(path, remove=False):
    """('free' | 'held' | 'gone', holder line) for the lock file at ``path``. A free lock is removed when
    ``remove`` is set, while this probe holds it, so no one can be holding it at that moment."""
    try:
        fd = _open(path, create=False)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return "gone", ""
        raise
    try:
        holder = read_holder(path)
        if not _try_flock(fd):
            return "held", holder
        if not _same_file(fd, path):
            return "gone", ""
        if remove:
            os.unlink(path)
        return "free", holder
    finally:
        os.close(fd)


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


def clean(top, keep=(), remove=True):
    """Probe every lock file under ``top`` except those in ``keep``: (removed or removable orphans, held ones)."""
    removed, held = [], []
    for path in find(top)[0]:
        if path in keep:
            continue
        state, holder = probe(path, remove=remove)
        if state == "free":
            removed.append(path)
        elif state == "held":
            held.append((path, holder))
    return removed, held
