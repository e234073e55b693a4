#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tree_audit
short_description: Audit the whole host tree in one walk, owners, symlinks, scaffolding and model
version_added: 0.1.0
description:
  - Walks the whole host tree, never following a symbolic link, and returns the evidence that phase
    checks judge. It reports every entry not owned by the host user's uid and gid (the first
    O(max_listed) of them by name), symlinks whose target leaves the tree, and required directories
    that are missing or are not directories.
  - With O(scaffolding), it also reports everything under C(profiles/) beyond the scaffolding and the
    cache files that a stage's valid C(signature.json) records (written by M(gh200.sglang.cache_stage)).
    With O(model), it reports everything under C(models/) outside C(models/<model>) and the
    O(also_models) (the tool model of a deploy mode that serves two); with O(model_store) as well, the
    models come from the store, so everything under C(models/) is reported (the store itself is not read). With
    O(inventory), it lists the regular files under the given directories, so that a later call can
    compare.
  - Reads only. Every path-like option must stay inside the tree; C(..), absolute paths and empty
    segments are refused with one line, before anything is read.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.attributes.read_only
  - gh200.sglang.docker.host_tree
  - gh200.sglang.docker.model_store
options:
  required:
    description: Directories, relative to O(root), that must exist as real directories.
    type: list
    elements: str
    default: []
  scaffolding:
    description: Entries allowed directly under C(profiles/). They must be empty. Unset skips the check.
    type: list
    elements: str
  model:
    description: The expected model as C(org/name), under C(models/). Unset skips the model facts.
    type: str
  also_models:
    description: Other models, as C(org/name), expected under C(models/) beside O(model); not described in RV(model).
    type: list
    elements: str
    default: []
  inventory:
    description: Directories, relative to O(root), whose regular files are listed in RV(files).
    type: list
    elements: str
    default: []
  max_listed:
    description: How many offenders each list names at most; the C(*_count) values give the full numbers.
    type: int
    default: 10
"""

EXAMPLES = r"""
- name: Audit the host tree of the host user.
  gh200.sglang.tree_audit:
    host_user: ubuntu
    required: [models, profiles, telemetry, telemetry/logs]
    scaffolding: [flashinfer, inductor, deep_gemm, moe_configs, prep_result.json]
    model: Qwen/Qwen3-Next-80B-A3B-Thinking-FP8
  register: tree
"""

RETURN = r"""
root:
  description: The host tree root.
  returned: always
  type: str
uid:
  description: The host user's uid.
  returned: always
  type: int
gid:
  description: The host user's primary gid.
  returned: always
  type: int
exists:
  description: Whether the root exists.
  returned: always
  type: bool
root_symlink:
  description: Where the root points when it is a symlink (the tree is then not walked); null otherwise.
  returned: always
  type: str
missing:
  description: Required directories (relative) that do not exist; V("") is the root.
  returned: always
  type: list
  elements: str
not_directories:
  description: Required paths that exist but are not real directories.
  returned: always
  type: list
  elements: str
symlinks_out:
  description: Symlinks in the tree whose target leaves it.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/home/ubuntu/sglang-observability/profiles/flashinfer", "target": "/tmp/x"}]
wrong_owner:
  description: The first entries not owned by the host user, as C(<path> (<uid>:<gid>)).
  returned: always
  type: list
  elements: str
wrong_owner_count:
  description: How many entries are not owned by the host user.
  returned: always
  type: int
owner_detail:
  description: One line, naming the first offenders or how many entries were walked.
  returned: always
  type: str
symlink_detail:
  description: One line naming the root symlink or every symlink that leaves the tree; empty when none does.
  returned: always
  type: str
entries:
  description: How many entries were walked.
  returned: always
  type: int
profiles_extra:
  description:
    - The first entries under C(profiles/) beyond the empty scaffolding (relative paths); a signed artifact whose size
      changed since it was signed is named with both sizes.
  returned: always
  type: list
  elements: str
special:
  description:
    - The first setuid or setgid regular files and device nodes anywhere in the tree, as C(<path> (<kind>)). The
      container can write the tree, so one of these is a way for it to act on the host.
  returned: always
  type: list
  elements: str
  sample: ["/home/ubuntu/sglang-observability/profiles/flashinfer/run (setuid)"]
special_count:
  description: How many setuid or setgid files and device nodes the tree holds.
  returned: always
  type: int
profiles_unsigned:
  description:
    - The folders directly under C(profiles/) that hold entries no valid signature vouches for (a half-built
      cache, a stray file, an artifact whose size changed since it was signed); their stages need a rebuild.
  returned: always
  type: list
  elements: str
  sample: [flashinfer]
profiles_rebuild:
  description:
    - The stages whose folders are in RV(profiles_unsigned), each mapped to C(rebuild), as the caches role's
      C(caches_stages) takes them; C(playbooks/caches.yml) given them rebuilds those stages, building only on what
      their signatures vouch for.
  returned: always
  type: dict
  sample: {"flashinfer": "rebuild"}
profiles_building:
  description:
    - The stages of RV(profiles_rebuild) whose C(.lock) a live process holds, each with its holder. Such a stage is
      being built right now (a run killed mid-stage leaves its stage running on the host), so its files are unsigned
      until it ends. The lock is only probed, never taken.
  returned: always
  type: list
  elements: str
  sample: ["inductor (its lock held by pid 4455 since 2026-11-30T20:30:01Z)"]
profiles_detail:
  description:
    - One line for what C(profiles/) holds beyond the scaffolding and the signed caches, empty when nothing does. It
      names the stages being built now, the entries, the folders with unsigned files, and the C(caches.yml) command that
      rebuilds their stages, with C({host}) standing for the host's inventory name.
  returned: always
  type: str
profiles_signed_count:
  description: How many files under C(profiles/) a stage's valid C(signature.json) vouches for (not counted as extra).
  returned: always
  type: int
profiles_extra_count:
  description: How many entries under C(profiles/) are beyond the scaffolding.
  returned: always
  type: int
models_extra:
  description: The first entries under C(models/) outside the expected model (relative paths).
  returned: always
  type: list
  elements: str
models_extra_count:
  description: How many entries under C(models/) are outside the expected model.
  returned: always
  type: int
model:
  description: The expected model directory, its regular files and their bytes; null without O(model).
  returned: always
  type: dict
  sample: {"path": "/home/ubuntu/sglang-observability/models/org/name", "exists": true, "is_dir": true, "files": 12, "bytes": 80000000000}
files:
  description: For each O(inventory) directory, its regular files (paths relative to the root), sorted.
  returned: always
  type: dict
sizes:
  description: For each O(inventory) directory, the size in bytes of each of its regular files (by relative path).
  returned: always
  type: dict
  sample: {"profiles": {"profiles/deep_gemm/cache/kernel.standin_gemm.1f2e/kernel.so": 16384}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _files, _locks, _model, _stages, _tree


def building(root, stages):
    """The stages among ``stages`` whose folder's lock a live process holds (a stage that runs now, such as one whose
    controller was killed while the host went on building it), each named with its holder. Only probed, never taken."""
    out = []
    for stage in stages:
        path = "%s/profiles/%s/.lock" % (root, _stages.STAGES[stage]["dir"])
        try:
            state, line = _locks.probe(path, root=root)
        except (OSError, _files.PathProblem):
            continue  # not a lock file: the audit names what it is
        if state == "held":
            out.append("%s (its lock held by %s)" % (stage, _locks.describe_holder(path, line)[0]))
    return out


def main():
    argument_spec = dict(
        required=dict(type="list", elements="str", default=[]),
        scaffolding=dict(type="list", elements="str"),
        model=dict(type="str"),
        also_models=dict(type="list", elements="str", default=[]),
        inventory=dict(type="list", elements="str", default=[]),
        max_listed=dict(type="int", default=10),
    )
    argument_spec.update(_tree.HOST_TREE_ARGS)
    argument_spec.update(_tree.MODEL_STORE_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    for model in ([p["model"]] if p["model"] is not None else []) + p["also_models"]:
        if _model.policy_problem(model):
            module.fail_json(msg=_model.policy_problem(model))
    try:
        account, root = _tree.resolve_root(p["host_user"], p["root"])
        required = [_tree.relative_option("required", r) for r in p["required"]]
        inventory = [_tree.relative_option("inventory", r) for r in p["inventory"]]
        scaffolding = None if p["scaffolding"] is None else [_tree.relative_option("scaffolding", s) for s in p["scaffolding"]]
    except _tree.OptionProblem as exc:
        module.fail_json(msg=str(exc))
    if scaffolding and any("/" in s for s in scaffolding):
        module.fail_json(msg="scaffolding entries are names directly under profiles/, not paths: %s" % ", ".join(scaffolding))
    result = _tree.audit(root, account.pw_uid, account.pw_gid, required=required, model=p["model"],
                         scaffolding=scaffolding, inventory=inventory, max_listed=p["max_listed"],
                         also_models=p["also_models"], models_elsewhere=bool(p["model_store"]))
    result["owner_detail"] = _tree.ownership_summary(result, account.pw_name, account.pw_uid, account.pw_gid)
    result["symlink_detail"] = _tree.symlink_summary(result)
    result["profiles_rebuild"] = dict((stage, "rebuild") for stage in _stages.stages_of(result["profiles_unsigned"]))
    result["profiles_building"] = building(root, result["profiles_rebuild"])
    result["profiles_detail"] = _tree.profiles_summary(result, result["profiles_rebuild"], result["profiles_building"])
    module.exit_json(changed=False, uid=account.pw_uid, gid=account.pw_gid, **result)


if __name__ == "__main__":
    main()
