#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: phase
short_description: Begin and end a phase of the verification plan, and keep the host's run record
version_added: 0.1.0
description:
  - Keeps the host's C(gh200_run) fact (when the run started and finished, whether the host was
    unreachable, and each phase's start, end, duration and verdict) beside the C(gh200_checks) that
    M(gh200.sglang.check) records.
  - O(state=reset) starts a new record for this run. With O(unreachable), it records the host as
    unreachable, a verdict of its own.
  - >-
    O(state=begin) drops the records of an earlier attempt at the phase. When an earlier phase failed
    on this host, or O(skip) gives a reason, it records the phase as C(skipped: <reason>) and returns
    RV(skip_reason).
  - >-
    O(state=end) derives the phase's verdict from its checks. When one failed, the task fails once,
    listing every failed check. Called with O(failed_result) (from a C(rescue)), it records the
    failure instead and does not fail. A task failure that is not a failed check becomes a failed
    check, C(<title> completed), with the task's message.
  - O(state=finish) marks the host's run as finished.
  - Runs on the controller only.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.attributes.controller
options:
  state:
    description: What to do.
    type: str
    required: true
    choices: [reset, begin, end, finish]
  phase:
    description: The phase, for example V(phase0). Required with O(state=begin) and O(state=end).
    type: str
  title:
    description: What the phase does, for example V(host prep). Required with O(state=begin).
    type: str
  skip:
    description: With O(state=begin), a reason to record the phase as skipped instead of running it.
    type: str
    default: ""
  failed_result:
    description: With O(state=end), the result of the task that ended the phase early (C(ansible_failed_result)).
    type: dict
  unreachable:
    description:
      - With O(state=reset), why the host could not be reached at the start.
      - With O(state=begin), why it cannot be reached now (lost since the run began). The host is recorded
        unreachable from this phase on, its completed phases kept, and every later phase is skipped.
    type: str
    default: ""
attributes:
  check_mode:
    support: full
    description: Keeps the record in check mode too.
seealso:
  - module: gh200.sglang.check
  - module: gh200.sglang.report
"""

EXAMPLES = r"""
- name: Begin phase 1 (skipped when an earlier phase failed on this host).
  gh200.sglang.phase:
    state: begin
    phase: phase1
    title: container lifecycle
  register: begun

- name: Run phase 1 and end it, failing once with every failed check.
  when: begun.skip_reason | length == 0
  block:
    - name: Apply the phase role.
      ansible.builtin.include_role:
        name: gh200.sglang.container

    - name: End phase 1.
      gh200.sglang.phase:
        state: end
        phase: phase1
  rescue:
    - name: Record why phase 1 failed.
      gh200.sglang.phase:
        state: end
        phase: phase1
        failed_result: "{{ ansible_failed_result }}"
"""

RETURN = r"""
skip_reason:
  description: Why the phase is skipped on this host; empty when it runs.
  returned: O(state=begin)
  type: str
  sample: phase0 failed on this host
verdict:
  description: The phase's verdict, V(passed), V(failed) or V(skipped).
  returned: O(state=end)
  type: str
  sample: failed
failures:
  description: "One C(<name>: <detail>) line per failed check of the phase."
  returned: O(state=end)
  type: list
  elements: str
  sample: ["host tree owned by ubuntu: /home/ubuntu/sglang-observability/telemetry/logs/x/y is owned by 0:0"]
ansible_facts:
  description: The host's run record and checks.
  returned: unless the task failed
  type: dict
  contains:
    gh200_run:
      description: Start, end, reachability and per-phase verdicts of the host's run.
      type: dict
    gh200_checks:
      description: Every check recorded on the host in this run.
      type: list
      elements: dict
"""
