#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: stage_status
short_description: Say what a kernel-cache stage is doing now, from its log and its lock
version_added: 0.1.0
description:
  - Reads, without changing anything, the stage's C(compile.log) under C(<root>/profiles/<stage>/) (its size,
    when it was last written, and its last line as a terminal would show it) and the stage's C(.lock)
    (held or not, and by whom).
  - M(gh200.sglang.stage_wait) calls it at each poll of a running M(gh200.sglang.cache_stage), so that a
    30-minute compile shows its progress instead of looking like a hang.
  - Never follows a symbolic link; the stage folder must stay inside the host tree.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.docker.host_tree
  - gh200.sglang.docker.stage
  - gh200.sglang.attributes.read_only
"""

EXAMPLES = r"""
- name: Show what the DeepGEMM stage is doing.
  gh200.sglang.stage_status:
    stage: deep_gemm
    host_user: ubuntu
  register: deep_gemm_status
"""

RETURN = r"""
log:
  description: The stage's compile log on the host.
  returned: always
  type: str
log_bytes:
  description: The log's size; null when there is no log.
  returned: always
  type: int
log_updated:
  description: When the log was last written (epoch seconds); null when there is no log.
  returned: always
  type: float
last_line:
  description: The log's last non-empty line (the latest state of a progress bar, colours dropped, cut at 200 characters).
  returned: always
  type: str
lock:
  description: The stage's lock, V(held), V(free) or V(gone) (no lock file), and its holder's line.
  returned: always
  type: dict
  sample: {"state": "held", "holder": "pid 4242 since 2026-11-22T21:00:00Z"}
now:
  description: The host's clock when the log was read (epoch seconds), to compare RV(log_updated) with.
  returned: always
  type: float
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _files, _locks, _prep, _stages, _tree


def main():
    argument_spec = dict(stage=dict(type="str", required=True, choices=list(_stages.STAGE_NAMES)))
    argument_spec.update(_tree.HOST_TREE_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    stage = module.params["stage"]
    try:
        dummy, root = _tree.resolve_root(module.params["host_user"], module.params["root"])
        stage_dir = _tree.confine(root, "stage folder", "profiles/" + _stages.STAGES[stage]["dir"])[0]
    except _tree.OptionProblem as exc:
        module.fail_json(msg="stage %s: %s" % (stage, exc))
    log_path = os.path.join(stage_dir, "compile.log")
    try:
        log = _prep.log_state(log_path) or {}
        state, holder = _locks.probe(os.path.join(stage_dir, ".lock"), root=root)
    except (OSError, _files.PathProblem) as exc:
        module.fail_json(msg="stage %s: %s" % (stage, exc))
    module.exit_json(changed=False, log=log_path, log_bytes=log.get("bytes"), log_updated=log.get("updated"),
                     last_line=log.get("last_line", ""), lock=dict(state=state, holder=holder), now=time.time())


if __name__ == "__main__":
    main()
