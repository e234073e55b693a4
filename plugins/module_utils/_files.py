# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""File helpers shared by the gh200.sglang modules (private to the collection).

Pure standard-library code: atomic writes whose final mode and owner hold from the first byte,
and path checks confined to a root that never follow symbolic links.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import stat
import tempfile
import time


class PathProblem(Exception):
    """A path that must not be used; the message names the path and the cause."""


# The most a record, pointer or log read from the host tree may hold: anything in the tree may have been planted
# by the container, so a read never takes more (a sparse 1 GiB file is refused, not loaded).
READ_LIMIT = 16 * 1024 * 1024


def atomic_write(path, data, mode=0o600, uid=None, gid=None):
    """Write ``data`` (bytes) to ``path`` atomically.

    The temporary file is created next to ``path`` with ``O_EXCL|O_NOFOLLOW`` and mode 0600, its
    final mode and owner are set on the open descriptor before any byte is written, and it then
    replaces ``path`` with ``rename`` (which replaces a symlink at ``path`` rather than following it).
    """
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        if uid is not None or gid is not None:
            os.fchown(fd, -1 if uid is None else uid, -1 if gid is None else gid)
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        os.close(fd)
        fd = None
        os.rename(tmp, path)
        tmp = None
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def read_bytes(path, limit=READ_LIMIT, tail=False):
    """Content of a regular file, never through a symlink; None when it does not exist.

    The file is opened without blocking (a FIFO planted in its place never hangs the read) and must be a regular
    file; one larger than ``limit`` bytes is refused with PathProblem, or, with ``tail``, only its last ``limit``
    bytes are read (a log)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        if exc.errno == errno.ELOOP:
            raise PathProblem("%s is a symlink; refusing to read through it" % path)
        if exc.errno == errno.ENXIO:  # a FIFO or socket with no writer
            raise PathProblem("%s is not a regular file; refusing to read it" % path)
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PathProblem("%s is not a regular file; refusing to read it" % path)
        if info.st_size > limit:
            if not tail:
                raise PathProblem("%s holds %d bytes, more than the %d a record may have; refusing to read it"
                                  % (path, info.st_size, limit))
            handle.seek(info.st_size - limit)
        return handle.read(limit)


def _lstat(path):
    """os.lstat(path), or None when it does not exist."""
    try:
        return os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def missing_dirs(root, rel):
    """The directories of ``rel`` (relative to ``root``) that do not exist yet, top first; PathProblem
    when a component is a symlink or not a directory (never followed)."""
    missing, current = [], root
    for part in [p for p in rel.split("/") if p]:
        current = os.path.join(current, part)
        info = None if missing else _lstat(current)
        if info is None:
            missing.append(current)
        elif stat.S_ISLNK(info.st_mode):
            raise PathProblem("%s is a symlink; refusing to write through it" % current)
        elif not stat.S_ISDIR(info.st_mode):
            raise PathProblem("%s is not a directory" % current)
    return missing


def make_dirs(paths, uid, gid, mode=0o755):
    """Create each directory of ``paths`` (top first, as missing_dirs gives them) with its final owner and mode.

    Owner and mode are set through a handle on the directory just made, opened without following a symlink, so a
    directory swapped for a symlink between the mkdir and the chmod is refused, never followed."""
    for path in paths:
        os.mkdir(path, 0o700)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise PathProblem("%s was replaced by a symlink or a file while it was made; refusing to follow it" % path)
            raise
        try:
            os.fchown(fd, uid, gid)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)


def unlink_under(root, rel):
    """Remove the file ``rel`` below ``root`` through directory handles: each folder from ``root`` down is opened
    without following a symlink, and the file is unlinked relative to the last one, so a folder swapped for a
    symlink meanwhile is refused (PathProblem), never followed out of the tree. A file already gone is fine."""
    parts = [p for p in rel.split("/") if p]
    if not parts or ".." in parts or "." in parts:
        raise PathProblem("%r is not a path below %s" % (rel, root))
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for part in parts[:-1]:
            try:
                child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise PathProblem("%s/%s is a symlink or not a directory; refusing to follow it" % (root, part))
                if exc.errno == errno.ENOENT:
                    return
                raise
            os.close(fd)
            fd = child
        try:
            os.unlink(parts[-1], dir_fd=fd)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
    finally:
        os.close(fd)


def symlink_problem(root, path):
    """Why ``path`` (at or under ``root``) is unsafe, or None.

    Every component from ``root`` down to ``path`` is checked with ``lstat``: a symlink whose
    target leaves ``root`` is a problem; so is ``root`` itself being a symlink. Missing
    components are not a problem here.
    """
    root = os.path.normpath(root)
    path = os.path.normpath(path)
    if path != root and not path.startswith(root + os.sep):
        return "%s is outside the host tree root %s" % (path, root)
    real_root = os.path.realpath(root)
    current = root
    parts = [] if path == root else os.path.relpath(path, root).split(os.sep)
    for part in [None] + parts:
        if part is not None:
            current = os.path.join(current, part)
        info = _lstat(current)
        if info is None:
            return None
        if stat.S_ISLNK(info.st_mode):
            target = os.path.realpath(current)
            if current == root:
                return "%s is a symlink (to %s); the host tree root must be a real directory" % (current, target)
            if target != real_root and not target.startswith(real_root + os.sep):
                return "%s is a symlink to %s, outside the host tree root %s" % (current, target, root)
    return None


def ownership_problem(path, uid, user):
    """Why ``path`` is not owned by ``uid``, or None (also None when it does not exist)."""
    info = _lstat(path)
    if info is not None and info.st_uid != uid:
        return "%s is owned by uid %d, not by the host user %s (uid %d)" % (path, info.st_uid, user, uid)
    return None


def json_bytes(data):
    """``data`` as the JSON text of a record file: indented, keys sorted, a final newline, UTF-8."""
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8")


def utc_stamp(now):
    """``now`` as a compact UTC time to the millisecond, for file names: 20261122T101500.123Z."""
    return "%s%03dZ" % (time.strftime("%Y%m%dT%H%M%S.", time.gmtime(now)), int(now * 1000) % 1000)


def keep_aside(path, now=None):
    """Rename ``path`` to ``<path>.corrupt-<UTC time>`` (never overwriting it with a rebuilt file); the new path."""
    aside = "%s.corrupt-%s" % (path, utc_stamp(time.time() if now is None else now))
    os.rename(path, aside)
    return aside


def read_json(path, quarantine=True, now=None):
    """(parsed JSON of ``path`` or None when it is missing or corrupt, the path a corrupt file was
    renamed to or None). A corrupt file, or anything that is not a regular file of a record's size (a planted
    symlink, FIFO or huge file), is kept aside as ``<path>.corrupt-<UTC time>``, never overwritten or followed."""
    try:
        raw = read_bytes(path)
    except PathProblem:  # planted: a symlink, a FIFO, a device or a file too large to be a record
        if not quarantine:
            return None, None
        return None, keep_aside(path, now)
    if raw is None:
        return None, None
    try:
        return json.loads(raw.decode("utf-8")), None
    except (ValueError, UnicodeDecodeError):
        if not quarantine:
            return None, None
        return None, keep_aside(path, now)


def tree_problems(root, uid, user, subdirs):
    """Every problem with the host tree: root and each subdir must be real directories, inside root,
    owned by the host user. Returns a list of one-line messages (empty when all is well)."""
    problems = []
    if not os.path.isabs(root):
        return ["host tree root %r is not an absolute path" % root]
    bad = []  # paths already reported; what lies below them is not reported again
    for path in [root] + [os.path.join(root, d) for d in subdirs]:
        if any(path.startswith(b + os.sep) for b in bad):
            continue
        bad.append(path)
        problem = symlink_problem(root, path)
        if problem:
            problems.append(problem)
            if path == root:
                return problems
            continue
        if not os.path.lexists(path):
            problems.append("%s does not exist (run the host_prep role first)" % path)
            if path == root:
                return problems
            continue
        if not os.path.isdir(path):
            problems.append("%s is not a directory" % path)
            continue
        problem = ownership_problem(path, uid, user)
        if problem:
            problems.append(problem)
            continue
        bad.pop()
    return problems
