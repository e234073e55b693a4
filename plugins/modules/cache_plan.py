#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cache_plan
short_description: Say, for every kernel-cache stage at once, whether its signed cache is kept or the stage would run
version_added: 0.1.0
description:
  - Asks what M(gh200.sglang.cache_stage) would decide for each stage of O(stages), with the same signature
    (the stage, its argv and cache environment, the model's C(config.json), the library versions and GPU the
    container reports, the image id) and the same test of the recorded artifacts, and changes nothing.
  - The container is probed once for all the stages, and the module runs once, so a phase whose caches all
    hold costs one task instead of one per stage. The caches role starts a stage's job only when this module
    does not say the stage is V(kept) (or V(skipped), already recorded as skipped), and takes this answer as
    the job's own, since keeping a stage writes nothing.
  - Fails with one line, before anything is read in the container, on a model that is not a Hugging Face
    repo id or whose directory is missing, an unknown stage or state, a stage argument with C(..), a
    leading C(-) or shell characters, a command naming an unknown argument, or a container that is not running.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.docker
  - gh200.sglang.docker.container
  - gh200.sglang.docker.host_tree
  - gh200.sglang.docker.stage_inputs
  - gh200.sglang.docker.model_store
  - gh200.sglang.attributes.read_only
options:
  stages:
    description:
      - Each stage (V(flashinfer), V(inductor), V(deep_gemm), V(moe)) and its state, as M(gh200.sglang.cache_stage)
        takes it (V(ensure), V(rebuild), V(skip)).
    type: dict
    required: true
  commands:
    description:
      - The argv of each stage that does not run SGLang's own command, as M(gh200.sglang.cache_stage)'s O(gh200.sglang.cache_stage#module:command)
        takes it; the stages not named here use its defaults.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Ask which stages keep their signed caches.
  gh200.sglang.cache_plan:
    stages: {flashinfer: ensure, inductor: ensure, deep_gemm: ensure, moe: skip}
    model: Qwen/Qwen3-Next-80B-A3B-Thinking-FP8
    host_user: ubuntu
  register: caches_plan

- name: Build only the stages whose caches do not hold.
  gh200.sglang.cache_stage:
    stage: "{{ item.key }}"
    state: "{{ item.value }}"
    model: Qwen/Qwen3-Next-80B-A3B-Thinking-FP8
    host_user: ubuntu
  loop: "{{ caches_plan.stages | dict2items | rejectattr('value.decision', 'eq', 'kept') }}"
"""

RETURN = r"""
stages:
  description:
    - Per stage, what M(gh200.sglang.cache_stage) returns for it in check mode.
    - V(decision) is V(kept) (the signature holds and every recorded artifact is there with its size), V(skipped)
      (state V(skip), already recorded), V(would run) or V(would skip); V(reason), V(changed_inputs), V(signature),
      V(argv), V(log), V(check_skip), V(recorded) and V(artifacts) are as that module returns them; V(elapsed_s) is
      the stage's share of the module's time.
  returned: always
  type: dict
  sample: {"deep_gemm": {"decision": "kept", "reason": "signature matches and its 36 artifacts are present",
           "changed_inputs": [], "signature": "sha256:5d41...", "check_skip": "", "elapsed_s": 0.21,
           "recorded": {"status": "ok", "artifacts": 36}, "artifacts": {"count": 36, "bytes": 1843200,
           "wrong_owner": [], "wrong_owner_count": 0}}}
kept:
  description: The stages whose caches are kept, in the order of O(stages).
  returned: always
  type: list
  elements: str
elapsed_s:
  description: Seconds the module took for every stage together, the probe included.
  returned: always
  type: float
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _cache, _docker, _model, _prep, _stages, _tree


def main():
    argument_spec = dict(stages=dict(type="dict", required=True), commands=dict(type="dict", default={}))
    argument_spec.update(_cache.STAGE_INPUT_ARGS, **_docker.DOCKER_ARGS)
    argument_spec.update(_docker.CONTAINER_ARGS, **_tree.HOST_TREE_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    begun = time.time()
    p = module.params
    problem = (_model.policy_problem(p["model"]) or _cache.plan_problem(p["stages"], p["commands"])
               or _cache.limits_problem(p["timeout"]))
    if problem:
        module.fail_json(msg=problem)
    if not p["stages"]:
        module.exit_json(changed=False, stages={}, kept=[], elapsed_s=round(time.time() - begun, 3))
    wheres = {}
    try:
        account, root = _tree.resolve_root(p["host_user"], p["root"])
        for stage in p["stages"]:
            wheres[stage] = _cache.layout(root, stage, p["model"], p["commands"].get(stage), p["stage_args"], p["env"],
                                          p["timeout"], p["profiles_mount"], p["models_mount"], p["model_store"])
    except (_tree.OptionProblem, _stages.StageProblem) as exc:
        module.fail_json(msg="stage %s: %s" % (stage, exc))
    digest, problem = _cache.model_digest(wheres[stage]["model_dir"])
    if problem:
        module.fail_json(msg=problem)
    try:
        container = _docker.running_container(module, _docker.client(module), p["name"], "before the cache stages")
        facts, problem = _cache.probe(container, p["user"], p["python"])
    except _docker.DockerException as exc:
        module.fail_json(msg="container %s: %s" % (p["name"], exc))
    if problem:
        module.fail_json(msg="%s in container %s" % (problem, p["name"]))
    recorded = _prep.read(wheres[stage]["prep"])
    out = {}
    for stage, state in p["stages"].items():
        where = wheres[stage]
        verdict = _cache.assess(state, p["reset"], _cache.inputs(stage, where, digest, facts, container.attrs.get("Image")), where)
        decision, pending = _cache.decision(verdict["action"], recorded.get(stage), check_mode=True)
        out[stage] = dict(_cache.evidence(stage, state, where, account.pw_uid, begun, verdict["reason"] if pending else None,
                                          recorded=recorded),
                          decision=decision, reason=verdict["reason"], changed_inputs=verdict["changed_inputs"],
                          signature=verdict["signature"], argv=where["argv"], log=where["log"])
    elapsed = round(time.time() - begun, 3)
    for stage in out:  # what each stage cost: its share of the one probe and the one module run
        out[stage]["elapsed_s"] = round(elapsed / len(out), 3)
    module.exit_json(changed=False, stages=out, kept=[s for s in out if out[s]["decision"] == "kept"], elapsed_s=elapsed)


if __name__ == "__main__":
    main()
