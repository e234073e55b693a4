# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter gh200.sglang.verdict_textfile: a host's verdicts as node exporter textfile metrics."""

from __future__ import annotations

DOCUMENTATION = r"""
name: verdict_textfile
short_description: A host's verify.yml verdicts in the node exporter's textfile-collector format
version_added: "0.1.0"
description:
  - Takes a host's C(ansible_facts) after C(verify.yml) recorded its checks (C(gh200_checks), C(gh200_run)) and
    returns the Prometheus text the node exporter's textfile collector reads, judged as the report judges the host.
  - "Families, each prefixed C(gh200_verify_): C(host_status{verdict}), C(phase_status{phase}),
    C(check_status{phase,check}) (1 passed or warning, 0 failed, -1 skipped, not run or partial),
    C(checks_failed), C(gpu_health_failed) (failed items of the GPU health gate),
    C(last_run_timestamp_seconds) and C(last_run_duration_seconds)."
  - The rules in C(roles/report/files/gh200-verify.rules.yml) alert on them.
options:
  _input:
    description: The host's C(ansible_facts).
    type: dict
    required: true
  phases:
    description: The phases in report order.
    type: list
    elements: str
    default: [phase0, phase1, phase2, phase3, phase4]
  run_started:
    description: When this run started (ISO 8601); a record from before it counts as no record.
    type: str
"""

EXAMPLES = r"""
- name: Write this host's verdicts where its node exporter reads them.
  ansible.builtin.copy:
    content: "{{ ansible_facts | gh200.sglang.verdict_textfile(run_started=gh200_verify_started) }}"
    dest: /var/lib/prometheus/node-exporter/gh200_verify.prom
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The textfile's content (Prometheus text exposition format 0.0.4).
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.gh200.sglang.plugins.plugin_utils import _textfile

PHASES = ("phase0", "phase1", "phase2", "phase3", "phase4")


def verdict_textfile(facts, phases=PHASES, run_started=None):
    if not isinstance(facts, dict):
        raise AnsibleFilterError("verdict_textfile: expected the host's ansible_facts (a dict), got %s" % type(facts).__name__)
    return _textfile.host_textfile(facts, list(phases), run_started)


class FilterModule:
    """gh200.sglang filters."""

    def filters(self):
        return {"verdict_textfile": verdict_textfile}
