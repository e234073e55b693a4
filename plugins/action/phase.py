# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of gh200.sglang.phase: a host's run record and the verdict of each phase."""

from __future__ import annotations

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.gh200.sglang.plugins.plugin_utils import _checks, _controller

ARGUMENT_SPEC = dict(
    state=dict(type="str", required=True, choices=["reset", "begin", "end", "finish"]),
    phase=dict(type="str"),
    title=dict(type="str"),
    skip=dict(type="str", default=""),
    failed_result=dict(type="dict"),
    unreachable=dict(type="str", default=""),
)
END_MARKER = "gh200_phase_end"


class ActionModule(_controller.ControllerAction):
    """reset / begin / end / finish of the host's verification record (facts gh200_checks, gh200_run)."""

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC,
            required_if=[("state", "begin", ["phase", "title"]), ("state", "end", ["phase"])],
        )
        checks, run = _checks.host_record(task_vars.get("ansible_facts"))
        moment = _checks.now()
        state, phase = args["state"], args["phase"]
        result.update(changed=False)

        if state == "reset":
            checks, run = [], {"started": _checks.iso(moment), "phases": {}}
            unreachable = _checks.one_line(args["unreachable"])
            if unreachable:
                run.update(unreachable=unreachable, finished=_checks.iso(moment))
            result["msg"] = "unreachable: %s" % unreachable if unreachable else "record reset"
        elif state == "begin":
            checks, run, reason = _checks.begin_phase(checks, run, phase, args["title"], moment, skip=args["skip"] or None,
                                                      lost=args["unreachable"] or None)
            result.update(skip_reason=reason or "", msg=("%s skipped: %s" % (phase, reason)) if reason else "%s begins" % phase)
        elif state == "end":
            failed = args["failed_result"]
            error = None
            if failed is not None and not failed.get(END_MARKER):
                error = to_text(failed.get("msg") or failed.get("stderr") or "a task failed")
            checks, run, verdict, failures = _checks.end_phase(checks, run, phase, moment, error=error)
            result.update(verdict=verdict, failures=failures, msg="%s %s" % (phase, verdict))
            if verdict == _checks.FAILED and failed is None:
                # The phase fails once, here, listing every failed check. The rescue records it (facts of a
                # failed task are not kept), so the marker tells it not to add this failure again.
                result.update({"failed": True, END_MARKER: phase,
                               "msg": "%s failed %d check(s) on %s:\n%s" % (
                                   phase, len(failures), task_vars.get("inventory_hostname", "this host"), "\n".join(failures))})
                return result
        else:
            run["finished"] = _checks.iso(moment)
            result["msg"] = "record finished"

        result["ansible_facts"] = {_checks.CHECKS_FACT: checks, _checks.RUN_FACT: run}
        return result
