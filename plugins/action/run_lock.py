# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of gh200.sglang.run_lock: gives the module this run's identity and the runs alive on the controller."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.gh200.sglang.plugins.plugin_utils import _runs


class ActionModule(ActionBase):
    """Runs the run_lock module on the host with ``run`` filled in from the controller's /proc."""

    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        if "run" in args:
            return dict(result, failed=True, msg="run_lock: run is set by the action plugin, not by the task")
        me = _runs.this_run()
        args["run"] = dict(me, live_runs=_runs.live_runs(me["controller"]))
        result.update(self._execute_module(module_name="gh200.sglang.run_lock", module_args=args, task_vars=task_vars))
        return result
