# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a model fetch from the Hugging Face Hub decides, as pure functions (private to the collection).

The hub's listing of a revision names every file with its size and its id: a git blob id (sha1 of
``blob <size>\\0<bytes>``) for a regular file, the sha256 of the content for an LFS file (the weights).
``to_fetch`` compares the listing with the model directory by size; ``verify`` reads every file back and
compares its hash. Neither follows a symbolic link or opens anything but a regular file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import stat

# A pinned revision: a full commit id.
COMMIT_LEN = 40
# A token file holds one token; anything longer is not one.
TOKEN_FILE_LIMIT = 4096
CHUNK = 1024 * 1024


def entry(path, size, blob_id, lfs_sha256=None):
    """A listing entry as the module keeps it: the path in the repo, the size and how to check the content."""
    return {"path": path, "size": size, "blob_id": blob_id, "sha256": lfs_sha256}


def leaving_paths(entries):
    """The listed paths that are not clean relative paths inside the model directory (absolute, empty, '.' or '..'
    segments): a listing that names one is refused before anything is fetched or removed."""
    return [e["path"] for e in entries
            if not e["path"] or e["path"].startswith("/") or any(p in ("", ".", "..") for p in e["path"].split("/"))]


def git_blob_sha1(data):
    """The git blob id of ``data``: what the hub lists as a regular file's oid."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _open_regular(path):
    """A read descriptor on the regular file ``path`` (its last component never followed), or None when it is
    missing; ValueError naming what it is instead."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == 2:
            return None
        raise ValueError("cannot open (%s)" % exc.strerror)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ValueError("not a regular file")
    if info.st_nlink != 1:
        os.close(fd)
        raise ValueError("hard-linked (%d links)" % info.st_nlink)
    return fd


def local_size(model_dir, rel):
    """The size of ``model_dir/rel`` when it is a regular file, else None (missing, a link, anything else)."""
    try:
        info = os.lstat(os.path.join(model_dir, rel))
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def to_fetch(entries, model_dir):
    """The entries whose file is missing from ``model_dir`` or not as long as the listing says, in listing order."""
    return [e for e in entries if local_size(model_dir, e["path"]) != e["size"]]


def digest(fd, algorithm, size):
    """The hex digest of the open file: sha256 of the content, or its git blob id (sha1 with the blob header)."""
    h = hashlib.new(algorithm)
    if algorithm == "sha1":
        h.update(b"blob %d\0" % size)
    while True:
        chunk = os.read(fd, CHUNK)
        if not chunk:
            return h.hexdigest()
        h.update(chunk)


def verify(entries, model_dir):
    """(path, problem) for every file of ``entries`` that is not what the listing says (missing, another size, another
    hash, a link, hard-linked, not a regular file), the problem naming both values; [] when every file matches."""
    bad = []
    for e in entries:
        problem = _file_problem(e, os.path.join(model_dir, e["path"]))
        if problem:
            bad.append((e["path"], problem))
    return bad


def _file_problem(e, path):
    try:
        fd = _open_regular(path)
    except ValueError as exc:
        return str(exc)
    if fd is None:
        return "missing after the download"
    try:
        size = os.fstat(fd).st_size
        if size != e["size"]:
            return "%d bytes, the hub lists %d" % (size, e["size"])
        algorithm, want = ("sha256", e["sha256"]) if e.get("sha256") else ("sha1", e["blob_id"])
        got = digest(fd, algorithm, size)
        if got != want:
            return "%s %s, the hub lists %s" % ("sha256" if algorithm == "sha256" else "git blob id", got, want)
        return ""
    finally:
        os.close(fd)


def download_state(rel):
    """The files huggingface_hub keeps for ``rel`` in a local folder (its metadata and its partial download),
    relative to that folder."""
    base = ".cache/huggingface/download/" + rel
    return [base + ".metadata", base + ".incomplete"]


def read_token_file(path, uid):
    """The token in the file ``path``: a regular file (never a link), owned by ``uid``, readable by its owner only
    (0400 or 0600), one line. ValueError with one line naming the file and the cause."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ValueError("token file %s cannot be opened (%s)" % (path, exc.strerror))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("token file %s is not a regular file" % path)
        if info.st_uid != uid:
            raise ValueError("token file %s belongs to uid %d, not to the user fetching (uid %d)" % (path, info.st_uid, uid))
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise ValueError("token file %s has mode %04o: it must be 0400 or 0600 (its owner's only)" % (path, stat.S_IMODE(info.st_mode)))
        data = os.read(fd, TOKEN_FILE_LIMIT + 1)
    finally:
        os.close(fd)
    token = data.decode("utf-8", "replace").strip()
    if not token or len(data) > TOKEN_FILE_LIMIT or any(c.isspace() for c in token):
        raise ValueError("token file %s does not hold one token (one line, no spaces, at most %d bytes)" % (path, TOKEN_FILE_LIMIT))
    return token


def error_line(exc, model, endpoint, token_given):
    """One line for a failed fetch of ``model``: what the hub said (gated, not found, unknown revision) or the
    connection's error, never a traceback and never a header that could carry the token."""
    name = type(exc).__name__
    if name == "GatedRepoError":
        if token_given:
            return "%s is gated and the hub at %s refused the token given: ask for access with that account" % (model, endpoint)
        return "%s is gated: the hub at %s refused it without a token (give host_prep_model_fetch_token_file)" % (model, endpoint)
    if name == "RepositoryNotFoundError":
        return "%s is not on the hub at %s, or is private and the token (if any) has no access" % (model, endpoint)
    if name == "RevisionNotFoundError":
        return "%s has no such revision on the hub at %s" % (model, endpoint)
    text = " ".join(str(exc).split()).split(" Request ID", 1)[0]
    return "%s from the hub at %s failed: %s: %s" % (model, endpoint, name, text[:300])
