# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Editable-install state of a package in the dev container: pure functions (private to the collection)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import posixpath
import re

_EXTRA_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?\Z")
_PACKAGE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_CALLABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_.]*\Z")

# Runs in the container (python -c INSPECT <package> <source dir> [<module:callable>]); prints one JSON line.
INSPECT = r"""
import importlib, inspect, json, os, sys
pkg, src = sys.argv[1], sys.argv[2]
out = {"python": sys.executable, "src_is_dir": os.path.isdir(src),
       "pkg_in_src": os.path.isdir(os.path.join(src, *pkg.split("."))) or os.path.isfile(os.path.join(src, *pkg.split(".")) + ".py")}
try:
    mod = importlib.import_module(pkg)
    out["origin"] = getattr(mod, "__file__", None)
except Exception as exc:
    out["import_error"] = "%s: %s" % (type(exc).__name__, exc)
try:
    from importlib import metadata
    dist = metadata.distribution(pkg.split(".")[0])
    out["version"] = dist.version
    text = dist.read_text("direct_url.json")
    out["direct_url"] = json.loads(text) if text else None
except Exception as exc:
    out["direct_url"] = None
    out["dist_error"] = "%s: %s" % (type(exc).__name__, exc)
if len(sys.argv) > 3:
    modname, _, attr = sys.argv[3].partition(":")
    try:
        obj = importlib.import_module(modname)
        for part in attr.split("."):
            obj = getattr(obj, part)
        out["signature"] = str(inspect.signature(obj))
        out["probe_origin"] = getattr(sys.modules[modname], "__file__", None)
    except Exception as exc:
        out["probe_error"] = "%s: %s" % (type(exc).__name__, exc)
print(json.dumps(out))
"""


class InputError(ValueError):
    """An option value the module refuses."""


def check_inputs(package, extras, probe_callable, user):
    if not _PACKAGE_RE.match(package or ""):
        raise InputError("package %r is not a Python import name" % (package,))
    bad = [e for e in extras if not _EXTRA_RE.match(e)]
    if bad:
        raise InputError("invalid extras: %s (names are letters, digits, '.', '-', '_')" % ", ".join(repr(e) for e in bad))
    if probe_callable and not _CALLABLE_RE.match(probe_callable):
        raise InputError("probe callable %r is not of the form module:callable" % (probe_callable,))
    if is_root_user(user):
        raise InputError("user %r runs as root: refusing to install as root, root-owned files would land in the workspace and "
                         "site-packages" % user)
    if not _USER_RE.match(user or ""):
        raise InputError("user %r is not a user name or uid[:gid] (docker exec would run it as root or not at all)" % (user,))


_USER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*(:[A-Za-z0-9_.-]+)?\Z|^[0-9]+(:[0-9]+)?\Z")


def is_root_user(user):
    """Whether docker exec would run as root with this user: empty (the image's default, root in most), root, uid 0
    however written (0, 00, 000:1), with any group."""
    name = (user or "").strip().split(":", 1)[0]
    return not name or name == "root" or (name.isdigit() and int(name) == 0)


def requirement(source, extras):
    """The one pip requirement of the editable install: '<source>[a,b]'."""
    return "%s[%s]" % (source, ",".join(sorted(set(extras)))) if extras else source


def parse_inspect(stdout):
    """The JSON line INSPECT printed (the last line, in case a sitecustomize printed something first)."""
    lines = [line for line in (stdout or "").splitlines() if line.strip()]
    if not lines:
        raise ValueError("the inspection printed nothing")
    return json.loads(lines[-1])


def under(path, directory):
    if not path:
        return False
    path = posixpath.normpath(path)
    directory = posixpath.normpath(directory)
    return path == directory or path.startswith(directory + "/")


def editable_url(direct_url):
    """The file:// directory of an editable install, or None when the install is not editable."""
    if not isinstance(direct_url, dict) or not (direct_url.get("dir_info") or {}).get("editable"):
        return None
    url = direct_url.get("url") or ""
    return url[len("file://"):] if url.startswith("file://") else None


def decide(state, source):
    """(needs_install, reasons): the install is right when the import resolves under source AND the
    installed distribution is an editable install of source. pip's own 'changed' is never trusted."""
    reasons = []
    if state.get("import_error"):
        reasons.append("the package does not import (%s)" % state["import_error"])
    elif not under(state.get("origin"), source):
        reasons.append("the package imports from %s, not from %s" % (state.get("origin"), source))
    url = editable_url(state.get("direct_url"))
    if url is None:
        reasons.append("the installed distribution is not an editable install")
    elif posixpath.normpath(url) != posixpath.normpath(source):
        reasons.append("the editable install points at %s, not at %s" % (url, source))
    return bool(reasons), reasons


def signature_matches(expected, actual):
    """Signatures compare with white space folded (typing reprs differ only in spacing between versions)."""
    return _fold(expected) == _fold(actual)


def _fold(text):
    return re.sub(r"\s+", "", text or "")
