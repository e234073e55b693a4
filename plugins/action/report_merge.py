# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of gh200.sglang.report_merge: one fleet report from several report.json (slices, reruns)."""

from __future__ import annotations

import glob
import os

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.gh200.sglang.plugins.module_utils import _files
from ansible_collections.gh200.sglang.plugins.plugin_utils import _checks, _controller, _report

ARGUMENT_SPEC = dict(
    reports=dict(type="list", elements="str", required=True),
    dest=dict(type="path", required=True),
    fail_on_failed=dict(type="bool", default=True),
)


def sources(patterns):
    """Each report.json the patterns name (a file, a report's folder, a report_dir holding report folders, or a glob
    of any of them), in the order given, once."""
    out, seen = [], set()
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.expanduser(pattern))) or [pattern]:
            if os.path.isdir(path):
                inside = os.path.join(path, "report.json")
                found = [inside] if os.path.exists(inside) else sorted(glob.glob(os.path.join(path, "*", "report.json"))) or [inside]
            else:
                found = [path]
            for one in found:
                if os.path.realpath(one) not in seen:
                    seen.add(os.path.realpath(one))
                    out.append(one)
    return out


class ActionModule(_controller.ControllerAction):
    """Reads the report.json files, keeps each host's newest verdict (the older ones as its history) and writes the
    merged report as gh200.sglang.report writes one."""

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars or {})
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        reports = []
        for path in sources(args["reports"]):
            try:
                raw = _files.read_bytes(path, limit=_report.MERGE_MAX_BYTES)
                if raw is None:
                    return dict(result, failed=True, msg="report_merge: %s does not exist" % path)
                reports.append((path, _report.for_merge(raw, path)))
            except (OSError, _files.PathProblem, ValueError) as exc:
                return dict(result, failed=True, msg="report_merge: %s" % to_text(exc))
        if not reports:
            return dict(result, failed=True, msg="report_merge: no report.json to merge")
        moment = _checks.now()
        data = _report.merge(reports, _checks.iso(moment))
        try:
            path = _report.write(args["dest"], data, moment)
        except OSError as exc:
            return dict(result, failed=True, msg="report_merge: cannot write under %s: %s" % (args["dest"], to_text(exc)))
        result.update(_report.outcome(data, path, args["fail_on_failed"]), merged=[p for p, dummy in reports])
        return result
