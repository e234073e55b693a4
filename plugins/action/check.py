# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of gh200.sglang.check: evaluate one named check, or a group of them in one task, and record
each verdict."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.gh200.sglang.plugins.plugin_utils import _checks, _controller

ARGUMENT_SPEC = dict(
    phase=dict(type="str", required=True),
    name=dict(type="str"),
    that=dict(type="raw"),
    detail=dict(type="raw"),
    fail_detail=dict(type="raw"),
    skip=dict(type="str", default=""),
    checks=dict(type="list", elements="dict"),
)
ONE_OF = [("name", "checks")]
EXCLUSIVE = [("checks", "name"), ("checks", "that"), ("checks", "detail"), ("checks", "fail_detail")]
ITEM_KEYS = ("name", "that", "detail", "fail_detail", "skip")

# Templated only when needed: a skipped check never touches its evidence, a passed one never its fail_detail.
LAZY_ARGS = ("that", "detail", "fail_detail", "checks")


class ActionModule(_controller.ControllerAction):
    """Evaluates the conditions like ansible.builtin.assert, never fails the task for a failed check, and appends
    {phase, name, status, detail, duration_s, time} per check to the host's gh200_checks fact."""

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

    def _settle(self, raw, group_skip):
        """One check's name, conditions and skip reason, templated (the conditions stay conditions), or a ValueError
        naming what makes it one that cannot be recorded."""
        unknown = sorted(set(raw) - set(ITEM_KEYS))
        name = to_text(self._templar.template(raw.get("name") or "")).strip()
        if unknown:
            raise ValueError("check %r: unknown key(s) %s (a check has %s)" % (name, ", ".join(unknown), ", ".join(ITEM_KEYS)))
        if not name:
            raise ValueError("a check has no name: %r" % (dict(raw),))
        that = raw.get("that")
        that = [] if that is None else [that] if isinstance(that, (str, bool)) else that
        if not isinstance(that, list):
            raise ValueError("check %r: that must be a condition or a list of conditions" % name)
        skip = group_skip or to_text(self._templar.template(raw.get("skip") or "")).strip()
        if not skip and not that:
            raise ValueError("check %r has no condition and no skip reason: a check must be able to fail" % name)
        return dict(name=name, that=that, skip=skip, detail=raw.get("detail"), fail_detail=raw.get("fail_detail"))

    def _judge(self, check):
        """(status, detail, the first condition that did not hold) of one settled check."""
        if check["skip"]:
            return _checks.status_of([], skip=check["skip"]), "", None
        detail, failed_condition, results = "", None, []
        for condition in check["that"]:
            try:
                ok = self._templar.evaluate_conditional(conditional=condition)
            except AnsibleError as exc:
                ok = False
                detail = "could not evaluate %r: %s" % (to_text(condition), to_text(exc).splitlines()[0])
            results.append(ok)
            if not ok:
                failed_condition = to_text(condition)
                break
        status = _checks.status_of(results)
        if not detail:
            use_fail = status == _checks.FAILED and check["fail_detail"] is not None
            detail = self._render(check["fail_detail"] if use_fail else check["detail"]) or ""
        if status == _checks.FAILED and not detail.strip():
            detail = "condition not met: %s" % failed_condition
        return status, detail, failed_condition

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, required_one_of=ONE_OF,
                                                  mutually_exclusive=EXCLUSIVE)
        group = args["checks"] is not None
        raw = args["checks"] if group else [dict((k, args[k]) for k in ITEM_KEYS)]
        try:
            if group and not raw:
                raise ValueError("checks is empty: a group with no check records nothing and cannot fail")
            # Every check settled before any is judged or recorded: one that cannot be recorded records none.
            settled = [self._settle(item, args["skip"].strip() if group else "") for item in raw]
        except ValueError as exc:
            return dict(failed=True, msg=str(exc))

        checks, run = _checks.host_record(task_vars.get("ansible_facts"))
        previous = _checks.last_time(checks, run, args["phase"])
        recorded, warnings, failed_condition = [], [], None
        for check in settled:
            status, detail, failed_condition = self._judge(check)
            moment = _checks.now()
            entry = _checks.record(args["phase"], check["name"], status, detail, moment, previous)
            previous = moment
            checks.append(entry)
            recorded.append(entry)
            if status == _checks.FAILED:
                warnings.append("check failed: %s: %s" % (entry["name"], entry["detail"]))
        lines = ["%s: %s%s" % (e["status"], e["name"], (" (%s)" % e["detail"]) if e["detail"] else "") for e in recorded]
        result.update(changed=False, ansible_facts={_checks.CHECKS_FACT: checks})
        if group:
            result.update(checks=recorded, msg=lines)
        else:
            result.update(check=recorded[0], msg=lines[0])
            if failed_condition is not None:
                result["failed_condition"] = failed_condition
        if warnings:
            result["warnings"] = warnings
        return result
