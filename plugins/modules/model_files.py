#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: model_files
short_description: Verify a Hugging Face model directory file by file, without reading the weights
version_added: 0.1.0
description:
  - Reads the model directory C(<root>/<models_dir>/<model>) on the host and returns every problem
    at once, by category, with the facts later phases need (architecture, context length, dtype,
    quantization). It changes nothing and never fails because of what it finds; checks judge the
    result.
  - C(config.json) must exist, parse and name its architectures.
  - A tokenizer must be present, C(tokenizer.json) or C(tokenizer.model), or
    C(tokenizer_config.json) with its vocabulary; the JSON files among them must parse.
  - Weights must be complete. With C(model.safetensors.index.json), every shard its C(weight_map)
    names must exist and hold the tensors mapped to it. Without an index, C(model.safetensors) must
    exist. Each C(.safetensors) file's header must parse (an 8-byte little-endian length, then JSON),
    its tensors' byte ranges must be contiguous and as long as dtype and shape say, and the file must
    be exactly as long as the header declares, so a truncated shard is named. Only the header is
    read, never the weights. C(pytorch_model.bin) weights are checked for presence only.
  - Partial downloads, C(*.incomplete) anywhere and a C(*.lock) under a C(.cache/huggingface) folder that a process
    holds (a download running now), are reported with their paths. huggingface_hub leaves its released, empty lock
    files behind after a complete download; those are not partial.
  - O(deploy_mode) says which models the host serves (seed 002) - C(chat) the chat model O(model),
    C(tool) the tool model O(tool_model), C(both) the two - and each of them is inspected. With two,
    every problem and summary line names its model.
  - The module fails, with one line and before reading anything, when the deploy mode lacks its
    model, when a served model is not a Hugging Face repo id or not on O(allowlist), when
    O(models_dir) leaves the tree, or when a symlink leads a model directory out of the host tree. A symlinked file inside the directory
    (the hub cache's layout) is followed only while its target stays in the tree.
  - With O(model_store), each model is read from C(<model_store>/<org>/<name>) instead, by the same rules, the store
    taking the tree's place; O(models_dir) is then unused.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.attributes.read_only
  - gh200.sglang.docker.host_tree
  - gh200.sglang.docker.model_store
options:
  model:
    description: The chat model as a Hugging Face repo id, C(org/name).
    type: str
    required: true
  tool_model:
    description: The tool model as a Hugging Face repo id; required by O(deploy_mode=tool) and O(deploy_mode=both).
    type: str
    default: ""
  deploy_mode:
    description: Which models the host serves.
    type: str
    choices: [chat, tool, both]
    default: chat
  models_dir:
    description: The directory, relative to O(root), that holds C(<org>/<name>).
    type: str
    default: models
  allowlist:
    description:
      - Repo ids, or shell patterns such as C(Qwen/*), that every served model must match. Empty allows any id.
    type: list
    elements: str
    default: []
attributes:
  facts:
    support: full
    description: Sets C(ansible_facts.gh200_model_facts), the facts later phases read.
"""

EXAMPLES = r"""
- name: Verify the model directory and keep its facts for the inference phase.
  gh200.sglang.model_files:
    host_user: ubuntu
    model: Qwen/Qwen3-Next-80B-A3B-Thinking-FP8
    allowlist: [Qwen/*]
  register: model

- name: Check that every shard is complete.
  gh200.sglang.check:
    phase: phase0
    name: model weights complete
    that: model.problems.weights | length == 0
    detail: "{{ model.summary.weights }}"
    fail_detail: "{{ model.problems.weights | join('; ') }}"
"""

RETURN = r"""
served:
  description: The served models in role order (chat first), each with its directory and its C(config.json) facts.
  returned: always
  type: list
  elements: dict
  sample: [{"role": "chat", "model": "Qwen/Qwen3-Next-80B-A3B-Thinking-FP8", "max_position_embeddings": 262144,
            "path": "/home/ubuntu/sglang-observability/models/Qwen/Qwen3-Next-80B-A3B-Thinking-FP8"}]
path:
  description: The (first served) model directory (in the store, with O(model_store)).
  returned: always
  type: str
  sample: /home/ubuntu/sglang-observability/models/Qwen/Qwen3-Next-80B-A3B-Thinking-FP8
exists:
  description: Whether the model directory exists as a real directory.
  returned: always
  type: bool
config:
  description: Facts from C(config.json) (C(text_config) for multimodal models); null when it does not parse.
  returned: always
  type: dict
  sample: {"architecture": "Qwen3NextForCausalLM", "architectures": ["Qwen3NextForCausalLM"], "model_type": "qwen3_next",
           "max_position_embeddings": 262144, "torch_dtype": "bfloat16", "quantization_config": {"quant_method": "fp8"}}
tokenizer:
  description: The tokenizer files found.
  returned: always
  type: list
  elements: str
weights:
  description: The weight files, with each shard's size, tensor count and the size its header declares.
  returned: always
  type: dict
  sample: {"format": "safetensors", "index": "model.safetensors.index.json", "files": 2, "bytes": 4096, "tensors": 6,
           "shards": [{"file": "model-00001-of-00002.safetensors", "bytes": 2048, "tensors": 3, "declared_bytes": 2048}]}
partial:
  description: Paths of leftover partial downloads.
  returned: always
  type: list
  elements: str
problems:
  description: Every problem found, one line each, by category (C(config), C(tokenizer), C(weights), C(partial)).
  returned: always
  type: dict
  sample: {"config": [], "tokenizer": [], "weights": ["model-00002-of-00002.safetensors is truncated: its header declares 2048 bytes, the file has 1000"],
           "partial": []}
problem_count:
  description: How many problems were found.
  returned: always
  type: int
summary:
  description: One line per category describing what was found, for check details.
  returned: always
  type: dict
ansible_facts:
  description: The facts later phases read.
  returned: always
  type: dict
  contains:
    gh200_model_facts:
      description: C(model), C(path), C(config) and C(problem_count) of the first served model, and C(served).
      returned: always
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _deploy, _model, _tree


def main():
    argument_spec = dict(
        model=dict(type="str", required=True),
        tool_model=dict(type="str", default=""),
        deploy_mode=dict(type="str", choices=list(_deploy.MODES), default="chat"),
        models_dir=dict(type="str", default="models"),
        allowlist=dict(type="list", elements="str", default=[]),
    )
    argument_spec.update(_tree.HOST_TREE_ARGS)
    argument_spec.update(_tree.MODEL_STORE_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    served, problems = _deploy.served_models(p["deploy_mode"], p["model"], p["tool_model"], p["allowlist"])
    if problems:
        module.fail_json(msg="; ".join(problems))
    names = ", ".join(model for dummy, model in served)
    try:
        dummy, root = _tree.resolve_root(p["host_user"], p["root"])
        models_dir = _tree.relative_option("models_dir", p["models_dir"])
        top, place = root, "the host tree"
        if p["model_store"]:
            top, models_dir = _tree.store_path(p["model_store"], root), ""
            place = "the model store %s" % top
        places = [(role, model, _tree.confine(top, "model directory", "/".join(x for x in (models_dir, model) if x)))
                  for role, model in served]
    except _tree.OptionProblem as exc:
        module.fail_json(msg="model %s: %s" % (names, exc))
    inspections, listed = [], []
    for role, model, (path, real_root) in places:
        inspected = _model.inspect(path, real_root, place)
        inspected["summary"] = _model.summary(inspected)
        inspections.append((model, inspected))
        listed.append(dict(role=role, model=model, path=path, config=inspected["config"],
                           max_position_embeddings=(inspected["config"] or {}).get("max_position_embeddings")))
    result = _deploy.merge_inspections(inspections)
    facts = dict(model=listed[0]["model"], path=listed[0]["path"], config=listed[0]["config"],
                 problem_count=result["problem_count"], served=listed)
    module.exit_json(changed=False, ansible_facts=dict(gh200_model_facts=facts), served=listed, **result)


if __name__ == "__main__":
    main()
