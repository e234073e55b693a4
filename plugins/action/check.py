# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of gh200.sglang.check: evaluate one named check and record its verdict."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.gh200.sglang.plugins.plugin_utils import _checks, _controller

ARGUMENT_SPEC = dict(
    phase=dict(type="str", required=True),
    name=dict(type="str", required=True),
    that=dict(type="raw", default=[]),
    detail=dict(type="raw", default=""),
    fail_detail=dict(type="raw"),
    skip=dict(type="str", default=""),
)


# Templated here, only when needed: a skipped check never touches its evidence, and a detail whose
# evidence is missing is shown as such instead of failing the task.
LAZY_ARGS = ("that", "detail", "fail_detail")


class ActionModule(_controller.ControllerAction):
    """Evaluates the conditions like ansible.builtin.assert, never fails the task, and appends
    {phase, name, status, detail, duration_s, time} to the host's gh200_checks fact."""

    @classmethod
    def finalize_task_arg(cls, name, value, templar, context):
        if name in LAZY_ARGS:
            return value
        return super(ActionModule, cls).finalize_task_arg(name, value, templar, context)

    def _render(self, value):
        if value is None:
            return None
        try:
            return to_text(self._templar.template(value))
        except AnsibleError as exc:
            return "(detail unavailable: %s)" % to_text(exc).splitlines()[0]

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        # One condition may be given as a string; it is never split on commas.
        if isinstance(args["that"], (str, bool)):
            args["that"] = [args["that"]]
        elif not isinstance(args["that"], list):
            return dict(failed=True, msg="check %r: that must be a condition or a list of conditions" % args["name"])
        if not args["skip"] and not args["that"]:
            return dict(failed=True, msg="check %r has no condition and no skip reason: a check must be able to fail" % args["name"])

        checks, run = _checks.host_record(task_vars.get("ansible_facts"))
        detail = ""
        failed_condition = None
        if args["skip"]:
            status = _checks.status_of([], skip=args["skip"])
        else:
            results = []
            for condition in args["that"]:
                try:
                    ok = self._templar.evaluate_conditional(conditional=condition)
                except AnsibleError as exc:
                    ok = False
                    detail = "could not evaluate %r: %s" % (to_text(condition), to_text(exc).splitlines()[0])
                results.append(ok)
                if not ok:
                    # As ansible.builtin.assert: the first condition that fails ends the check, so an earlier one
                    # can guard a later one ("x.msg is undefined", then "x.key.requests > 0").
                    failed_condition = to_text(condition)
                    break
            status = _checks.status_of(results)
            if not detail:
                use_fail = status == _checks.FAILED and args["fail_detail"] is not None
                detail = self._render(args["fail_detail"] if use_fail else args["detail"])
            if status == _checks.FAILED and not detail.strip():
                detail = "condition not met: %s" % failed_condition

        moment = _checks.now()
        entry = _checks.record(args["phase"], args["name"], status, detail, moment,
                               _checks.last_time(checks, run, args["phase"]))
        checks.append(entry)
        result.update(
            changed=False,
            check=entry,
            ansible_facts={_checks.CHECKS_FACT: checks},
            msg="%s: %s%s" % (entry["status"], entry["name"], (" (%s)" % entry["detail"]) if entry["detail"] else ""),
        )
        if status == _checks.FAILED:
            # The task never fails (the phase does, at its end); a warning makes the verdict its own line.
            result["warnings"] = ["check failed: %s: %s" % (entry["name"], entry["detail"])]
            result["failed_condition"] = failed_condition
        return result
