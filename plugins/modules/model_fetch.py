#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: model_fetch
short_description: Download Hugging Face models into the host tree with huggingface_hub, verified file by file
version_added: 0.2.0
description:
  - Downloads each model of O(models) into C(<root>/<models_dir>/<org>/<name>) with the real C(huggingface_hub)
    client (C(snapshot_download) into a local folder), only the files O(allow_patterns) match, at the revision
    O(revisions) pins (a commit id; C(main) otherwise). An interrupted download resumes where it stopped (the
    client's C(.incomplete) file and a ranged request).
  - Before any byte is fetched, every model must be a Hugging Face repo id on O(allowlist); the module fails with
    one line otherwise, as it does for a token file that is not its owner's only, or when it runs as another user than
    O(host_user) (the download writes the host tree as its owner, never as root).
  - The hub's listing of the revision names every file with its size and hash. Files missing or of another size are
    fetched; then every listed file is read back and compared, sha256 for LFS files (the weights), the git blob id
    for the rest. A file that differs is removed with the client's record of it (so the next run fetches it again)
    and named in RV(models[].bad).
  - A failed fetch (gated repo without a token, unknown repo or revision, connection lost, the time bound passed) does
    not fail the task; it is one line in RV(models[].error) and RV(problems), for a check to judge.
  - The token comes from O(token_file) or O(token) and is handed to the client in memory only, never in an
    environment, an argument vector, a log or a returned value. Without either, the client's own token (C(hf auth
    login), C(HF_TOKEN)) is used, if any.
  - The whole fetch runs in a child process bounded by O(timeout) seconds; past it, the child is killed and what it
    fetched stays for the next run to resume.
  - In check mode the hub is asked for the listing only (read-only) and nothing is written; RV(models[].fetched)
    names what a real run would fetch.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.docker.host_tree
requirements:
  - huggingface_hub (tested with 2.4.0) for the interpreter the module runs with
options:
  models:
    description: The models to fetch, as Hugging Face repo ids C(org/name).
    type: list
    elements: str
    required: true
  revisions:
    description: A revision per repo id (a 40-character commit id pins it); a model not named here takes C(main).
    type: dict
    default: {}
  models_dir:
    description: The directory, relative to O(root), that holds C(<org>/<name>).
    type: str
    default: models
  allow_patterns:
    description: Shell patterns of the repo files to fetch (as C(snapshot_download) matches them).
    type: list
    elements: str
    default: ["*.json", "*.safetensors", "*.model", "*.tiktoken", "*.txt"]
  allowlist:
    description: Repo ids, or shell patterns such as C(Qwen/*), that every model must match. Empty allows any id.
    type: list
    elements: str
    default: []
  endpoint:
    description: The hub's URL (C(HF_ENDPOINT)); empty takes the client's own (C(HF_ENDPOINT) or huggingface.co).
    type: str
    default: ""
  token:
    description: A hub token. Prefer O(token_file).
    type: str
    default: ""
  token_file:
    description:
      - A file on the host holding the hub token, owned by the user fetching, mode 0400 or 0600.
      - Mutually exclusive with O(token).
    type: path
  timeout:
    description: Seconds the whole fetch may take.
    type: int
    default: 3600
  max_workers:
    description: Files downloaded at once.
    type: int
    default: 8
attributes:
  check_mode:
    support: full
    description: Asks the hub for the listing only and writes nothing; reports what a run would fetch.
  diff_mode:
    support: none
    description: Downloads are not diffed; RV(models[].fetched) names the files.
"""

EXAMPLES = r"""
- name: Fetch the model into the host tree when it is absent, pinned to a commit, with the token from a 0600 file.
  gh200.sglang.model_fetch:
    host_user: ubuntu
    models: [Qwen/Qwen3-Next-80B-A3B-Thinking-FP8]
    revisions:
      Qwen/Qwen3-Next-80B-A3B-Thinking-FP8: 0123456789abcdef0123456789abcdef01234567
    allowlist: [Qwen/*]
    token_file: /home/ubuntu/.config/gh200/hf_token
  register: fetch
"""

RETURN = r"""
models:
  description: One entry per model, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    model:
      description: The repo id.
      type: str
    path:
      description: The model directory.
      type: str
    commit:
      description: The commit the revision resolved to ('' when the hub did not answer).
      type: str
    files:
      description: How many listed files O(allow_patterns) matched.
      type: int
    bytes:
      description: Their total size.
      type: int
    fetched:
      description: The files that were missing or of another size, fetched (or, in check mode, to fetch).
      type: list
      elements: str
    bad:
      description: Files whose size or hash is not the listed one after the download, each with both values; removed.
      type: list
      elements: str
    error:
      description: Why the fetch failed, one line; '' when it did not.
      type: str
  sample: [{"model": "Qwen/Qwen3-8B", "path": "/home/ubuntu/sglang-observability/models/Qwen/Qwen3-8B",
            "commit": "0123456789abcdef0123456789abcdef01234567", "files": 12, "bytes": 16400000000,
            "fetched": ["model-00001-of-00005.safetensors"], "bad": [], "error": ""}]
problems:
  description: Every model's error and bad files, one line each, naming the model.
  returned: always
  type: list
  elements: str
summary:
  description: One line saying what was fetched, for check details.
  returned: always
  type: str
"""

import importlib.util
import json
import os
import re
import select
import signal
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.gh200.sglang.plugins.module_utils import _files, _hub, _model, _tree

COMMIT_RE = re.compile(r"^[0-9a-f]{40}\Z")


def relative_dir(models_dir, model):
    """The model's directory relative to the host tree root (an empty models_dir is the root itself)."""
    return "/".join(x for x in (models_dir, model) if x)


def fetch_one(p, model, path, token, check_mode):
    """In the child: list the revision, fetch what is missing, verify every listed file. Returns the model's entry."""
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.hf_api import RepoFile
    from huggingface_hub.utils import filter_repo_objects

    endpoint = p["endpoint"] or None
    shown = endpoint or os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    out = dict(model=model, path=path, commit="", files=0, bytes=0, fetched=[], bad=[], error="", wrote=False)
    revision = str(p["revisions"].get(model) or "main")
    model_rel = relative_dir(p["models_dir"], model)  # ``path``, relative to the root
    try:
        api = HfApi(endpoint=endpoint, token=token or None)
        commit = revision if COMMIT_RE.match(revision) else api.repo_info(model, revision=revision).sha
        out["commit"] = commit
        listed = [_hub.entry(f.path, f.size, f.blob_id, f.lfs.sha256 if f.lfs else None)
                  for f in api.list_repo_tree(model, recursive=True, revision=commit) if isinstance(f, RepoFile)]
        entries = list(filter_repo_objects(listed, allow_patterns=p["allow_patterns"], key=lambda e: e["path"]))
        leaving = _hub.leaving_paths(entries)
        if leaving:
            out["error"] = "%s at %s: the hub lists paths that leave the model directory: %s" % (model, commit, ", ".join(leaving[:5]))
            return out
        if not entries:
            out["error"] = "%s at %s has no file that allow_patterns (%s) match" % (model, commit, ", ".join(p["allow_patterns"]))
            return out
        out.update(files=len(entries), bytes=sum(e["size"] for e in entries))
        out["fetched"] = [e["path"] for e in _hub.to_fetch(entries, path)]
        if check_mode or not out["fetched"]:
            return out
        out["wrote"] = True
        # Its folders made one by one from the root, never through a symlink (the tree is the container's to write).
        os.close(_files.open_dir(p["root"], model_rel, make=p["owner"]))
        snapshot_download(model, revision=commit, local_dir=path, allow_patterns=p["allow_patterns"], token=token or None,
                          endpoint=endpoint, max_workers=p["max_workers"])
    except Exception as exc:  # any failure of the client is this model's one line
        out["error"] = _hub.error_line(exc, model, shown, bool(token))
        return out
    bad = _hub.verify(entries, path)
    for rel, dummy in bad:  # not kept: the next run fetches it again
        for stale in [rel] + _hub.download_state(rel):
            try:  # through folder handles from the root: a folder swapped for a symlink is refused, never followed
                _files.unlink_under(p["root"], model_rel + "/" + stale)
            except (OSError, _files.PathProblem):
                pass
    out["bad"] = ["%s: %s" % pair for pair in bad]
    return out


def run_child(p, places, token, check_mode):
    """Every model's entry, fetched in a child process bounded by the timeout: (entries, error line)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its output is not the module's
        try:
            os.close(read_end)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.environ.update(HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_TELEMETRY="1")
            entries = [fetch_one(p, model, path, token, check_mode) for model, path in places]
            data = json.dumps(entries).encode()
            while data:
                data = data[os.write(write_end, data):]
        finally:
            os._exit(0)
    os.close(write_end)
    deadline, chunks = time.monotonic() + p["timeout"], []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                return None, ("the fetch of %s did not end within %d s (timeout); what it fetched stays for the next run to resume"
                              % (", ".join(m for m, dummy in places), p["timeout"]))
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    try:
        return json.loads(b"".join(chunks).decode()), ""
    except ValueError:
        return None, "the fetch of %s ended without a result (the child process died)" % ", ".join(m for m, dummy in places)


def main():
    argument_spec = dict(
        models=dict(type="list", elements="str", required=True),
        revisions=dict(type="dict", default={}),
        models_dir=dict(type="str", default="models"),
        allow_patterns=dict(type="list", elements="str", default=["*.json", "*.safetensors", "*.model", "*.tiktoken", "*.txt"]),
        allowlist=dict(type="list", elements="str", default=[]),
        endpoint=dict(type="str", default=""),
        token=dict(type="str", default="", no_log=True),
        token_file=dict(type="path"),
        timeout=dict(type="int", default=3600),
        max_workers=dict(type="int", default=8),
    )
    argument_spec.update(_tree.HOST_TREE_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, mutually_exclusive=[("token", "token_file")], supports_check_mode=True)
    p = module.params
    problems = [x for x in (_model.policy_problem(m, p["allowlist"]) for m in p["models"]) if x]
    if problems or not p["models"]:
        module.fail_json(msg="; ".join(problems) or "models is empty: name at least one repo id")
    if p["timeout"] < 1 or p["max_workers"] < 1:
        module.fail_json(msg="timeout and max_workers must be at least 1 (got %d and %d)" % (p["timeout"], p["max_workers"]))
    if importlib.util.find_spec("huggingface_hub") is None:
        module.fail_json(msg=missing_required_lib("huggingface_hub"))
    try:
        account, root = _tree.resolve_root(p["host_user"], p["root"])
        if os.geteuid() != account.pw_uid:
            raise _tree.OptionProblem("the fetch runs as the host user %s (uid %d), not uid %d: become %s for this task"
                                      % (account.pw_name, account.pw_uid, os.geteuid(), account.pw_name))
        token = _hub.read_token_file(p["token_file"], account.pw_uid) if p["token_file"] else p["token"]
        models_dir = _tree.relative_option("models_dir", p["models_dir"])
        places = [(m, _tree.confine(root, "model directory", relative_dir(models_dir, m))[0]) for m in p["models"]]
        p["root"], p["models_dir"], p["owner"] = root, models_dir, (account.pw_uid, account.pw_gid, 0o755)
    except (_tree.OptionProblem, _files.PathProblem, ValueError, OSError) as exc:
        module.fail_json(msg="model fetch of %s: %s" % (", ".join(p["models"]), exc))
    entries, error = run_child(p, places, token, module.check_mode)
    if entries is None:
        # Killed past the timeout: whatever it wrote stays, so a run that started downloading changed the host.
        entries = [dict(model=m, path=path, commit="", files=0, bytes=0, fetched=[], bad=[], error=error, wrote=not module.check_mode)
                   for m, path in places]
    problems = [e["error"] for e in entries if e["error"]] + ["%s: %s" % (e["model"], b) for e in entries for b in e["bad"]]
    # Check mode predicts: a run would change the host when it has something to fetch.
    wrote = [e.pop("wrote") for e in entries]
    changed = any(w or (module.check_mode and bool(e["fetched"]) and not e["error"]) for w, e in zip(wrote, entries))
    verb = "would fetch" if module.check_mode else "fetched"
    summary = "; ".join("%s at %s: %s %d of %d files (%d bytes listed)"
                        % (e["model"], e["commit"][:12] or "?", verb, len(e["fetched"]), e["files"], e["bytes"]) for e in entries)
    module.exit_json(changed=changed, models=entries, problems=problems, summary=summary)


if __name__ == "__main__":
    main()
