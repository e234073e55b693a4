"""gh200.sglang.run_lock: one run at a time on a host. Two runs' identities against one lock file: taken, kept,
refused naming the holder, waited for, taken over when expired or when its controller's run is gone, released only by
its holder; a planted file in its place is named and left as it was."""
import json
import os
import threading
import time

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _runlock
from ansible_collections.gh200.sglang.plugins.modules import run_lock

A = {"run_id": "ctl/abcd:100:555", "controller": "ctl/abcd", "pid": 100, "user": "alice"}
B = {"run_id": "ctl/abcd:200:777", "controller": "ctl/abcd", "pid": 200, "user": "bob"}
OTHER = {"run_id": "far/9999:300:1", "controller": "far/9999", "pid": 300, "user": "carol"}
LIVE = [A["run_id"], B["run_id"]]


@pytest.fixture
def lock(tmp_path):
    return str(tmp_path / "gh200-sglang-verify.json")


def call(run_module, path, me, live=None, **options):
    args = dict(path=path, run=dict(me, live_runs=LIVE if live is None else live), **options)
    return run_module(run_lock.main, args)


def state(path):
    folder = os.path.dirname(path)
    return sorted((n, open(os.path.join(folder, n), "rb").read() if os.path.isfile(os.path.join(folder, n)) else None)
                  for n in os.listdir(folder))


def test_a_run_takes_keeps_and_releases_its_lock(run_module, lock):
    rc, out = call(run_module, lock, A)
    assert rc == 0 and out["taken"] and not out["changed"], out
    held = json.loads(open(lock).read())
    assert (held["run_id"], held["user"], held["expires"] - held["taken"]) == (A["run_id"], "alice", 43200)
    assert os.stat(lock).st_mode & 0o777 == 0o644 and not os.path.exists(lock + ".guard")
    rc, out = call(run_module, lock, A, lease=600)
    assert rc == 0 and "kept" in out["msg"] and json.loads(open(lock).read())["taken"] == held["taken"]
    rc, out = call(run_module, lock, B, state="absent")  # another run's release leaves it alone
    assert rc == 0 and os.path.exists(lock) and out["msg"].endswith("not held")
    rc, out = call(run_module, lock, A, state="absent")
    assert rc == 0 and not os.path.exists(lock) and out["msg"].endswith("released")


def test_a_second_run_is_refused_with_one_line_naming_the_first_and_changes_nothing(run_module, lock):
    call(run_module, lock, A)
    before = state(lock)
    rc, out = call(run_module, lock, B)
    assert rc == 1 and out["failed"]
    assert out["msg"].startswith("run_lock: this host is busy: held by run ctl/abcd:100:555 of alice on controller ctl/abcd "
                                 "(ansible-playbook pid 100), taken "), out["msg"]
    assert "\n" not in out["msg"] and out["busy"].startswith("held by run ctl/abcd:100:555") and not out["taken"]
    assert state(lock) == before


def test_a_waiting_run_takes_the_lock_once_the_first_releases_it(run_module, lock):
    call(run_module, lock, A)
    released = threading.Timer(1.5, lambda: os.unlink(lock))
    released.start()
    began = time.monotonic()
    rc, out = call(run_module, lock, B, wait=30, poll=1)
    released.join()
    assert rc == 0 and out["taken"] and json.loads(open(lock).read())["run_id"] == B["run_id"]
    assert 1.0 <= time.monotonic() - began < 10


def test_a_wait_is_bounded(run_module, lock):
    call(run_module, lock, A)
    began = time.monotonic()
    rc, out = call(run_module, lock, B, wait=2, poll=1)
    assert rc == 1 and "busy after waiting 2 s" in out["msg"] and time.monotonic() - began < 6


def test_an_expired_lease_and_a_dead_run_of_this_controller_are_taken_over(run_module, lock):
    with open(lock, "wb") as handle:
        handle.write(_runlock.lease(OTHER, time.time() - 7300, 7200))
    rc, out = call(run_module, lock, A)
    assert rc == 0 and out["taken"] and "expired" in out["msg"]
    # A's ansible-playbook is gone (killed with the controller's lid closed): B, on the same controller, takes over.
    rc, out = call(run_module, lock, B, live=[B["run_id"]])
    assert rc == 0 and out["taken"] and "is gone" in out["msg"]
    # A live run of another controller is never judged dead from here: only its lease's end frees it.
    call(run_module, lock, B, state="absent")
    with open(lock, "wb") as handle:
        handle.write(_runlock.lease(OTHER, time.time(), 7200))
    rc, out = call(run_module, lock, A, live=[A["run_id"]])
    assert rc == 1 and "far/9999:300:1 of carol" in out["msg"]


@pytest.mark.parametrize("plant", ["garbage", "empty", "wrong shape", "huge", "fifo", "symlink"])
def test_a_planted_file_is_named_and_left_as_it_was(run_module, lock, tmp_path, plant):
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    if plant == "fifo":
        os.mkfifo(lock)
    elif plant == "symlink":
        os.symlink(str(target), lock)
    else:
        content = {"garbage": b"\x00\xffnot json", "empty": b"", "wrong shape": b'{"run_id": 1}', "huge": b" " * 10000}[plant]
        with open(lock, "wb") as handle:
            handle.write(content)
    before = os.lstat(lock)
    rc, out = call(run_module, lock, A)
    assert rc == 1 and out["msg"].startswith("run_lock: %s" % lock) and "\n" not in out["msg"], out["msg"]
    assert "Traceback" not in out["msg"] and not out["taken"]
    after = os.lstat(lock)
    assert (after.st_ino, after.st_mode, after.st_size) == (before.st_ino, before.st_mode, before.st_size)
    assert target.read_text() == "keep"


def test_check_mode_takes_nothing_but_refuses_the_same(run_module, lock):
    rc, out = call(run_module, lock, A, _ansible_check_mode=True)
    assert rc == 0 and out["taken"] and not os.path.exists(lock)
    call(run_module, lock, A)
    rc, out = call(run_module, lock, B, _ansible_check_mode=True)
    assert rc == 1 and "busy" in out["msg"]


def test_options_out_of_range_and_a_missing_folder_are_one_line(run_module, tmp_path):
    rc, out = call(run_module, str(tmp_path / "lock.json"), A, lease=5)
    assert rc == 1 and out["msg"].startswith("run_lock: lease must be")
    rc, out = call(run_module, str(tmp_path / "missing" / "lock.json"), A)
    assert rc == 1 and out["msg"] == "run_lock: %s: its folder %s does not exist" % (tmp_path / "missing" / "lock.json", tmp_path / "missing")
    assert not (tmp_path / "missing").exists()


def test_an_error_on_a_file_beside_the_lock_is_named_with_its_whole_path(run_module, tmp_path):
    (tmp_path / "elsewhere").write_text("x")
    os.symlink(str(tmp_path / "elsewhere"), str(tmp_path / "lock.json.guard"))  # the guard planted as a link
    rc, out = call(run_module, str(tmp_path / "lock.json"), A)
    assert rc == 1 and out["msg"].startswith("run_lock: %s: " % (tmp_path / "lock.json.guard")), out["msg"]
    assert (tmp_path / "elsewhere").read_text() == "x"
