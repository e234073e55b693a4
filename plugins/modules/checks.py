#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: checks
short_description: Record a group of checks that a module has already judged, in one task
version_added: 0.2.0
description:
  - The group form of M(gh200.sglang.check), for evidence judged in Python by a module that returns one
    verdict per item (M(gh200.sglang.gpu_health)'s C(checks)). One task records the whole group, instead of one
    task per check, and each item keeps its own name, status and detail in the report.
  - >-
    Each result's C(status) must be V(passed), V(failed), V(warning) (reported, not failed) or
    C(skipped: <reason>); anything else fails the task, so a typo never reads as a verdict.
  - It never fails the task for a failed check; a failed check shows as a warning naming it, and
    M(gh200.sglang.phase) with O(ignore:state=end) fails the phase once, at its end.
  - Runs on the controller only.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.attributes.controller
options:
  phase:
    description: Phase the checks belong to, for example V(phase0).
    type: str
    required: true
  results:
    description:
      - The judged items, in report order, each C({name, status, detail}).
      - Required also with O(skip), which then gives the names of the checks it records skipped.
    type: list
    elements: dict
    required: true
  skip:
    description:
      - >-
        When not empty, every check of O(results) is recorded as C(skipped: <skip>), whatever its status (the
        group turned off by an option, for example C(host_prep_gpu_health=false)).
    type: str
    default: ""
attributes:
  check_mode:
    support: full
    description: Records the checks in check mode too.
seealso:
  - module: gh200.sglang.check
  - module: gh200.sglang.gpu_health
"""

EXAMPLES = r"""
- name: Gather the GPU health evidence and judge it.
  gh200.sglang.gpu_health:
  register: health

- name: Record one check per item of the GPU health gate.
  gh200.sglang.checks:
    phase: phase0
    results: "{{ health.gpu_health.checks }}"
"""

RETURN = r"""
checks:
  description: The records appended to C(gh200_checks), in order.
  returned: always
  type: list
  elements: dict
  sample: [{"phase": "phase0", "name": "GPU health: nvidia-smi answers", "status": "passed",
            "detail": "nvidia-smi -q answered for 1 GPU(s)", "duration_s": 0.41, "time": "2026-11-30T12:00:00+00:00"}]
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
