#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: report_merge
short_description: Merge several verification reports into one fleet report
version_added: 0.1.0
description:
  - Runs on the controller. Reads the C(report.json) of each run given in O(reports) (job slices over execution
    nodes, C(--limit) reruns) and writes one report, as M(gh200.sglang.report) writes one, under O(dest).
  - A host's newest verdict wins (its run's start; for a host never reached, the report's time); its older verdicts
    are kept as its C(history), newest first, each with the report it came from. The summary, the fleet view and
    C(failed.limit) are made again from the merged hosts.
  - A file that is not a gh200.sglang report (not JSON, another shape, a time that is no ISO time, larger than
    256 MiB, a symlink or a FIFO) fails the task with one line naming it, before anything is written.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.attributes.controller
options:
  reports:
    description:
      - The reports to merge, each a C(report.json), a report's folder, a C(report_dir) (every report folder in it) or
        a glob of any of them, in any order.
    type: list
    elements: str
    required: true
  dest:
    description: Directory on the controller for the merged report's timestamped folder.
    type: path
    required: true
  fail_on_failed:
    description: Fail when a host's newest verdict is failed or unreachable.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Writes the merged report in check mode too; it changes nothing on any host.
seealso:
  - module: gh200.sglang.report
"""

EXAMPLES = r"""
- name: Merge the reports of two job slices and a rerun of the failed hosts.
  gh200.sglang.report_merge:
    reports:
      - artifacts/slice1/reports/*/report.json
      - artifacts/slice2/reports
      - reports/20261130T180000Z
    dest: reports/merged
"""

RETURN = r"""
path:
  description: Normalized path of the merged report's folder.
  returned: success
  type: str
  sample: /home/ops/reports/merged/20261130T190000Z
files:
  description: The files written.
  returned: success
  type: list
  elements: str
merged:
  description: The C(report.json) files read, in the order given.
  returned: success
  type: list
  elements: str
summary:
  description: One line per host with its newest verdict.
  returned: success
  type: list
  elements: str
hosts:
  description: The hosts by their newest verdict.
  returned: success
  type: dict
"""
