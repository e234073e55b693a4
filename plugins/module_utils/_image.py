# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dev image's build: a content hash of what the build reads, and the build's output read back.

Pure standard-library code (private to the collection).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re
import stat

from ansible_collections.gh200.sglang.plugins.module_utils._signature import canonical

# The label that records, in the image itself, the content hash it was built from.
LABEL_BUILD_HASH = "org.gh200.sglang.build-hash"

STEP_RE = re.compile(r"^Step \d+/\d+ : ")


def dockerignore_patterns(text):
    """The patterns of a .dockerignore text, as the Docker SDK reads them (comments and blanks dropped)."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


FROM_RE = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$", re.IGNORECASE)


ARG_RE = re.compile(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$", re.IGNORECASE)
VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def base_refs(dockerfile_text, build_args=None):
    """The images a Dockerfile builds FROM, in order, leaving out earlier stages and ``scratch``. A
    ``${VAR}`` in FROM is resolved as Docker does, from the build args, else the default of an ``ARG``
    declared before the first FROM; a reference that stays unresolved is left out."""
    refs, stages, args, seen_from = [], set(), {}, False
    for line in dockerfile_text.splitlines():
        arg = ARG_RE.match(line)
        if arg and not seen_from:
            args[arg.group(1)] = (arg.group(2) or "").strip().strip("\"'")
            continue
        match = FROM_RE.match(line)
        if not match:
            continue
        seen_from = True
        values = dict(args, **dict((str(k), str(v)) for k, v in (build_args or {}).items()))
        ref = VAR_RE.sub(lambda m: values.get(m.group(1) or m.group(2), "$?"), match.group(1))
        alias = match.group(2)
        if ref.lower() not in stages and ref != "scratch" and "$" not in ref and ref and ref not in refs:
            refs.append(ref)
        if alias:
            stages.add(alias.lower())
    return refs


def content_hash(context, files, dockerfile, build_args, target=None, bases=None):
    """SHA-256 over everything the build reads: every file of the context that .dockerignore keeps (path,
    type, executable bit, content or link target), the Dockerfile's name, the build args and the target.
    ``files``: relative paths in the context (files and directories), as the SDK's exclude_paths gives.
    ``bases``: {base image reference: its local image id or None}, so a rebuilt base image rebuilds this one."""
    digest = hashlib.sha256()
    header = {"dockerfile": dockerfile, "build_args": build_args or {}, "target": target}
    if bases:
        header["bases"] = bases
    digest.update(canonical(header))
    for rel in sorted(files):
        path = os.path.join(context, rel)
        info = os.lstat(path)
        if stat.S_ISDIR(info.st_mode):
            continue
        if stat.S_ISLNK(info.st_mode):
            entry = b"L" + os.readlink(path).encode("utf-8", "surrogateescape")
        else:
            entry = (b"X" if info.st_mode & 0o111 else b"F")
            content = hashlib.sha256()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    content.update(block)
            entry += content.digest()
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\0" + entry + b"\n")
    return "sha256:" + digest.hexdigest()


REASONS = {
    "current": "current",
    "missing": "built by this run (the image was missing)",
    "changed": "built by this run (the Dockerfile or its context changed)",
    "forced": "built by this run (forced)",
}


def summary(name, image_id, reason, content_hash, check_mode=False):
    """One line for the check detail: the image, its short id, what the run did and the hash."""
    did = REASONS[reason]
    if check_mode and reason != "current":
        did = did.replace("built by this run", "would be built")
    return "%s (%s) %s, %s" % (name, image_id.split(":")[-1][:12] if image_id else "no image", did, content_hash[:19])


class BuildLog(object):
    """The build's JSON stream, read message by message: the text, the step in progress and the error."""

    def __init__(self):
        self.lines = []
        self.step = None
        self.error = None
        self.image_id = None

    def feed(self, message):
        if not isinstance(message, dict):
            return
        text = message.get("stream") or message.get("status") or ""
        for line in text.splitlines():
            line = line.rstrip()
            if not line:
                continue
            self.lines.append(line)
            if STEP_RE.match(line):
                self.step = line
        if message.get("aux", {}).get("ID") if isinstance(message.get("aux"), dict) else False:
            self.image_id = message["aux"]["ID"]
        if message.get("error") or message.get("errorDetail"):
            self.error = message.get("error") or (message.get("errorDetail") or {}).get("message") or "build failed"
            self.lines.append("ERROR: %s" % self.error)

    def text(self):
        return "\n".join(self.lines) + "\n"

    def failure(self, image, log_path, tail=5):
        """One line: the image, the step that failed, the error and the build's last lines."""
        last = [line for line in self.lines if not line.startswith("ERROR: ")][-tail:]
        return "image %s: build failed at %s: %s; last lines: %s; log: %s" % (
            image, self.step or "the first step", self.error, " | ".join(last) or "-", log_path)
