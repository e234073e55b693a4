# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``/profiles/prep_result.json`` and the artifacts of a cache stage (private to the collection).

Pure standard-library code. prep_result.json holds one entry per stage; every update reads, merges
and atomically rewrites it under an flock of its own, so stages finishing at once never lose each
other's entries, and a corrupt file is kept aside as ``.corrupt-<time>`` before it is rebuilt.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat

from ansible_collections.gh200.sglang.plugins.module_utils import _files, _locks
from ansible_collections.gh200.sglang.plugins.module_utils._stages import RECORD_FILES, STAGES
from ansible_collections.gh200.sglang.plugins.module_utils._tree import walk

STATUSES = ("ok", "failed", "skipped", "timeout")
FORMAT = 1

# The first line of a compile log, written by cache_stage before the command's output.
LOG_HEADER = "# gh200.sglang cache_stage "

# Lines of a compile log that say what went wrong, first ones first.
ERROR_RE = re.compile(r"(Traceback \(most recent call last\)|\b[A-Za-z]*Error\b|\berror\b|\bFAILED\b|\bfatal\b)")


def error_lines(log_text, limit=5):
    """The first lines of a compile log that name an error (and the lines right after the first of them),
    or its last non-empty lines when none does; at most ``limit``."""
    lines = [line.rstrip() for line in log_text.splitlines() if line.strip() and not line.startswith(LOG_HEADER)]
    for i, line in enumerate(lines):
        if ERROR_RE.search(line):
            picked = [line] + [x for x in lines[i + 1:] if ERROR_RE.search(x) or x.startswith(" ")]
            return picked[:limit]
    return lines[-limit:]


def _artifact_files(stage_dir):
    """(relative path, lstat) of every regular file under the stage folder except the module's own records at its
    top and lock files. Symbolic links are not followed and not yielded."""
    for rel, info in walk(stage_dir):
        if rel and rel not in RECORD_FILES and not rel.endswith(".lock") and stat.S_ISREG(info.st_mode):
            yield rel, info


def artifacts(stage_dir, uid=None):
    """Every artifact file under the stage folder (_artifact_files):
    {"count", "bytes", "files": [relative paths], "sizes": {relative path: bytes},
    "wrong_owner": [relative paths not owned by uid]}."""
    files, size, wrong, sizes = [], 0, [], {}
    for rel, info in _artifact_files(stage_dir):
        files.append(rel)
        sizes[rel] = info.st_size
        size += info.st_size
        if uid is not None and info.st_uid != uid:
            wrong.append(rel)
    return {"count": len(files), "bytes": size, "files": sorted(files), "sizes": sizes, "wrong_owner": sorted(wrong)}


def written_since(stage_dir, since, limit=20):
    """What was written under the stage folder at or after ``since`` (epoch seconds): the artifact files
    (_artifact_files) whose content or inode changed then (the later of mtime and ctime, so a file written with an old
    mtime set on it still counts). {"count", "files": the first ``limit`` relative paths}.
    A kernel compiled into a cache after the stages ran is such a file."""
    files = [rel for rel, info in _artifact_files(stage_dir) if max(info.st_mtime, info.st_ctime) >= since]
    return {"count": len(files), "files": sorted(files)[:limit]}


def built(stages):
    """The stages of prep_result.json's ``stages`` (see read()) that phase 2 built or kept: status ok, sorted."""
    return sorted(name for name, record in (stages or {}).items()
                  if name in STAGES and isinstance(record, dict) and record.get("status") == "ok")


def in_tree(root):
    """The stages of the prep_result.json under the host tree ``root`` (read())."""
    return read(os.path.join(root, "profiles", "prep_result.json"))


def written_in_stages(root, since, stages, limit=20):
    """What was written since ``since`` in the folders of ``stages`` under the host tree ``root`` (names that are no
    stage are left out): {"stages": those stages, "count", "files": the first ``limit`` paths relative to the root}.
    The folders are walked without following a symlink (a linked stage folder shows nothing)."""
    stages = sorted(s for s in stages if s in STAGES)
    count, files = 0, []
    for stage in stages:
        rel = "profiles/" + STAGES[stage]["dir"]
        found = written_since(os.path.join(root, rel), since, limit)
        count += found["count"]
        files += [rel + "/" + f for f in found["files"]]
    return {"stages": stages, "count": count, "files": files[:limit]}


def entry(status, signature, started, finished, artifact_info, log_text="", extra=None):
    """One stage's record in prep_result.json."""
    if status not in STATUSES:
        raise ValueError("status %r is not one of %s" % (status, ", ".join(STATUSES)))
    record = {
        "status": status,
        "signature": signature,
        "started": _locks.utc(started),
        "finished": _locks.utc(finished),
        "duration_s": round(max(0.0, finished - started), 3),
        "artifacts": artifact_info.get("count", 0),
        "bytes": artifact_info.get("bytes", 0),
    }
    if status in ("failed", "timeout"):
        record["errors"] = error_lines(log_text)
    record.update(extra or {})
    return record


def update(path, stage, record, uid=None, gid=None, wait=30.0, now=None, root=None):
    """Merge ``record`` as ``stage``'s entry into prep_result.json at ``path``, under ``<path>.lock``; with ``root``
    (the host tree), the lock and the write act through folder handles reached from it without following a symlink.
    Returns (the whole document written, the path a corrupt file was kept aside at, or None)."""
    with _locks.acquire(path + ".lock", wait=wait, root=root):
        doc, aside = _files.read_json(path, now=now, root=root)
        if not isinstance(doc, dict) or not isinstance(doc.get("stages"), dict):
            if doc is not None and aside is None:  # valid JSON, wrong shape: keep it aside all the same
                aside = _files.keep_aside(path, now, root)
            doc = {"format": FORMAT, "stages": {}}
        doc["stages"][stage] = record
        _files.atomic_write(path, _files.json_bytes(doc), mode=0o644, uid=uid, gid=gid, root=root)
    return doc, aside


def read(path):
    """The stages recorded in prep_result.json ({} when it is missing or unreadable); never moves a file."""
    doc, dummy = _files.read_json(path, quarantine=False)
    return doc.get("stages", {}) if isinstance(doc, dict) and isinstance(doc.get("stages"), dict) else {}


ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def last_line(tail, limit=200):
    """The last non-empty line of a log's tail, as a terminal would show it: a progress bar redrawn with
    carriage returns gives its latest state, colour codes are dropped, and a long line is cut to ``limit``."""
    text = ANSI_RE.sub("", tail.decode("utf-8", "replace"))
    for line in reversed(re.split(r"[\r\n]", text)):
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[:limit - 3] + "..."
    return ""


def log_state(path, tail_bytes=8192):
    """{"bytes", "updated" (epoch seconds), "last_line"} of a log file, read without following a symlink,
    or None when there is none."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        handle.seek(max(0, info.st_size - tail_bytes))
        return {"bytes": info.st_size, "updated": info.st_mtime, "last_line": last_line(handle.read())}
