# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of gh200.sglang.checks: record a group of checks a module has already judged, in one task."""

from __future__ import annotations

from ansible_collections.gh200.sglang.plugins.plugin_utils import _checks, _controller

ARGUMENT_SPEC = dict(
    phase=dict(type="str", required=True),
    results=dict(type="list", elements="dict", required=True),
    skip=dict(type="str", default=""),
)


class ActionModule(_controller.ControllerAction):
    """Appends one record per result ({name, status, detail}) to the host's gh200_checks fact; never fails the task."""

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        if not args["results"]:
            return dict(failed=True, msg="checks: results is empty: a group with no check records nothing and cannot fail")
        skip = args["skip"].strip()
        entries = []
        try:
            for item in args["results"]:
                name = str(item.get("name") or "").strip()
                if not name:
                    raise ValueError("a result has no name: %r" % (item,))
                if skip:  # the group turned off: its checks are recorded, their evidence is not read
                    entries.append((name, _checks.skipped(skip), ""))
                else:
                    entries.append((name, _checks.given_status(item.get("status")), str(item.get("detail") or "")))
        except ValueError as exc:
            return dict(failed=True, msg="checks: %s" % exc)
        checks, run = _checks.host_record(task_vars.get("ansible_facts"))
        previous = _checks.last_time(checks, run, args["phase"])
        moment = _checks.now()
        recorded, warnings = [], []
        for name, status, detail in entries:
            entry = _checks.record(args["phase"], name, status, detail, moment, previous)
            previous = moment
            checks.append(entry)
            recorded.append(entry)
            if status == _checks.FAILED:
                warnings.append("check failed: %s: %s" % (name, detail))
        result.update(changed=False, checks=recorded, ansible_facts={_checks.CHECKS_FACT: checks},
                      msg=["%s: %s%s" % (e["status"], e["name"], (" (%s)" % e["detail"]) if e["detail"] else "") for e in recorded])
        if warnings:
            result["warnings"] = warnings
        return result
