"""Two runs at once on one host (issue 24, fault 9), on the local dry-run: the first takes the host's run lock; a
second that does not wait is refused, its first phase failed with one line naming the first run (its controller,
user and ansible-playbook PID), nothing of the first's records touched; a third told to wait runs after the first
ends. The lock is gone when the runs are."""
import json
import os
import pathlib
import shutil
import tempfile
import time

import pytest

from conftest import dryrun_playbook as playbook, dryrun_report as report, dryrun_start as start


def test_a_second_run_is_refused_naming_the_first_and_a_waiting_run_goes_after_it(tmp_path):
    if "GH200_DRYRUN_USER" not in os.environ:
        pytest.skip("GH200_DRYRUN_USER unset: run through scripts/test.sh (it loads .cache/testbed.env)")
    # This test's own lock, in a folder as open as /run/lock (the dry-run's modules run as its host user): a developer's
    # run beside it is not disturbed.
    folder = pathlib.Path(tempfile.mkdtemp(prefix="gh200-run-lock-"))
    os.chmod(str(folder), 0o1777)
    lock = folder / "gh200-sglang-verify.json"
    common = ["playbooks/verify.yml", "--tags", "phase0", "-e", "gh200_run_lock_path=%s" % lock]
    first = start(*common, "-e", "report_dir=%s" % (tmp_path / "first"))
    procs = [first]
    try:
        deadline = time.monotonic() + 120
        while not lock.exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        holder = json.loads(lock.read_text())
        assert holder["pid"] == first.pid and holder["run_id"].split(":")[1] == str(first.pid), holder
        waiting = start(*common, "-e", "gh200_run_lock_wait=600", "-e", "report_dir=%s" % (tmp_path / "waiting"))
        procs.append(waiting)
        rc, out = playbook(*common, "-e", "report_dir=%s" % (tmp_path / "second"))
        assert rc != 0, out[-3000:]
        second = report(tmp_path / "second")
        checks = dict((c["name"], c) for c in second["checks"])
        busy = checks["no other run holds this host"]
        assert busy["status"] == "failed" and busy["phase"] == "phase0", busy
        assert busy["detail"].startswith("held by run %s of %s on controller " % (holder["run_id"], holder["user"]))
        assert "(ansible-playbook pid %d)" % first.pid in busy["detail"] and "\n" not in busy["detail"]
        assert list(checks) == ["no other run holds this host"]  # nothing else of phase 0 ran
        assert second["verdict"] == "failed" and json.loads(lock.read_text()) == holder  # the first's lock untouched
        out_first = first.communicate(timeout=600)[0]
        assert first.returncode == 0, out_first[-3000:]
        out_waiting = waiting.communicate(timeout=600)[0]
        assert waiting.returncode == 0, out_waiting[-3000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    done, waited = report(tmp_path / "first"), report(tmp_path / "waiting")
    assert done["phases"]["phase0"]["verdict"] == waited["phases"]["phase0"]["verdict"] == "passed"
    # The waiting run judged phase 0 only after the first run ended.
    assert min(c["time"] for c in waited["checks"]) >= done["finished"], (done["finished"], waited["checks"][0])
    assert not lock.exists()
    shutil.rmtree(str(folder), ignore_errors=True)
