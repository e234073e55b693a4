# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A whole-tree audit of the host tree: owners, symlinks, scaffolding, the model, file inventories.

Pure standard-library code (private to the collection). The walk never follows a symbolic link.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import pwd
import stat

from ansible_collections.gh200.sglang.plugins.module_utils._files import PathProblem, read_json, realpath, symlink_problem
from ansible_collections.gh200.sglang.plugins.module_utils._signature import verdict

# Options of every module that reads or writes the host tree (documented in doc_fragments/docker.py, HOST_TREE).
HOST_TREE_ARGS = dict(
    root=dict(type="path"),
    host_user=dict(type="str"),
)


# The option of every module that finds the served models in a shared store outside the host tree (documented in
# doc_fragments/docker.py, MODEL_STORE).
MODEL_STORE_ARGS = dict(model_store=dict(type="str", default=""))


class OptionProblem(ValueError):
    """An option that cannot be used (a path leaving the host tree, a missing user); the message names it."""


def resolve_root(host_user, root):
    """(pwd entry of the host user, absolute normalized root); the user defaults to the one running,
    the root to <home>/sglang-observability."""
    try:
        account = pwd.getpwnam(host_user) if host_user else pwd.getpwuid(os.geteuid())
    except KeyError:
        raise OptionProblem("host user %r does not exist on this host" % host_user)
    path = root or os.path.join(account.pw_dir, "sglang-observability")
    if not os.path.isabs(path):
        raise OptionProblem("root %r is not an absolute path" % root)
    return account, os.path.normpath(path)


def relative_option(what, value):
    """``value`` as a clean relative path inside the tree, or OptionProblem naming ``what``."""
    text = "" if value is None else str(value)
    if text == "":
        return ""
    parts = text.split("/")
    if text.startswith("/"):
        raise OptionProblem("%s %r is absolute: give a path relative to the host tree root" % (what, text))
    if any(p in ("", ".", "..") for p in parts):
        raise OptionProblem("%s %r has an empty, '.' or '..' segment: it must stay inside the host tree root" % (what, text))
    return text


def walk(root):
    """(relative path, lstat result) of ``root`` and everything under it, depth first, sorted by name.

    Symbolic links are reported, never followed; unreadable directories are reported with a None stat
    for their children's place (the caller sees the directory itself)."""
    stack = [""]
    while stack:
        rel = stack.pop()
        path = os.path.join(root, rel) if rel else root
        try:
            info = os.lstat(path)
        except OSError:
            continue
        yield rel, info
        if stat.S_ISDIR(info.st_mode):
            try:
                names = sorted(os.listdir(path), reverse=True)
            except OSError:
                continue
            stack.extend(os.path.join(rel, n) if rel else n for n in names)


def inside(path, real_root):
    """Whether the real path ``path`` is ``real_root`` or under it."""
    return path == real_root or path.startswith(real_root.rstrip(os.sep) + os.sep)


def store_path(store, root):
    """The real path of the model store ``store``, a folder apart from the host tree ``root``, or OptionProblem naming
    it: absolute, an existing directory, and neither inside the tree nor holding it (the tree is the container's to
    write, the store is mounted read-only; the two never share a byte)."""
    text = "" if store is None else str(store)
    if not text.startswith("/"):
        raise OptionProblem("model_store %r is not an absolute path" % text)
    real = os.path.realpath(text)
    if not os.path.isdir(real):
        raise OptionProblem("model_store %s is not an existing directory" % text)
    real_root = os.path.realpath(root)
    if inside(real, real_root) or inside(real_root, real):
        raise OptionProblem("model_store %s (%s) overlaps the host tree %s: name a folder outside it" % (text, real, real_root))
    return real


def confine(root, what, value):
    """(absolute path of the option ``value`` under ``root``, the root's real path), or OptionProblem
    naming ``what`` when the value is not a clean relative path or a symlink on the way leads out of the
    tree. Checked before anything under the path is read or written."""
    rel = relative_option(what, value)
    path = os.path.join(root, rel) if rel else root
    problem = symlink_problem(root, path)
    if problem:
        raise OptionProblem("%s: %s" % (what, problem))
    return path, os.path.realpath(root)


def _under(rel, top):
    return rel == top or rel.startswith(top + "/")


def special_kind(info):
    """What makes an entry dangerous in a tree the container can write, or None: a setuid or setgid regular file
    (a root process in the container could leave one for any host user to run) or a device node."""
    if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        return "device node"
    if stat.S_ISREG(info.st_mode) and info.st_mode & (stat.S_ISUID | stat.S_ISGID):
        return "setuid" if info.st_mode & stat.S_ISUID else "setgid"
    return None


def signed_caches(root, folders):
    """Paths (relative to the root) that phase 2 vouches for under profiles/<folder>/: the artifacts a valid
    signature.json records and the folders that hold them, the stage's own records (compile.log,
    signature.json), and every directory under a folder so signed (a directory holds nothing by itself:
    a stray file in it is named on its own). A signature.json that does not cover its own inputs, or whose seal
    does not cover its artifacts and sizes, vouches for nothing; an artifact that is not a regular file of its
    recorded size is not vouched for either. Returns (paths, the signed folders' relative paths, {damaged path:
    why})."""
    allowed, signed, damaged = set(), set(), {}
    for folder in folders:
        top = "profiles/" + folder
        try:
            if not stat.S_ISDIR(os.lstat(os.path.join(root, top)).st_mode):  # a symlinked folder vouches for nothing
                continue
            stored, dummy = read_json(os.path.join(root, top, "signature.json"), quarantine=False)
        except (OSError, ValueError, PathProblem):
            continue
        allowed.update((top + "/compile.log", top + "/signature.json") if stored is not None else (top + "/compile.log",))
        if not isinstance(stored, dict) or verdict(stored, stored.get("inputs"))[0] != "match":
            continue
        signed.add(top)
        sizes = stored.get("sizes") or {}
        for rel in stored.get("artifacts") or []:
            parts = str(rel).split("/")
            if "" in parts or ".." in parts or "." in parts:
                continue
            allowed.update(top + "/" + "/".join(parts[:i - 1]) for i in range(2, len(parts) + 1))
            path = top + "/" + "/".join(parts)
            try:
                info = os.lstat(os.path.join(root, path))
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):
                damaged[path] = "not a regular file"
            elif rel in sizes and sizes[rel] != info.st_size:
                damaged[path] = "%s -> %d bytes since signed" % (sizes[rel], info.st_size)
            else:
                allowed.add(path)
    return allowed, signed, damaged


def audit(root, uid, gid, required=(), model=None, scaffolding=None, inventory=(), max_listed=10, also_models=(),
          models_elsewhere=False):
    """Everything phase checks need to know about the host tree, in one walk.

    ``required``: directories (relative) that must exist as real directories.
    ``model``: 'org/name'; everything under models/ outside models/<model> (and its parent folders) is extra.
    ``also_models``: other expected models (the tool model), not extra either; ``model`` alone is described.
    ``models_elsewhere``: the served models come from a store outside the tree, so everything under models/ is extra.
    ``scaffolding``: entries allowed directly under profiles/, which hold nothing but the caches a valid
    signature.json vouches for (see signed_caches); None skips the check.
    ``inventory``: directories (relative) whose regular files are listed, and their sizes, for before/after comparisons.
    Lists of offenders are cut at ``max_listed``; their ``*_count`` keys give the full numbers."""
    out = {
        "root": root, "exists": False, "is_dir": False, "root_symlink": None, "missing": [], "not_directories": [],
        "symlinks_out": [], "wrong_owner": [], "wrong_owner_count": 0, "entries": 0,
        "profiles_extra": [], "profiles_extra_count": 0, "profiles_signed_count": 0, "profiles_unsigned": [],
        "special": [], "special_count": 0, "models_extra": [], "models_extra_count": 0,
        "model": None, "files": dict((d, []) for d in inventory), "sizes": dict((d, {}) for d in inventory),
    }
    try:
        top = os.lstat(root)
    except OSError:
        out["missing"] = [""] + list(required)
        return out
    out["exists"] = True
    if stat.S_ISLNK(top.st_mode):
        out["root_symlink"] = os.path.realpath(root)
        return out
    out["is_dir"] = stat.S_ISDIR(top.st_mode)
    if not out["is_dir"]:
        return out
    real_root = os.path.realpath(root)
    model_rel = "models/%s" % model if model and not models_elsewhere else None
    other_rels = ["models/%s" % m for m in also_models if m and m != model] if model_rel else []
    model_parents = set()
    for rel in [model_rel] + other_rels if model_rel else []:
        parts = rel.split("/")
        model_parents.update("/".join(parts[:i]) for i in range(1, len(parts)))
    if model_rel:
        out["model"] = {"path": os.path.join(root, model_rel), "exists": False, "is_dir": False, "files": 0, "bytes": 0}
    signed, signed_folders, damaged = signed_caches(root, scaffolding) if scaffolding else (set(), set(), {})
    seen = {}
    for rel, info in walk(root):
        out["entries"] += 1
        seen[rel] = info
        kind = special_kind(info)
        if kind:
            out["special_count"] += 1
            if len(out["special"]) < max_listed:
                out["special"].append("%s (%s)" % (os.path.join(root, rel) if rel else root, kind))
        path = os.path.join(root, rel) if rel else root
        if (info.st_uid, info.st_gid) != (uid, gid):
            out["wrong_owner_count"] += 1
            if len(out["wrong_owner"]) < max_listed:
                out["wrong_owner"].append("%s (%d:%d)" % (path, info.st_uid, info.st_gid))
        if stat.S_ISLNK(info.st_mode):
            target = realpath(path) or "(changed while read)"  # a link swapped during the walk counts as leaving
            if not inside(target, real_root):
                out["symlinks_out"].append({"path": path, "target": target})
        if scaffolding is not None and _under(rel, "profiles") and rel != "profiles":
            first = rel.split("/")[1]
            is_bare_scaffold = rel == "profiles/" + first and first in scaffolding and (
                stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode))
            in_signed = stat.S_ISDIR(info.st_mode) and any(_under(rel, f) for f in signed_folders)
            if in_signed or (rel in signed and (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode))):
                out["profiles_signed_count"] += stat.S_ISREG(info.st_mode)
            elif not is_bare_scaffold:
                out["profiles_extra_count"] += 1
                if first not in out["profiles_unsigned"]:
                    out["profiles_unsigned"].append(first)
                if len(out["profiles_extra"]) < max_listed:
                    out["profiles_extra"].append("%s (%s)" % (rel, damaged[rel]) if rel in damaged else rel)
        if (model_rel or models_elsewhere) and _under(rel, "models") and rel != "models":
            if model_rel and _under(rel, model_rel):
                if rel == model_rel:
                    out["model"].update(exists=True, is_dir=stat.S_ISDIR(info.st_mode))
                elif stat.S_ISREG(info.st_mode):
                    out["model"]["files"] += 1
                    out["model"]["bytes"] += info.st_size
            elif any(_under(rel, other) for other in other_rels):
                pass
            elif rel not in model_parents or not stat.S_ISDIR(info.st_mode):
                out["models_extra_count"] += 1
                if len(out["models_extra"]) < max_listed:
                    out["models_extra"].append(rel)
        for d in inventory:
            if d and _under(rel, d) and stat.S_ISREG(info.st_mode):
                out["files"][d].append(rel)
                out["sizes"][d][rel] = info.st_size
    for rel in required:
        info = seen.get(rel)
        if info is None:
            out["missing"].append(rel)
        elif not stat.S_ISDIR(info.st_mode):
            out["not_directories"].append(rel)
    for d in inventory:
        out["files"][d].sort()
    return out


def ownership_summary(result, user, uid, gid):
    """One line naming the first offenders, or the number of entries walked when there is none."""
    if result["wrong_owner_count"]:
        return "%d of %d entries are not owned by %s (%d:%d), first: %s" % (
            result["wrong_owner_count"], result["entries"], user, uid, gid, ", ".join(result["wrong_owner"]))
    return "%d entries under %s, all owned by %s (%d:%d)" % (result["entries"], result["root"], user, uid, gid)


def symlink_summary(result):
    """One line naming the root symlink or every symlink that leaves the tree, or '' when none does."""
    if result["root_symlink"]:
        return "%s is a symlink to %s; the host tree root must be a real directory" % (result["root"], result["root_symlink"])
    return ", ".join("%s -> %s" % (s["path"], s["target"]) for s in result["symlinks_out"])


def profiles_summary(result, rebuild, building):
    """One line for what profiles/ holds beyond the scaffolding and the signed caches: the stages being built now (a
    run killed mid-stage leaves its stage running on the host: wait), the entries, the folders with unsigned files
    and the command that rebuilds their stages ({host} stands for the host's inventory name); '' when nothing."""
    if not result["profiles_extra_count"]:
        return ""
    line = "being built now: %s; wait until it ends, then run again. " % ", ".join(building) if building else ""
    line += "%d entries under profiles/ beyond the scaffolding and the signed caches: %s; unsigned files in %s" % (
        result["profiles_extra_count"], ", ".join(result["profiles_extra"]), ", ".join(result["profiles_unsigned"]))
    line += " (a half-built cache, a stray file, or a signature from before the seal)"
    if rebuild:
        line += (": rebuild those stages, which removes what their signatures do not vouch for, with ansible-playbook -i "
                 "<inventory> playbooks/caches.yml --limit {host} -e '%s'" % json.dumps({"caches_stages": rebuild}))
    if len(rebuild) < len(result["profiles_unsigned"]):
        line += "%s remove what is not a stage folder" % ("; and" if rebuild else ":")
    return line
