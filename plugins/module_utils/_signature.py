# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signatures of what determines an artifact (private to the collection): a SHA-256 over a canonical
JSON of the inputs, and which inputs differ between two records, so a rebuild can say why.

Pure standard-library code.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json


def canonical(inputs):
    """The one byte string for ``inputs``: JSON with sorted keys, no whitespace, UTF-8 (not escaped)."""
    return json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def signature(inputs):
    """``sha256:<hex>`` of the canonical JSON of ``inputs``."""
    return "sha256:" + hashlib.sha256(canonical(inputs)).hexdigest()


def _flatten(value, prefix, out):
    if isinstance(value, dict) and value:
        for key in value:
            _flatten(value[key], "%s.%s" % (prefix, key) if prefix else str(key), out)
    else:
        out[prefix] = value
    return out


def changed_inputs(before, after):
    """Dotted names of the inputs that differ between two input records (added, removed or changed),
    sorted; every name when ``before`` is not a record at all."""
    if not isinstance(before, dict):
        return sorted(_flatten(after, "", {}))
    old, new = _flatten(before, "", {}), _flatten(after, "", {})
    return sorted(k for k in set(old) | set(new) if k not in old or k not in new or canonical(old[k]) != canonical(new[k]))


def seal(stored):
    """``sha256:<hex>`` over the record's signature, artifact list and sizes: what the record vouches for on disk.
    A record edited by hand (an artifact added to the list, a size changed) no longer matches its seal."""
    return signature({"signature": stored.get("signature"), "artifacts": stored.get("artifacts") or [],
                      "sizes": stored.get("sizes") or {}})


def record(inputs, artifacts=None, sizes=None):
    """What a signature file holds: the signature and the inputs it covers (so a mismatch can be explained), the
    artifacts it vouches for with their sizes, and the seal over all three."""
    out = {"signature": signature(inputs), "inputs": inputs, "artifacts": list(artifacts or []), "sizes": dict(sizes or {})}
    out["seal"] = seal(out)
    return out


def intact(stored):
    """Whether a stored record covers its own inputs and its seal covers its artifacts and sizes."""
    try:
        return (isinstance(stored, dict) and stored.get("signature") == signature(stored.get("inputs"))
                and isinstance(stored.get("artifacts") or [], list) and isinstance(stored.get("sizes") or {}, dict)
                and stored.get("seal") == seal(stored))
    except (TypeError, ValueError):  # a value JSON cannot hold canonically (NaN), or an unhashable shape
        return False


def verdict(stored, inputs):
    """('match' | 'missing' | 'mismatch', changed input names) of a stored signature record against the
    inputs of this run. A record whose signature does not cover its own inputs, or whose seal does not cover
    its artifacts and sizes (edited by hand), counts as missing."""
    if not intact(stored):
        return "missing", []
    if stored["signature"] == signature(inputs):
        return "match", []
    return "mismatch", changed_inputs(stored["inputs"], inputs)
