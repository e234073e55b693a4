# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of gh200.sglang.report: write the verification report on the controller."""

from __future__ import annotations

import os

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.gh200.sglang.plugins.module_utils import _files
from ansible_collections.gh200.sglang.plugins.plugin_utils import _checks, _controller, _report

ARGUMENT_SPEC = dict(
    hosts=dict(type="list", elements="str", required=True),
    dest=dict(type="path", required=True),
    phases=dict(type="list", elements="str", default=["phase0", "phase1", "phase2", "phase3", "phase4"]),
    run_started=dict(type="str"),
    fail_on_failed=dict(type="bool", default=True),
)


def new_report_dir(dest, moment):
    """<dest>/<UTC timestamp>, made here and now; a second report in the same second gets a suffix."""
    os.makedirs(dest, mode=0o755, exist_ok=True)
    base = os.path.join(dest, moment.strftime("%Y%m%dT%H%M%SZ"))
    path, n = base, 1
    while True:
        try:
            os.mkdir(path, 0o755)
            return path
        except FileExistsError:
            n += 1
            path = "%s-%d" % (base, n)


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
            path = os.path.realpath(new_report_dir(args["dest"], moment))
            for name, render in _report.RENDERERS:
                _files.atomic_write(os.path.join(path, name), render(data).encode("utf-8"), mode=0o644)
        except OSError as exc:
            return dict(failed=True, msg="report: cannot write under %s: %s" % (args["dest"], to_text(exc)))
        summary = _report.summary_lines(data)
        bad = data["summary"][_checks.FAILED] + data["summary"][_checks.UNREACHABLE]
        result.update(
            changed=True, path=path, files=[os.path.join(path, n) for n, dummy in _report.RENDERERS],
            summary=summary, hosts=data["summary"], _ansible_verbose_always=True,
            msg=summary + ["report: %s" % os.path.join(path, "report.html")],
        )
        if bad and args["fail_on_failed"]:
            result["failed"] = True
            result["msg"] = "verification did not pass on %s; report: %s\n%s" % (
                ", ".join(bad), os.path.join(path, "report.html"), "\n".join(summary))
        return result
