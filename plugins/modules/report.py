#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: report
short_description: Write the per-host, per-phase verdicts of the verification plan
version_added: 0.1.0
description:
  - Runs on the controller. It reads each host's C(gh200_checks) and C(gh200_run) facts, which
    M(gh200.sglang.check) and M(gh200.sglang.phase) keep, and writes C(<dest>/<UTC timestamp>/) with
    C(report.json), C(junit.xml), C(report.md), C(report.html) and C(failed.limit) (the hosts that failed or were
    unreachable, one per line, for C(--limit @failed.limit); empty when every host passed).
  - C(report.json) holds each check once, under its host and phase, with its evidence, duration and time
    (C(at_s), seconds from the host's C(started)), one line per host, and the fleet view (C(fleet.checks) each
    check over the hosts, failures first; C(fleet.actions) the hosts grouped by what to do; C(fleet.drift) the
    facts that differ between hosts). C(report.html) is self-contained, with the fleet first, then the host and
    phase matrix, colour-coded, failures first, then each host collapsed, with every check that did not pass in
    full.
  - A host with no record of this run, or one that stopped reporting before the end, is
    V(unreachable), a verdict of its own.
  - Fails when a host failed or was unreachable and O(fail_on_failed) is true. The message gives
    the summary and the report's path.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.attributes.controller
options:
  hosts:
    description: Inventory names of the hosts the report covers, in order.
    type: list
    elements: str
    required: true
  dest:
    description: Directory on the controller for the timestamped report folders.
    type: path
    required: true
  phases:
    description: Phases in report order.
    type: list
    elements: str
    default: [phase0, phase1, phase2, phase3, phase4]
  run_started:
    description: When this run started (ISO 8601). Records from before it, for example from a fact cache, are ignored.
    type: str
  fail_on_failed:
    description: Fail when a host failed a check or was unreachable.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Writes the report in check mode too; it is the controller's record of the dry run.
seealso:
  - module: gh200.sglang.check
  - module: gh200.sglang.phase
"""

EXAMPLES = r"""
- name: Write the report of every verified host.
  gh200.sglang.report:
    hosts: "{{ groups['gh200'] }}"
    dest: "{{ playbook_dir }}/../reports"
"""

RETURN = r"""
path:
  description: Normalized path of the report folder.
  returned: success
  type: str
  sample: /home/ops/gh200.sglang/reports/20261122T120000Z
files:
  description: The files written.
  returned: success
  type: list
  elements: str
summary:
  description: One line per host with its verdict and its phases' verdicts.
  returned: success
  type: list
  elements: str
  sample: ["gh200-node01: passed (phase0 passed, phase1 passed, phase4 passed)"]
hosts:
  description: The hosts by verdict.
  returned: success
  type: dict
  sample: {"passed": ["gh200-node01"], "failed": [], "skipped": [], "unreachable": ["gh200-node02"]}
"""
