"""verify.yml with a slow host in the fleet: within a phase each host goes at its own pace (gh200_strategy, free unless
told), so a fast host ends its phase while a slow one is still held; and the next phase still begins on every host at
once, so the fleet stop policy counts the slow host's verdict too. Two local hosts whose host user does not exist, so
phase 0 fails on each (no host tree is touched); every module call of the slow one is held, during phase 0, until the
fast one has recorded its phase 0 (at most 120 s, after which the hold gives up and says so)."""
import json
import re
import subprocess
import sys

import pytest

from conftest import REPO, only_report, playbook_command

HOSTS = ["fast", "slow"]


def held_python(tmp_path, limit):
    """An interpreter for the slow host: Python, once the file ``hold`` is gone or ``limit`` seconds have passed
    (then ``held-too-long`` says so)."""
    hold, late, path = tmp_path / "hold", tmp_path / "held-too-long", tmp_path / "python-held"
    path.write_text("#!/bin/sh\nn=0\nwhile [ -e '%s' ] && [ $n -lt %d ]; do sleep 0.1; n=$((n+1)); done\n"
                    "if [ -e '%s' ]; then touch '%s'; fi\nexec '%s' \"$@\"\n" % (hold, limit * 10, hold, late, sys.executable))
    path.chmod(0o755)
    return hold, late, path


def run_verify(tmp_path, strategy=None, limit=120):
    """verify.yml's phases 0 and 1 over the two hosts; (rc, output, whether the fast host ended phase 0 while the slow
    one was held, the report)."""
    hold, late, python = held_python(tmp_path, limit)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(json.dumps({"gh200": {"hosts": {
        "fast": {"gh200_run_lock_path": str(tmp_path / "fast-lock.json")},
        "slow": {"gh200_run_lock_path": str(tmp_path / "slow-lock.json"), "ansible_python_interpreter": str(python)}},
        "vars": {"ansible_connection": "local", "gh200_host_user": "gh200-no-such-user", "gh200_model": "org/model"}}}))
    dest = tmp_path / "reports"
    extra = ["--tags", "phase0,phase1", "-e", "gh200_max_fail_percentage=0", "-e", "report_dir=%s" % dest]
    extra += ["-e", "gh200_strategy=%s" % strategy] if strategy else []
    cmd, env = playbook_command("playbooks/verify.yml", extra, str(inventory))
    proc = subprocess.Popen(cmd, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output, task, fast_ended_while_held = [], "", False
    try:
        for line in proc.stdout:
            output.append(line)
            if line.startswith("PLAY [Each host runs the phase at its own pace, phase0]"):
                hold.touch()  # from here on, every module call of the slow host waits
            elif line.startswith("TASK ["):
                task = line
            elif hold.exists() and "Record the phase's failure" in task and re.match(r"(ok|changed): \[fast\]", line):
                fast_ended_while_held = not late.exists()
                hold.unlink()
        proc.wait(timeout=300)
    finally:
        proc.kill()
        if hold.exists():
            hold.unlink()
    return proc.returncode, "".join(output), fast_ended_while_held and not late.exists(), only_report(dest)[1]


@pytest.mark.parametrize("strategy, limit", [(None, 120), ("linear", 4)])
def test_a_slow_host_holds_up_only_itself_and_the_next_phase_still_waits_for_its_verdict(tmp_path, strategy, limit):
    """The default, and the linear strategy (each held call given up after 4 s) to see the same run tell them apart."""
    rc, out, fast_ended_while_held, report = run_verify(tmp_path, strategy, limit)
    assert rc != 0, out[-3000:]
    # Within phase 0 the fast host went on alone: it ended its phase while every module call of the slow one waited.
    # Under the linear strategy it waits for the slow one at each task, so it cannot.
    assert fast_ended_while_held == (strategy is None), out[-3000:]
    for host in HOSTS:
        phases = report["hosts"][host]["phases"]
        assert phases["phase0"]["verdict"] == "failed" and phases["phase0"]["reason"] == "", (host, phases["phase0"])
        # Phase 1 began on both once both had ended phase 0: the fast host's stop counts the slow host's failure.
        assert phases["phase1"]["reason"] == ("fleet run stopped: 2 of 2 hosts failed or unreachable (100%), over "
                                              "gh200_max_fail_percentage=0"), (host, phases["phase1"])
