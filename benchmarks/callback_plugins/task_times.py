# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: each task's wall time per host, written as JSON lines to $GH200_TASK_TIMES."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_times
type: aggregate
short_description: Each task's wall time per host, as JSON lines, for benchmarks/bench.py
description:
  - Writes one line per task result, C({"task", "host", "seconds", "status", "changed"}), to the file that
    E(GH200_TASK_TIMES) names, measured from the task's start to the host's result.
requirements:
  - enable it with ANSIBLE_CALLBACKS_ENABLED=task_times and the benchmarks' callback_plugins folder
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._path = os.environ.get("GH200_TASK_TIMES")
        self._started = {}

    def _start(self, task):
        self._started[task._uuid] = time.monotonic()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task)

    def _record(self, result, status):
        if not self._path:
            return
        task = result._task
        line = {"task": task.get_name(), "action": task.action, "host": result._host.get_name(), "status": status,
                "changed": bool(result._result.get("changed")),
                "seconds": round(time.monotonic() - self._started.get(task._uuid, time.monotonic()), 4)}
        with open(self._path, "a") as handle:
            handle.write(json.dumps(line) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")
