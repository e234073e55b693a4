# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of gh200.sglang.stage_wait: wait for a cache_stage job, showing its progress at each poll."""

from __future__ import annotations

import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.gh200.sglang.plugins.plugin_utils import _progress

display = Display()

ARGUMENT_SPEC = dict(
    jid=dict(type="str", required=True),
    stage=dict(type="str", required=True, choices=["flashinfer", "inductor", "deep_gemm", "moe"]),
    root=dict(type="path"),
    host_user=dict(type="str"),
    poll=dict(type="float", default=15),
    timeout=dict(type="int", required=True),
)


class ActionModule(ActionBase):
    """Polls async_status; while the job runs, asks stage_status and prints one progress line."""

    _supports_check_mode = True
    _supports_async = False
    clock = staticmethod(time.time)
    sleep = staticmethod(time.sleep)

    def _status(self, jid, mode, task_vars):
        async_dir = self._remote_expand_user(self.get_shell_option("async_dir", default="~/.ansible_async"))
        return self._execute_module(module_name="ansible.legacy.async_status", task_vars=task_vars,
                                    module_args=dict(jid=jid, mode=mode, _async_dir=async_dir))

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = task_vars.get("inventory_hostname", "?")
        probe_args = dict((k, args[k]) for k in ("stage", "root", "host_user") if args[k] is not None)
        waited_from = self.clock()
        began = None
        check, shown_at = 0, 0.0
        while True:
            # No fixed first sleep: the job is looked at once, then ever less often, up to every poll seconds.
            self.sleep(_progress.backoff(check, args["poll"]))
            check += 1
            status = self._status(args["jid"], "status", task_vars)
            if status.get("finished") or (status.get("failed") and status.get("_ansible_parsed", True)):
                break
            waited = self.clock() - waited_from
            if waited > args["timeout"]:
                result.update(failed=True, msg="stage %s did not finish within %ds; it may still run as job %s"
                              % (args["stage"], args["timeout"], args["jid"]))
                return result
            if waited - shown_at < args["poll"]:
                continue
            shown_at = waited
            progress = self._execute_module(module_name="gh200.sglang.stage_status", module_args=probe_args,
                                            task_vars=task_vars)
            if began is None:
                began = progress.get("now", 0) - waited - 2  # the host clock when the job started, give or take
            display.display("%s | %s" % (host, _progress.line(args["stage"], waited, progress, began)))
        self._status(args["jid"], "cleanup", task_vars)
        result.update(_progress.job_result(status))
        return result
