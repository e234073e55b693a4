"""What a long stage shows at each poll: elapsed time and the log's last line, never a silent hang; and
stage_wait's loop, with async_status and stage_status answered by a script of results."""
import pytest

from ansible_collections.gh200.sglang.plugins.action import stage_wait
from ansible_collections.gh200.sglang.plugins.plugin_utils import _progress


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59.9, "59s"), (725, "12m05s"), (7380, "2h03m")])
def test_duration(seconds, text):
    assert _progress.duration(seconds) == text


@pytest.mark.parametrize("count, text", [(512, "512 B"), (3481, "3.4 KiB"), (2202009, "2.1 MiB")])
def test_size(count, text):
    assert _progress.size(count) == text


def status(updated=1000.0, now=1010.0, last="Compiling kernel 34/120", lock=None):
    return {"log_updated": updated, "now": now, "log_bytes": 2202009, "last_line": last,
            "lock": lock or {"state": "held", "holder": "pid 7 since 2026-11-22T21:00:00Z"}}


def test_a_running_stage_shows_its_elapsed_time_and_last_log_line():
    assert _progress.line("deep_gemm", 750, status(), began=900.0) == (
        "deep_gemm: running 12m30s, log 2.1 MiB: Compiling kernel 34/120")


def test_a_log_quiet_for_a_minute_says_for_how_long():
    assert _progress.line("deep_gemm", 750, status(updated=1000.0, now=1185.0), began=900.0) == (
        "deep_gemm: running 12m30s, log 2.1 MiB, quiet for 3m05s: Compiling kernel 34/120")


def test_a_log_from_an_earlier_run_is_not_shown_as_progress():
    line = _progress.line("inductor", 20, status(updated=100.0), began=900.0)
    assert line == "inductor: running 20s, no output yet (lock held by pid 7 since 2026-11-22T21:00:00Z)"
    assert _progress.line("inductor", 20, {"log_updated": None, "lock": {"state": "gone"}}, began=900.0) == (
        "inductor: running 20s, no output yet")


def test_a_failed_probe_is_said_not_hidden():
    assert _progress.line("moe", 5, {"failed": True, "msg": "stage moe: boom"}, began=0) == (
        "moe: running 5s (no progress: stage moe: boom)")


def test_the_job_result_is_the_module_result_without_async_bookkeeping():
    finished = {"ansible_job_id": "j1", "started": True, "finished": True, "results_file": "/x", "stdout": "",
                "stderr": "", "stdout_lines": [], "stderr_lines": [], "changed": True, "decision": "ran", "failed": False}
    assert _progress.job_result(finished) == {"changed": True, "decision": "ran", "failed": False}


class FakeAction(stage_wait.ActionModule):
    """stage_wait with its module calls answered from scripts and a clock that moves with its sleeps."""

    def __init__(self, statuses, args):
        self.statuses, self.calls, self.t = list(statuses), [], 0.0
        self.args = args

    def clock(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds

    def _status(self, jid, mode, task_vars):
        self.calls.append(("async_status", jid, mode))
        return {"erased": "/x"} if mode == "cleanup" else self.statuses.pop(0)

    def _execute_module(self, module_name=None, module_args=None, task_vars=None, **kwargs):
        self.calls.append((module_name, module_args))
        return dict(status(updated=self.t + 5000, now=self.t + 5000), last_line="step at %gs" % self.t)

    def validate_argument_spec(self, argument_spec=None, **kwargs):
        return None, dict(dict((k, v.get("default")) for k, v in argument_spec.items()), **self.args)


@pytest.fixture
def run(monkeypatch):
    shown = []
    monkeypatch.setattr(stage_wait.display, "display", shown.append)
    monkeypatch.setattr(stage_wait.ActionBase, "run", lambda self, tmp=None, task_vars=None: {})

    def _run(statuses, **args):
        action = FakeAction(statuses, dict(dict(jid="j1", stage="deep_gemm", poll=15, timeout=100), **args))
        return action, action.run(task_vars={"inventory_hostname": "gh200-a"}), shown
    return _run


def test_stage_wait_shows_a_line_per_poll_and_returns_the_stage_result(run):
    running = {"started": True, "finished": False, "ansible_job_id": "j1"}
    done = {"finished": True, "started": True, "ansible_job_id": "j1", "decision": "ran", "changed": True}
    # Looks at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 30.5 s: a line once poll (15 s) passed since the last one.
    action, result, shown = run([running] * 7 + [done], root="/r")
    assert result == {"decision": "ran", "changed": True}
    assert shown == ["gh200-a | deep_gemm: running 15s, log 2.1 MiB: step at 15.5s",
                     "gh200-a | deep_gemm: running 30s, log 2.1 MiB: step at 30.5s"]
    assert ("gh200.sglang.stage_status", {"stage": "deep_gemm", "root": "/r"}) in action.calls
    assert action.calls[-1] == ("async_status", "j1", "cleanup")


def test_stage_wait_returns_a_failed_stage_as_it_failed(run):
    action, result, shown = run([{"finished": True, "failed": True, "msg": "stage moe: failed (exit 1)", "decision": "ran"}],
                                stage="moe")
    assert result == {"failed": True, "msg": "stage moe: failed (exit 1)", "decision": "ran"} and shown == []


def test_a_stage_that_is_done_at_once_costs_one_look_and_no_sleep(run):
    action, result, shown = run([{"finished": True, "started": True, "decision": "skipped", "changed": False}])
    assert result == {"decision": "skipped", "changed": False} and shown == []
    assert action.t == 0.0 and action.calls == [("async_status", "j1", "status"), ("async_status", "j1", "cleanup")]


def test_the_backoff_doubles_up_to_the_poll():
    assert [_progress.backoff(k, 15) for k in range(8)] == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    assert [_progress.backoff(k, 1) for k in range(4)] == [0.0, 0.5, 1.0, 1.0]


def test_stage_wait_gives_up_after_its_timeout_naming_the_job(run):
    running = {"started": True, "finished": False, "ansible_job_id": "j1"}
    action, result, shown = run([running] * 10, timeout=40)
    assert result == {"failed": True, "msg": "stage deep_gemm did not finish within 40s; it may still run as job j1"}
    assert len(shown) == 2
