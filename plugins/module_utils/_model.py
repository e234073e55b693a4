# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Hugging Face model directory, verified file by file without reading the weights.

Pure standard-library code (private to the collection). ``inspect`` never follows a symbolic link out
of the host tree, never reads a tensor, and changes nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import fnmatch
import json
import os
import re
import stat
import struct

from ansible_collections.gh200.sglang.plugins.module_utils._tree import inside

# A Hugging Face repo id: org/name, each segment starting with a letter or digit and at most 96 characters long (the
# Hub's own limit on a name).
REPO_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}\Z")


def shown(text, limit=80):
    """``text`` as a message quotes it: repr, cut to ``limit`` characters with its length said."""
    quoted = repr(text)
    return quoted if len(quoted) <= limit else "%s... (%d characters)" % (quoted[:limit], len(text))


# The safetensors format refuses headers over 100 MB; so do we, before reading one.
MAX_HEADER_BYTES = 100 * 1000 * 1000

# Bytes per element by safetensors dtype name; F4 packs two elements in a byte (None: not checked).
DTYPE_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "I64": 64, "U64": 64, "F64": 64,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

# Which files make a tokenizer: any of the first group, or a config with its vocabulary.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tiktoken.model")
TOKENIZER_VOCABS = ("vocab.json", "vocab.txt", "spiece.model", "sentencepiece.bpe.model")
INDEX_FILES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")
SINGLE_FILES = ("model.safetensors", "pytorch_model.bin")

CATEGORIES = ("config", "tokenizer", "weights", "partial")


def policy_problem(model, allowlist=None):
    """'' when ``model`` is a repo id allowed by ``allowlist`` (exact ids or shell patterns such as
    ``Qwen/*``; empty or None allows every id), else one line naming the model and the cause."""
    text = "" if model is None else str(model)
    if not REPO_ID_RE.match(text) or ".." in text:
        return "model %s is not a Hugging Face repo id (org/name, each at most 96 characters)" % shown(text)
    allowed = [str(a) for a in (allowlist or [])]
    if allowed and not any(fnmatch.fnmatchcase(text, a) for a in allowed):
        return "model %r is not on the model allowlist (%s)" % (text, ", ".join(allowed))
    return ""


def safetensors_header(path, size):
    """(header dict, header length) of a safetensors file, reading the 8-byte length and the JSON
    header only; raises ValueError with the cause."""
    if size < 8:
        raise ValueError("%d bytes, too short for a safetensors header" % size)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        head = os.read(fd, 8)
        (length,) = struct.unpack("<Q", head)
        if length > MAX_HEADER_BYTES:
            raise ValueError("header length %d is over the 100 MB limit (corrupt header)" % length)
        if 8 + length > size:
            raise ValueError("header length %d runs past the end of the file (%d bytes)" % (length, size))
        chunks = []
        remaining = length
        while remaining:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                raise ValueError("file ended inside the header")
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    try:
        header = json.loads(b"".join(chunks).decode("utf-8"))
    except ValueError as exc:
        raise ValueError("header is not JSON (%s)" % str(exc).split(":", maxsplit=1)[0])
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    return header, length


def data_extent(header):
    """(tensor names, bytes the header declares for the data buffer) or ValueError naming the tensor:
    offsets must be whole, contiguous from 0, and as long as dtype x shape."""
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            begin, end = [int(x) for x in info["data_offsets"]]
            dtype, shape = info["dtype"], [int(d) for d in info["shape"]]
        except (KeyError, TypeError, ValueError):
            raise ValueError("tensor %r has no valid dtype, shape and data_offsets" % name)
        if begin < 0 or end < begin:
            raise ValueError("tensor %r has data_offsets [%d, %d]" % (name, begin, end))
        bits = DTYPE_BITS.get(dtype)
        if bits is not None:
            count = 1
            for d in shape:
                count *= d
            if (count * bits + 7) // 8 != end - begin:
                raise ValueError("tensor %r declares %d bytes for %s %s" % (name, end - begin, dtype, shape))
        spans.append((begin, end, name))
    spans.sort()
    position = 0
    for begin, end, name in spans:
        if begin != position:
            raise ValueError("tensor %r starts at byte %d of the data, expected %d (hole or overlap)" % (name, begin, position))
        position = end
    return [s[2] for s in spans], position


def check_safetensors(path, size):
    """(facts, problem or '') for one safetensors file: the header parses and declares exactly the
    bytes the file has."""
    facts = {"bytes": size, "tensors": 0, "declared_bytes": None}
    try:
        header, length = safetensors_header(path, size)
        names, data = data_extent(header)
    except (OSError, ValueError) as exc:
        return facts, "%s: %s" % (os.path.basename(path), exc)
    facts.update(tensors=len(names), declared_bytes=8 + length + data, names=names)
    expected = 8 + length + data
    if size < expected:
        return facts, "%s is truncated: its header declares %d bytes, the file has %d" % (os.path.basename(path), expected, size)
    if size > expected:
        return facts, "%s has %d bytes beyond what its header declares (%d)" % (os.path.basename(path), size - expected, expected)
    return facts, ""


class _Dir(object):
    """The model directory's regular files, reached without leaving the host tree."""

    def __init__(self, path, real_root):
        self.path = path
        self.real_root = real_root
        self.outside = []

    def file(self, name):
        """(real path, size) of a regular file in the model directory, or (None, None) when missing;
        a symlink leaving the tree is recorded in ``outside`` and treated as missing."""
        path = os.path.join(self.path, name)
        try:
            info = os.lstat(path)
        except OSError:
            return None, None
        if stat.S_ISLNK(info.st_mode):
            real = os.path.realpath(path)
            if not inside(real, self.real_root):
                self.outside.append("%s -> %s" % (path, real))
                return None, None
            try:
                info = os.lstat(real)
            except OSError:
                return None, None
            path = real
        if not stat.S_ISREG(info.st_mode):
            return None, None
        return path, info.st_size

    def read_json(self, name):
        """(parsed JSON or None, problem or '') of a file in the model directory."""
        path, size = self.file(name)
        if path is None:
            return None, "%s is missing" % name
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as handle:
                return json.loads(handle.read().decode("utf-8")), ""
        except (OSError, ValueError) as exc:
            return None, "%s does not parse: %s" % (name, str(exc).split("\n", maxsplit=1)[0])


def _config_facts(config):
    """The facts later phases need from config.json (text_config for multimodal models)."""
    text = config.get("text_config") if isinstance(config.get("text_config"), dict) else {}
    archs = config.get("architectures") or []
    return {
        "architectures": archs if isinstance(archs, list) else [archs],
        "architecture": archs[0] if isinstance(archs, list) and archs else None,
        "model_type": config.get("model_type"),
        "max_position_embeddings": config.get("max_position_embeddings", text.get("max_position_embeddings")),
        "torch_dtype": config.get("torch_dtype", config.get("dtype", text.get("torch_dtype"))),
        "quantization_config": config.get("quantization_config"),
    }


def lock_held(path):
    """Whether a process holds the lock file at ``path`` (huggingface_hub's download locks are flock()ed while a
    download runs, and stay behind, empty, after it ends). Opened without following a symlink and without blocking
    on a FIFO; anything that is not a regular file, or cannot be opened, counts as held: it cannot be told apart."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return True
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def partial_downloads(model_path):
    """Paths of partial downloads under the model directory: ``*.incomplete`` anywhere, and ``*.lock`` under a
    ``.cache/huggingface`` folder while a process holds it (a download running now). Walks without following
    symlinks."""
    found = []
    for top, dirs, files in os.walk(model_path, followlinks=False):
        parts = os.path.relpath(top, model_path).split(os.sep)
        in_hf_cache = any(parts[i:i + 2] == [".cache", "huggingface"] for i in range(len(parts)))
        for name in files:
            path = os.path.join(top, name)
            if name.endswith(".incomplete") or (in_hf_cache and name.endswith(".lock") and lock_held(path)):
                found.append(path)
    found.sort()
    return found


def inspect(model_path, real_root, place="the host tree"):
    """Everything phases need to know about a model directory, with every problem named at once.

    ``model_path`` must already be known to lie inside ``real_root`` (see ``_tree.confine``), the host tree or the
    model store, which ``place`` names in problems. Returns a dict:
    exists, config (facts or None), tokenizer (files found), weights {format, index, files, bytes,
    tensors, shards: [{file, bytes, tensors, declared_bytes}]}, partial (paths), problems {category:
    [lines]} for config, tokenizer, weights and partial, and problem_count."""
    problems = dict((c, []) for c in CATEGORIES)
    out = {"path": model_path, "exists": os.path.isdir(model_path) and not os.path.islink(model_path),
           "config": None, "tokenizer": [], "partial": [], "problems": problems, "problem_count": 0,
           "weights": {"format": None, "index": None, "files": 0, "bytes": 0, "tensors": 0, "shards": []}}
    if not out["exists"]:
        for c in ("config", "tokenizer", "weights"):
            problems[c].append("model directory %s does not exist" % model_path)
        out["problem_count"] = 3
        return out
    d = _Dir(model_path, real_root)

    config, problem = d.read_json("config.json")
    if problem:
        problems["config"].append(problem)
    elif not isinstance(config, dict):
        problems["config"].append("config.json is not a JSON object")
    else:
        out["config"] = _config_facts(config)
        if not out["config"]["architecture"]:
            problems["config"].append("config.json names no architectures")

    out["tokenizer"] = [n for n in TOKENIZER_FILES + ("tokenizer_config.json",) + TOKENIZER_VOCABS if d.file(n)[0]]
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if name in out["tokenizer"]:
            dummy, problem = d.read_json(name)
            if problem:
                problems["tokenizer"].append(problem)
    has_model = any(n in out["tokenizer"] for n in TOKENIZER_FILES)
    has_vocab = "tokenizer_config.json" in out["tokenizer"] and any(n in out["tokenizer"] for n in TOKENIZER_VOCABS)
    if not (has_model or has_vocab):
        problems["tokenizer"].append("no tokenizer: expected tokenizer.json, tokenizer.model, or tokenizer_config.json with its vocabulary")

    _weights(d, out["weights"], problems["weights"])
    out["partial"] = partial_downloads(model_path)
    problems["partial"].extend("partial download left: %s" % p for p in out["partial"])
    problems["weights"].extend("symlink leaves %s: %s" % (place, s) for s in d.outside)
    out["problem_count"] = sum(len(v) for v in problems.values())
    return out


def _weights(d, weights, problems):
    """Fill ``weights`` and ``problems`` for the index (or single file) of the model directory."""
    index_name = next((n for n in INDEX_FILES if d.file(n)[0]), None)
    mapped = {}
    if index_name:
        weights["index"] = index_name
        index, problem = d.read_json(index_name)
        weight_map = index.get("weight_map") if isinstance(index, dict) else None
        if problem or not isinstance(weight_map, dict) or not weight_map:
            problems.append(problem or "%s has no weight_map" % index_name)
            return
        for tensor, shard in weight_map.items():
            mapped.setdefault(str(shard), []).append(tensor)
        names = sorted(mapped)
    else:
        names = [n for n in SINGLE_FILES if d.file(n)[0]][:1]
        if not names:
            problems.append("no weights: expected model.safetensors or model.safetensors.index.json")
            return
    weights["format"] = "safetensors" if names[0].endswith(".safetensors") else "pytorch"
    for name in names:
        if "/" in name or name in ("", ".", ".."):
            problems.append("%s names shard %r outside the model directory" % (index_name, name))
            continue
        path, size = d.file(name)
        if path is None:
            problems.append("shard %s is missing%s" % (name, " (named in %s)" % index_name if index_name else ""))
            continue
        weights["files"] += 1
        weights["bytes"] += size
        shard = {"file": name, "bytes": size, "tensors": None, "declared_bytes": None}
        if name.endswith(".safetensors"):
            facts, problem = check_safetensors(path, size)
            shard.update(tensors=facts["tensors"], declared_bytes=facts["declared_bytes"])
            weights["tensors"] += facts["tensors"]
            if problem:
                problems.append(problem)
            elif name in mapped:
                absent = sorted(set(mapped[name]) - set(facts.get("names", [])))
                if absent:
                    problems.append("%s lacks %d tensors that %s maps to it, first: %s" % (
                        name, len(absent), index_name, absent[0]))
        weights["shards"].append(shard)


def summary(result):
    """One line per category for the check details: what was found, or the problems."""
    w = result["weights"]
    c = result["config"] or {}
    return {
        "config": "%s, max_position_embeddings %s, dtype %s%s" % (
            c.get("architecture"), c.get("max_position_embeddings"), c.get("torch_dtype"),
            ", quantization %s" % c["quantization_config"].get("quant_method")
            if isinstance(c.get("quantization_config"), dict) else ""),
        "tokenizer": ", ".join(result["tokenizer"]),
        "weights": "%d %s files (%s), %d tensors, %d bytes, each as long as its header declares" % (
            w["files"], w["format"], w["index"] or "single file", w["tensors"], w["bytes"]),
        "partial": "no *.incomplete file, no download lock held under .cache/huggingface",
    }
