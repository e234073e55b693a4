"""verify.yml and the host's run lock, on a local host whose host user does not exist (phase 0 fails at once, no host
tree is touched): a lock held by a live run of another controller fails the first phase with one line naming that
run and is left as it was; a lock whose run is gone from this controller is taken over, and released at the end."""
import json
import pathlib
import sys
import time

from conftest import REPO, only_report

sys.path.insert(0, str(REPO / "collections"))
from ansible_collections.gh200.sglang.plugins.plugin_utils import _runs  # noqa: E402  pylint: disable=wrong-import-position

INVENTORY = {"gh200": {"hosts": {"sa": {}}, "vars": {"ansible_connection": "local", "gh200_host_user": "gh200-no-such-user",
                                                     "gh200_model": "org/model"}}}


def run(playbook, tmp_path, lock, *extra):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(json.dumps(INVENTORY))
    dest = tmp_path / "reports"
    args = ["--tags", "phase0,phase1", "-e", "gh200_run_lock_path=%s" % lock, "-e", "report_dir=%s" % dest] + list(extra)
    rc, out = playbook(path=pathlib.Path("playbooks/verify.yml"), extra=args, inventory=str(inventory))
    return rc, out, only_report(dest)[1]["hosts"]["sa"]


def plant(lock, controller, pid, expires_in=3600):
    now = int(time.time())
    holder = {"run_id": "%s:%d:42" % (controller, pid), "controller": controller, "pid": pid, "user": "carol",
              "taken": now, "expires": now + expires_in}
    lock.write_text(json.dumps(holder))
    return lock.read_bytes()


def test_a_live_run_of_another_controller_fails_the_first_phase_naming_it(playbook, tmp_path):
    lock = tmp_path / "lock.json"
    before = plant(lock, "far-controller/0f3c9a7e", 4242)
    rc, out, host = run(playbook, tmp_path, lock)
    assert rc != 0
    (check,) = host["checks"][:1]
    assert (check["phase"], check["name"], check["status"]) == ("phase0", "no other run holds this host", "failed")
    assert check["detail"].startswith("held by run far-controller/0f3c9a7e:4242:42 of carol on controller far-controller/0f3c9a7e "
                                      "(ansible-playbook pid 4242), taken "), check
    assert [c["name"] for c in host["checks"] if c["phase"] == "phase0"] == ["no other run holds this host"]
    assert host["phases"]["phase1"]["verdict"] == "skipped" and host["verdict"] == "failed"
    assert lock.read_bytes() == before


def test_the_lock_of_a_run_gone_from_this_controller_is_taken_over_and_released(playbook, tmp_path):
    lock = tmp_path / "lock.json"
    plant(lock, _runs.controller(), 999999)  # no such process: that run is gone
    rc, out, host = run(playbook, tmp_path, lock)
    phase0 = dict((c["name"], c["status"]) for c in host["checks"] if c["phase"] == "phase0")
    assert "no other run holds this host" not in phase0 and host["phases"]["phase0"]["verdict"] == "failed", out[-3000:]
    assert any("gh200-no-such-user" in c["detail"] for c in host["checks"])  # phase 0 itself ran
    assert not lock.exists()
