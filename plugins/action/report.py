# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of gh200.sglang.report: write the verification report on the controller."""

from __future__ import annotations

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.gh200.sglang.plugins.plugin_utils import _checks, _controller, _report

ARGUMENT_SPEC = dict(
    hosts=dict(type="list", elements="str", required=True),
    dest=dict(type="path", required=True),
    phases=dict(type="list", elements="str", default=["phase0", "phase1", "phase2", "phase3", "phase4"]),
    run_started=dict(type="str"),
    fail_on_failed=dict(type="bool", default=True),
)


class ActionModule(_controller.ControllerAction):
    """Reads every host's gh200_checks and gh200_run facts, writes report.{json,md,html} and junit.xml."""

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        hostvars = task_vars.get("hostvars") or {}
        facts = {}
        for host in args["hosts"]:
            # A host not in the inventory has no record at all: it is reported unreachable.
            facts[host] = (hostvars[host].get("ansible_facts") or {}) if host in hostvars else {}
        moment = _checks.now()
        data = _report.build(args["hosts"], facts, args["phases"], _checks.iso(moment), args["run_started"])
        try:
            path = _report.write(args["dest"], data, moment)
        except OSError as exc:
            return dict(failed=True, msg="report: cannot write under %s: %s" % (args["dest"], to_text(exc)))
        result.update(_report.outcome(data, path, args["fail_on_failed"]))
        return result
