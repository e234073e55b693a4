#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: stage_wait
short_description: Wait for a cache stage started with async, showing its elapsed time and last log line at each poll
version_added: 0.1.0
description:
  - >-
    Waits for a M(gh200.sglang.cache_stage) task started with C(async) and C(poll: 0), polling its job with
    C(async_status): at once, then after 0.5 s, 1 s, 2 s and so on, up to every O(poll) seconds, so a stage that
    skips (a valid signature) returns in a round trip instead of a poll. While it runs, every O(poll) seconds it asks M(gh200.sglang.stage_status) and prints
    one line, C(<host> | <stage>: running 12m30s, log 2.1 MiB: <last log line>), so a long compile never looks
    like a hang; a log that has been quiet for a minute or more says for how long.
  - Returns the stage's own result (as M(gh200.sglang.cache_stage) documents it) once the job finishes, and
    removes the job's status file. Fails naming the job when it has not finished within O(timeout) seconds.
  - Runs on the controller; the two modules it calls run on the host.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.docker.host_tree
  - gh200.sglang.docker.stage
options:
  jid:
    description: The job id that the C(async) task registered (C(ansible_job_id)).
    type: str
    required: true
  poll:
    description: Seconds between progress lines, and the longest wait between two looks at the job.
    type: float
    default: 15
  timeout:
    description: Seconds to wait at most (the C(async) value of the task).
    type: int
    required: true
attributes:
  check_mode:
    support: full
    description: Waits for the job the same way (a check-mode job reports what it would do).
  diff_mode:
    support: full
    description: Returns the stage's diff.
  action:
    support: full
    description: Runs on the controller as an action plugin.
"""

EXAMPLES = r"""
- name: Start the DeepGEMM stage.
  gh200.sglang.cache_stage:
    stage: deep_gemm
    model: Qwen/Qwen3-Next-80B-A3B-Thinking-FP8
    host_user: ubuntu
  async: 7500
  poll: 0
  register: deep_gemm_job

- name: Wait for it, showing its progress.
  gh200.sglang.stage_wait:
    jid: "{{ deep_gemm_job.ansible_job_id }}"
    stage: deep_gemm
    host_user: ubuntu
    timeout: 7500
  register: deep_gemm
"""

RETURN = r"""
decision:
  description: The stage's decision, with every other key that M(gh200.sglang.cache_stage) returns.
  returned: when the job finished
  type: str
"""
