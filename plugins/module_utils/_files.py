# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""File helpers shared by the gh200.sglang modules (private to the collection).

Pure standard-library code: atomic writes whose final mode and owner hold from the first byte,
and path checks confined to a root that never follow symbolic links.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import contextlib
import errno
import json
import os
import stat
import time


class PathProblem(Exception):
    """A path that must not be used; the message names the path and the cause."""


# The most a record, pointer or log read from the host tree may hold: anything in the tree may have been planted
# by the container, so a read never takes more (a sparse 1 GiB file is refused, not loaded).
READ_LIMIT = 16 * 1024 * 1024


O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | O_CLOEXEC


def relative(root, path):
    """``path`` relative to ``root`` ('' for root itself); PathProblem when it is not root or below it."""
    root, path = os.path.normpath(root), os.path.normpath(path)
    if path == root:
        return ""
    if not path.startswith(root.rstrip(os.sep) + os.sep):
        raise PathProblem("%s is outside the host tree root %s" % (path, root))
    return path[len(root.rstrip(os.sep)) + 1:]


def _open_dir_at(name, where, dir_fd=None):
    try:
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise PathProblem("%s is a symlink or not a directory; refusing to follow it" % where)
        raise


def _descend(fd, where, parts, make=None):
    """From the folder descriptor ``fd`` (at path ``where``), a descriptor on the folder ``parts`` below it, each opened
    relative to the one above without following a symlink (PathProblem). With ``make`` = (uid, gid, mode), a missing
    folder is created and given its owner and mode through its own handle; without it, a missing folder raises OSError
    (ENOENT). Takes ``fd`` over: it is closed on the way down, or on an error; the caller closes the one returned."""
    try:
        for part in parts:
            where = os.path.join(where, part)
            created = False
            if make is not None:
                try:
                    os.mkdir(part, 0o700, dir_fd=fd)
                    created = True
                except OSError as exc:
                    if exc.errno != errno.EEXIST:
                        raise
            child = _open_dir_at(part, where, fd)
            os.close(fd)
            fd = child
            if created:
                os.fchown(fd, make[0], make[1])
                os.fchmod(fd, make[2])
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_dir(root, rel="", make=None):
    """A descriptor on the folder ``rel`` below ``root``, reached by opening each folder relative to the one above
    without following a symlink (``root`` itself included): a folder swapped for a symlink, at any moment, is refused
    with PathProblem, never followed out of the tree. With ``make`` = (uid, gid, mode), a missing folder is created and
    given its owner and mode through its own handle; without it, a missing folder raises OSError (ENOENT). The caller
    closes the descriptor."""
    parts = [part for part in rel.split("/") if part]
    if ".." in parts or "." in parts:
        raise PathProblem("%r is not a path below %s" % (rel, root))
    return _descend(_open_dir_at(root, root), root, parts, make)


@contextlib.contextmanager
def folder(root, rel="", make=None):
    """open_dir as a context: the folder's descriptor, closed on leaving."""
    fd = open_dir(root, rel, make)
    try:
        yield fd
    finally:
        os.close(fd)


# What a compiler prints when a write fails for want of space (strerror(ENOSPC)).
NO_SPACE = os.strerror(errno.ENOSPC)
# Less free space than this, after a stage failed, is named as the likely cause.
LOW_SPACE = 1024 * 1024


def free_space(root, rel=""):
    """(bytes free to an unprivileged writer, bytes in all) of the filesystem holding the folder ``rel`` below
    ``root``, read through its handle (never through a symlink)."""
    with folder(root, rel) as fd:
        info = os.fstatvfs(fd)
    return info.f_bavail * info.f_frsize, info.f_blocks * info.f_frsize


def space_line(root, rel=""):
    """'no space left on the device of <folder> (N KiB free of M KiB)', for a failure's one line."""
    free, total = free_space(root, rel)
    return "no space left on the device of %s (%d KiB free of %d KiB)" % (os.path.join(root, rel).rstrip("/"), free // 1024, total // 1024)


def ensure_dirs(root, rel, uid, gid, mode=0o755):
    """Create the folders of ``rel`` below ``root`` that are missing, each with its final owner and mode, through
    directory handles that never follow a symlink (a component planted as a symlink is refused: PathProblem)."""
    os.close(open_dir(root, rel, make=(uid, gid, mode)))


def folder_state(root, rel=""):
    """(uid, gid, mode) of the folder ``rel`` below ``root`` (``root`` itself for ''), read through its own handle;
    None when it (or a folder above it) is missing; PathProblem when it or a folder on the way is a symlink or not a
    directory."""
    try:
        with folder(root, rel) as fd:
            info = os.fstat(fd)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    return info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)


def folder_line(state):
    """'absent' or 'directory <uid>:<gid> <mode>', a folder's line in a diff."""
    return "absent" if state is None else "directory %d:%d %04o" % state


def folder_plan(states, uid, gid, mode):
    """What ensuring each folder of ``states`` ([(rel, state or None)], in order) as a directory ``uid``:``gid``
    ``mode`` changes: [(rel, before line, after line)] for those that differ, in the same order."""
    want = (uid, gid, mode)
    return [(rel, folder_line(state), folder_line(want)) for rel, state in states if state != want]


def make_root(root, uid, gid, mode):
    """Create ``root`` and the missing folders above it, each with its final owner and mode through its own handle,
    reached from the deepest folder above that exists (opened as a path: it lies outside the tree)."""
    missing, top = [], os.path.normpath(root)
    while not os.path.lexists(top):
        missing.insert(0, os.path.basename(top))
        top = os.path.dirname(top)
    os.close(_descend(os.open(top, os.O_RDONLY | os.O_DIRECTORY | O_CLOEXEC), top, missing, make=(uid, gid, mode)))


def ensure_folders(root, plan, uid, gid, mode):
    """Carry out ``folder_plan``'s changes: each missing folder created with its final owner and mode, each other one
    given them through its own handle; never through a symlink (PathProblem). ``root`` itself is created, when
    missing, with the folders above it that are missing too (outside the tree; as ansible.builtin.file makes them,
    with the same owner and mode), each from the handle of the one above."""
    for rel, before, dummy in plan:
        if rel == "" and before == "absent":
            make_root(root, uid, gid, mode)
        with folder(root, rel, make=(uid, gid, mode)) as fd:
            os.fchown(fd, uid, gid)
            os.fchmod(fd, mode)


def parent_folder(path, root):
    """(descriptor on the folder holding ``path``, the file's name). With ``root``, the folder is reached from ``root``
    by handles that never follow a symlink; without, it is opened as named (a path the user gave, outside any tree)."""
    directory, name = os.path.split(os.path.normpath(path))
    if not name or name in (".", ".."):
        raise PathProblem("%r does not name a file" % path)
    if root is None:
        return os.open(directory or ".", os.O_RDONLY | os.O_DIRECTORY | O_CLOEXEC), name
    return open_dir(root, relative(root, directory)), name


def atomic_write(path, data, mode=0o600, uid=None, gid=None, root=None):
    """Write ``data`` (bytes) to ``path`` atomically.

    The temporary file is created in the folder of ``path`` with ``O_EXCL|O_NOFOLLOW`` and mode 0600, its final mode
    and owner are set on the open descriptor before any byte is written, and it then replaces ``path`` with
    ``rename`` (which replaces a symlink at ``path`` rather than following it). With ``root`` (the host tree), the
    folder is reached from ``root`` through directory handles that never follow a symlink, and every step acts
    relative to that handle, so no folder swapped for a symlink meanwhile can send the write out of the tree.
    """
    dir_fd, name = parent_folder(path, root)
    tmp = fd = None
    try:
        while fd is None:
            tmp = ".%s.%s" % (name, binascii.hexlify(os.urandom(6)).decode("ascii"))
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | O_CLOEXEC, 0o600, dir_fd=dir_fd)
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    tmp = None
                    raise
        if uid is not None or gid is not None:
            os.fchown(fd, -1 if uid is None else uid, -1 if gid is None else gid)
        os.fchmod(fd, mode)
        view = memoryview(data)
        try:
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except OSError as exc:  # a full disk: name the file whose write failed (the file itself is left whole)
            if exc.filename is None:
                exc.filename = path
            raise
        os.close(fd)
        fd = None
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        tmp = None
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            try:
                os.unlink(tmp, dir_fd=dir_fd)
            except OSError:
                pass
        os.close(dir_fd)


def open_for_write(path, root, uid, gid, mode=0o644, append=False, buffered=True):
    """A binary file object writing the regular file ``path`` below ``root`` (created with ``mode`` when missing,
    emptied unless ``append``), owned by uid:gid. Its folder is reached through handles that never follow a symlink;
    the file itself is opened without following one and without blocking, and is refused (PathProblem) when it is not
    a regular file or has another hard link (a planted link to a file elsewhere is never truncated or given away).
    Unbuffered (``buffered=False``), a write that fails leaves nothing for the close to retry."""
    dir_fd, name = parent_folder(path, root)
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | O_CLOEXEC, mode, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PathProblem("%s is a symlink; refusing to write through it" % path)
        if exc.errno == errno.ENXIO:
            raise PathProblem("%s is not a regular file; refusing to write it" % path)
        raise
    finally:
        os.close(dir_fd)
    try:
        problem = write_problem(path, os.fstat(fd))
        if problem:
            raise PathProblem(problem)
        os.fchown(fd, uid, gid)
        if append:
            os.lseek(fd, 0, os.SEEK_END)
        else:
            os.ftruncate(fd, 0)
        return os.fdopen(fd, "ab" if append else "wb", buffering=-1 if buffered else 0)
    except BaseException:
        os.close(fd)
        raise


def write_problem(path, info):
    """Why the open file ``path`` (its fstat ``info``) must not be written, chowned or truncated, or None: only a
    regular file with a single link may be."""
    if not stat.S_ISREG(info.st_mode):
        return "%s is not a regular file; refusing to write it" % path
    if info.st_nlink > 1:
        return "%s has %d hard links (one may be a file elsewhere); refusing to write it" % (path, info.st_nlink)
    return None


def remove_contents(root, rel, keep=(), kept=None, before=None):
    """Remove everything in the folder ``rel`` below ``root`` except the names in ``keep``; (files, folders) removed.
    ``kept``: paths relative to ``rel`` of files that stay too (a signed cache's artifacts); ``before``: an epoch
    time, files modified since stay too (a live process may be writing them); a folder that still holds one stays.
    Every folder is opened relative to its parent without following a symlink and every entry is removed relative to
    its folder's handle: a symlink is removed, never followed, and a folder swapped for one meanwhile is refused."""
    counts = [0, 0]
    kept = None if kept is None else set(kept)

    def empty(fd, where, sub, spare):
        left = 0
        for entry in list(os.scandir(fd)):
            if entry.name in spare:
                left += 1
                continue
            if entry.is_dir(follow_symlinks=False):
                child = _open_dir_at(entry.name, os.path.join(where, entry.name), fd)
                try:
                    inside = empty(child, os.path.join(where, entry.name), sub + entry.name + "/", ())
                finally:
                    os.close(child)
                if inside:
                    left += 1
                    continue
                os.rmdir(entry.name, dir_fd=fd)
                counts[1] += 1
            elif (kept is not None and sub + entry.name in kept) or (
                    before is not None and entry.stat(follow_symlinks=False).st_mtime >= before):
                left += 1
            else:
                os.unlink(entry.name, dir_fd=fd)
                counts[0] += 1
        return left

    with folder(root, rel) as fd:
        empty(fd, os.path.join(root, rel) if rel else root, "", set(keep))
    return tuple(counts)


def move_within(root, src, dst):
    """Rename ``src`` to ``dst`` (both below ``root``, ``dst``'s folder existing) relative to folder handles reached
    without following a symlink."""
    src_fd, src_name = parent_folder(src, root)
    try:
        dst_fd, dst_name = parent_folder(dst, root)
        try:
            os.rename(src_name, dst_name, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
        finally:
            os.close(dst_fd)
    finally:
        os.close(src_fd)


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


def unlink_under(root, rel):
    """Remove the file ``rel`` below ``root`` through directory handles: each folder from ``root`` down is opened
    without following a symlink, and the file is unlinked relative to the last one, so a folder swapped for a
    symlink meanwhile is refused (PathProblem), never followed out of the tree. A file already gone is fine."""
    parts = [p for p in rel.split("/") if p]
    if not parts or ".." in parts or "." in parts:
        raise PathProblem("%r is not a path below %s" % (rel, root))
    try:
        fd = open_dir(root, "/".join(parts[:-1]))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return
        raise
    try:
        os.unlink(parts[-1], dir_fd=fd)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise
    finally:
        os.close(fd)


def realpath(path):
    """os.path.realpath, or None when a component changed under it (Python's readlink after its lstat raises EINVAL
    when a link was swapped for a folder in between)."""
    try:
        return os.path.realpath(path)
    except OSError:
        return None


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
    real_root = realpath(root)
    if real_root is None:
        return "%s changed while it was checked" % root
    current = root
    parts = [] if path == root else os.path.relpath(path, root).split(os.sep)
    for part in [None] + parts:
        if part is not None:
            current = os.path.join(current, part)
        info = _lstat(current)
        if info is None:
            return None
        if stat.S_ISLNK(info.st_mode):
            target = realpath(current)
            if target is None:  # it was a link at lstat and is not at readlink: someone is swapping it
                return "%s changed while it was checked" % current
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


def keep_aside(path, now=None, root=None):
    """Rename ``path`` to ``<path>.corrupt-<UTC time>`` (never overwriting it with a rebuilt file); the new path. With
    ``root`` (the host tree), the rename acts relative to the folder's handle, reached from ``root`` without following
    a symlink."""
    aside = "%s.corrupt-%s" % (path, utc_stamp(time.time() if now is None else now))
    dir_fd, name = parent_folder(path, root)
    try:
        os.rename(name, os.path.basename(aside), src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    return aside


def read_json(path, quarantine=True, now=None, root=None):
    """(parsed JSON of ``path`` or None when it is missing or corrupt, the path a corrupt file was
    renamed to or None). A corrupt file, or anything that is not a regular file of a record's size (a planted
    symlink, FIFO or huge file), is kept aside as ``<path>.corrupt-<UTC time>``, never overwritten or followed
    (through ``root``'s folder handles when a root is given: see keep_aside)."""
    try:
        raw = read_bytes(path)
    except PathProblem:  # planted: a symlink, a FIFO, a device or a file too large to be a record
        if not quarantine:
            return None, None
        return None, keep_aside(path, now, root)
    if raw is None:
        return None, None
    try:
        return json.loads(raw.decode("utf-8")), None
    except (ValueError, UnicodeDecodeError):
        if not quarantine:
            return None, None
        return None, keep_aside(path, now, root)


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
