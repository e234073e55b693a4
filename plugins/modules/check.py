#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: check
short_description: Record named checks of the verification plan, passed, failed or skipped with a reason
version_added: 0.1.0
description:
  - Reads like M(ansible.builtin.assert). It evaluates O(that) with Ansible's own conditionals and
    appends C({phase, name, status, detail, duration_s, time}) to the host's C(gh200_checks) fact.
  - >-
    C(status) is V(passed) when every condition holds, V(failed) when one does not or cannot be
    evaluated, and C(skipped: <reason>) when O(skip) gives a reason. The conditions are then not
    evaluated. A check with no condition and no skip reason is refused, because it could not fail.
  - It never fails the task and never aborts the phase; a failed check shows as a warning naming it. M(gh200.sglang.phase) with O(ignore:state=end)
    fails the phase once, at its end, listing every failed check.
  - >-
    O(checks) records a group of checks in one task, each item with the keys of one check (name, that, detail,
    fail_detail, skip), judged and recorded in order. One task costs the controller a worker process and the
    task's variables; a group costs that once, where a run records many checks from the same evidence.
    Every item is validated (a name; a condition or a skip reason) before any is judged, so a group with one
    item that could not fail records nothing.
  - Runs on the controller only.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.attributes.controller
options:
  phase:
    description: Phase the check belongs to, for example V(phase1).
    type: str
    required: true
  name:
    description: Name of the check, as the report shows it. Required unless O(checks) is given.
    type: str
  that:
    description:
      - Conditions, as in M(ansible.builtin.assert); all must hold for V(passed). The first that fails ends the
        check, so an earlier condition can guard a later one.
      - One condition (a string, never split on commas) or a list of them. Required unless O(skip) is set.
    type: raw
  detail:
    description:
      - Evidence shown with the verdict, for example the path or value that was checked.
      - Like O(that) and O(fail_detail), it is templated only when needed. A skipped check does not touch
        its evidence, and a detail whose evidence is missing is shown as unavailable.
    type: raw
  fail_detail:
    description: Detail shown instead of O(detail) when the check failed, for example the first offenders.
    type: raw
  skip:
    description:
      - >-
        When not empty, the check is recorded as C(skipped: <skip>) and its conditions are not
        evaluated. Use it for evidence that could not be gathered (check mode, no GPU, an earlier failure).
      - With O(checks), it skips every check of the group; an item's own C(skip) is then not templated.
    type: str
    default: ""
  checks:
    description:
      - A group of checks recorded by this one task, in order, instead of O(name), O(that), O(detail) and
        O(fail_detail).
      - Each item has C(name) (required), C(that), C(detail), C(fail_detail) and C(skip), which mean what the
        options of the same names mean for one check; nothing else.
    type: list
    elements: dict
attributes:
  check_mode:
    support: full
    description: Records the check in check mode too; pass O(skip) for evidence check mode did not gather.
notes:
  - Do not loop over this task; give a group of checks judged from the same evidence as O(checks).
seealso:
  - module: gh200.sglang.phase
  - module: ansible.builtin.assert
"""

EXAMPLES = r"""
- name: Check that the pointer is a 0600 file owned by the host user.
  gh200.sglang.check:
    phase: phase1
    name: pointer is a 0600 file owned by ubuntu
    that:
      - evidence.pointer.is_file
      - evidence.pointer.mode == '0600'
      - evidence.pointer.uid == 1000
    detail: "{{ evidence.pointer.path }}: mode {{ evidence.pointer.mode }}, uid {{ evidence.pointer.uid }}"
    skip: "{{ 'check mode: the container was not started' if ansible_check_mode else '' }}"

- name: Check the container after its start, in one task.
  gh200.sglang.check:
    phase: phase1
    skip: "{{ 'check mode: the container was not started' if ansible_check_mode else '' }}"
    checks:
      - name: container runs
        that: [evidence.container.running, evidence.container.restart_count == 0]
        detail: "{{ evidence.container.status }}"
      - name: pointer names the current run
        that: evidence.pointer.run_id == evidence.container.run_id
        fail_detail: "pointer {{ evidence.pointer.run_id }}, container {{ evidence.container.run_id }}"
"""

RETURN = r"""
check:
  description: The record appended to C(gh200_checks).
  returned: without O(checks)
  type: dict
  sample: {"phase": "phase1", "name": "container runs", "status": "passed", "detail": "sglang-dev running",
           "duration_s": 0.41, "time": "2026-11-22T12:00:00+00:00"}
checks:
  description: The records appended to C(gh200_checks), one per item of O(checks), in order.
  returned: with O(checks)
  type: list
  elements: dict
failed_condition:
  description: The first condition that did not hold.
  returned: when the check failed, without O(checks)
  type: str
  sample: evidence.pointer.mode == '0600'
ansible_facts:
  description: The host's checks so far.
  returned: always
  type: dict
  contains:
    gh200_checks:
      description: Every check recorded on the host in this run, in order.
      type: list
      elements: dict
"""
