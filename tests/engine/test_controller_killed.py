"""The controller killed mid-stage (issue 24, fault 3), on the local dry-run: ansible-playbook and every process it
started are SIGKILLed while phase 2 builds a stage, as a closed laptop lid or a lost session does. The stage's job goes
on on the host (Ansible's async jobs are detached), holding the stage's lock. The next ordinary run's phase 0 says the
stage is being built now, names its holder and changes nothing. When the host's build dies too (its container killed),
phase 0 names the stage with unsigned files and the exact command that rebuilds it; that command, run as written,
rebuilds only that stage from what its signature vouches for, and phase 0 passes again: the other stages' signatures
and prep_result.json entries byte for byte the same, no lock left, the run history kept."""
import json
import os
import pathlib
import pwd
import re
import shlex
import signal
import subprocess
import sys
import time

import docker
import pytest

from conftest import REPO, dryrun_playbook as playbook

# A stage that writes half of its cache and then takes its time, as a long JIT build does.
HALF_BUILT = ("import os, time; os.makedirs('fx', exist_ok=True); open('fx/half.so', 'w').write('half'); "
              "print('building', flush=True); time.sleep(600)")


def descendants(pid):
    """pid and every process below it (ansible-playbook's workers, connections and become wrappers)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        out.append(todo.pop())
        todo.extend(children.get(out[-1], []))
    return out


def kept(root):
    """What must survive: every other stage's signature and entry, and the run history."""
    prep = json.loads((root / "profiles" / "prep_result.json").read_text())["stages"]
    sigs = dict((d, (root / "profiles" / d / "signature.json").read_bytes()) for d in ("flashinfer", "deep_gemm", "moe_configs"))
    others = dict((s, e) for s, e in prep.items() if s != "inductor")
    return sigs, others, sorted(os.listdir(str(root / "telemetry" / "container_runs")))


def check(folder, name):
    (found,) = [p for p in pathlib.Path(folder).iterdir() if p.is_dir()]
    host = json.loads((found / "report.json").read_text())["hosts"]["dryrun-local"]
    return host, dict((c["name"], c) for c in host["checks"])[name]


def test_a_stage_left_building_by_a_killed_controller_is_named_then_rebuilt_by_the_command_phase0_names(tmp_path):
    if "GH200_DRYRUN_USER" not in os.environ:
        pytest.skip("GH200_DRYRUN_USER unset: run through scripts/test.sh (it loads .cache/testbed.env)")
    root = pathlib.Path(pwd.getpwnam(os.environ["GH200_DRYRUN_USER"]).pw_dir) / "sglang-observability"
    rc, out = playbook("playbooks/caches.yml")  # every stage signed, as after any verify.yml run
    assert rc == 0, out[-3000:]
    before = kept(root)
    stage = root / "profiles" / "inductor"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"), ANSIBLE_FORCE_COLOR="0")
    extra = {"caches_stages": {"inductor": "rebuild"}, "caches_commands": {"inductor": ["python3", "-c", HALF_BUILT]}}
    controller = subprocess.Popen([str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "inventory/local.yml",
                                   "playbooks/caches.yml", "-e", json.dumps(extra)], cwd=str(REPO), env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while not (stage / "fx" / "half.so").exists():
            assert controller.poll() is None and time.monotonic() < deadline, "the stage never started"
            time.sleep(0.5)
    finally:
        for pid in descendants(controller.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        controller.wait()
    assert (stage / ".lock").exists() and not (stage / "signature.json").exists()

    # The host goes on building: the next run's phase 0 says so, names the holder and changes nothing.
    rc, out = playbook("playbooks/verify.yml", "--tags", "phase0", "-e", "report_dir=%s" % (tmp_path / "building"))
    host, seen = check(tmp_path / "building", "profiles holds only scaffolding and signed caches")
    assert rc != 0 and seen["status"] == "failed" and host["phases"]["phase0"]["verdict"] == "failed", out[-3000:]
    assert re.match(r"being built now: inductor \(its lock held by pid \d+ since \S+\); wait until it ends, then run again\. ",
                    seen["detail"]), seen["detail"]
    assert (stage / "fx" / "half.so").exists() and (stage / ".lock").exists()

    # The host's build dies too (its container killed): the stage's job records the failure and frees its lock.
    docker.from_env().containers.get("sglang-dev-dryrun").kill()
    deadline = time.monotonic() + 120
    while (stage / ".lock").exists():
        assert time.monotonic() < deadline, "the stage's job never ended"
        time.sleep(0.5)
    rc, out = playbook("playbooks/verify.yml", "--tags", "phase0", "-e", "report_dir=%s" % (tmp_path / "half"))
    host, seen = check(tmp_path / "half", "profiles holds only scaffolding and signed caches")
    assert rc != 0 and seen["status"] == "failed", out[-3000:]
    assert "; unsigned files in inductor (" in seen["detail"] and "being built now" not in seen["detail"], seen["detail"]
    command = seen["detail"].split(" with ansible-playbook ", 1)[1]
    assert command == ("-i <inventory> playbooks/caches.yml --limit dryrun-local -e "
                       "'{\"caches_stages\": {\"inductor\": \"rebuild\"}}'"), command

    # The command phase 0 named, as written: only that stage rebuilt, from what its signature vouched for (nothing).
    argv = shlex.split(command.replace("<inventory>", "inventory/local.yml"))
    assert argv[:2] == ["-i", "inventory/local.yml"]
    rc, out = playbook(*argv[2:])
    assert rc == 0, out[-3000:]
    entry = json.loads((root / "profiles" / "prep_result.json").read_text())["stages"]["inductor"]
    assert entry["status"] == "ok" and entry["unsigned_removed"] >= 1 and not (stage / "fx" / "half.so").exists(), entry
    rc, out = playbook("playbooks/verify.yml", "--tags", "phase0", "-e", "report_dir=%s" % (tmp_path / "again"))
    host, seen = check(tmp_path / "again", "profiles holds only scaffolding and signed caches")
    assert rc == 0 and seen["status"] == "passed", (seen, out[-3000:])
    after = kept(root)
    assert after[:2] == before[:2] and set(before[2]) <= set(after[2])
    assert list(root.rglob("*.lock")) == []
