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
import socket
import time
import uuid

import docker
import pytest

from conftest import IMAGE, bed_ids, chown_tree, dryrun_playbook as playbook, dryrun_report, dryrun_start, kill_tree

# A stage that writes half of its cache and then takes its time, as a long JIT build does.
HALF_BUILT = ("import os, time; os.makedirs('fx', exist_ok=True); open('fx/half.so', 'w').write('half'); "
              "print('building', flush=True); time.sleep(600)")


def kept(root):
    """What must survive: every other stage's signature and entry, and the run history."""
    prep = json.loads((root / "profiles" / "prep_result.json").read_text())["stages"]
    sigs = dict((d, (root / "profiles" / d / "signature.json").read_bytes()) for d in ("flashinfer", "deep_gemm", "moe_configs"))
    others = dict((s, e) for s, e in prep.items() if s != "inductor")
    return sigs, others, sorted(os.listdir(str(root / "telemetry" / "container_runs")))


def check(folder, name):
    host = dryrun_report(folder)
    return host, dict((c["name"], c) for c in host["checks"])[name]


def test_a_stage_left_building_by_a_killed_controller_is_named_then_rebuilt_by_the_command_phase0_names(tmp_path):
    if "GH200_DRYRUN_USER" not in os.environ:
        pytest.skip("GH200_DRYRUN_USER unset: run through scripts/test.sh (it loads .cache/testbed.env)")
    root = pathlib.Path(pwd.getpwnam(os.environ["GH200_DRYRUN_USER"]).pw_dir) / "sglang-observability"
    rc, out = playbook("playbooks/caches.yml")  # every stage signed, as after any verify.yml run
    assert rc == 0, out[-3000:]
    before = kept(root)
    stage = root / "profiles" / "inductor"
    extra = {"caches_stages": {"inductor": "rebuild"}, "caches_commands": {"inductor": ["python3", "-c", HALF_BUILT]}}
    controller = dryrun_start("playbooks/caches.yml", "-e", json.dumps(extra), quiet=True)
    try:
        deadline = time.monotonic() + 180
        while not (stage / "fx" / "half.so").exists():
            assert controller.poll() is None and time.monotonic() < deadline, "the stage never started"
            time.sleep(0.5)
    finally:
        kill_tree(controller.pid)
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


POINTER = "telemetry/container_run_meta.env"


def test_a_start_killed_before_its_records_are_written_is_repaired_by_the_next_start(module, tree, engine):
    """container_run creates and starts the container, then writes the run's manifest into the history, then the pointer:
    a controller killed between two of those leaves a running container whose run no record (or only the history)
    names. The next ordinary start (recreate on-change) keeps that container, the one with the name, and writes what
    is missing: the manifest of its run (0600, the host user's) and the pointer at it; the history before it kept."""
    name = "gh200-engine-killed-" + uuid.uuid4().hex[:8]
    for folder in ("telemetry/logs", "telemetry/container_runs"):
        (tree / folder).mkdir(parents=True)
    chown_tree(tree / "telemetry", *bed_ids())
    args = dict(root=str(tree), host_user=pwd.getpwuid(bed_ids()[0]).pw_name, name=name, image=IMAGE, gpus="none",
                workspace="", network_mode="none")
    try:
        rc, first = module("container_run", args)
        assert rc == 0 and first["changed"], first.get("msg")
        rc, second = module("container_run", dict(args, recreate="always"))
        assert rc == 0 and second["actions"] == ["stop", "remove", "create", "write_manifest"], second
        history = tree / "telemetry" / "container_runs"
        old = (history / ("%s.env" % first["run_id"])).read_bytes()
        for lost in ("manifest and pointer", "pointer"):  # killed before the history was written, or after it
            if lost == "manifest and pointer":
                (history / ("%s.env" % second["run_id"])).unlink()
            (tree / POINTER).write_bytes(old)
            rc, repaired = module("container_run", args)
            assert rc == 0 and repaired["changed"] and repaired["actions"] == ["restore_pointer"], (lost, repaired)
            (running,) = engine.containers.list(all=True, filters={"name": "^/%s$" % name})
            assert running.id == second["container"]["id"] and running.status == "running"
            manifest = history / ("%s.env" % second["run_id"])
            assert (tree / POINTER).read_bytes() == manifest.read_bytes() and b"RUN_ID=%s" % second["run_id"].encode() in manifest.read_bytes()
            assert [(oct(os.stat(str(p)).st_mode & 0o777), os.stat(str(p)).st_uid) for p in (manifest, tree / POINTER)] == [
                ("0o600", bed_ids()[0])] * 2
            assert (history / ("%s.env" % first["run_id"])).read_bytes() == old
        rc, again = module("container_run", args)
        assert rc == 0 and not again["changed"], again
    finally:
        for c in engine.containers.list(all=True, filters={"name": "^/%s$" % name}):
            c.remove(force=True)


def kill_when(args, path, seconds=240):
    """Run ansible-playbook on the dry-run with ``args`` and SIGKILL it, and every process it started, once ``path``
    exists; True when it was killed then (False: the run ended first)."""
    controller = dryrun_start(*args, quiet=True)
    try:
        deadline = time.monotonic() + seconds
        while not path.exists():
            if controller.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True
    finally:
        kill_tree(controller.pid)
        controller.wait()


def test_a_server_left_running_by_a_killed_controller_is_adopted_by_the_next_run_and_stopped(tmp_path):
    """Killed while phase 3 waits for its server to load: the server goes on in the container, named by its record. The
    next run finds it by that record, keeps it (the same arguments), judges it and stops it by its PID: one server, the
    port free afterwards."""
    if "GH200_DRYRUN_USER" not in os.environ:
        pytest.skip("GH200_DRYRUN_USER unset: run through scripts/test.sh (it loads .cache/testbed.env)")
    root = pathlib.Path(pwd.getpwnam(os.environ["GH200_DRYRUN_USER"]).pw_dir) / "sglang-observability"
    record = root / "telemetry" / "inference" / "sglang-30000.json"
    if record.exists():
        record.unlink()  # a record of an earlier run (stopped): the killed run's must be seen appearing
    assert kill_when(["playbooks/verify.yml", "--tags", "phase3"], record), "phase 3 ended before its server started"
    orphan = json.loads(record.read_text())
    container = docker.from_env().containers.get("sglang-dev-dryrun")
    assert str(orphan["pid"]) in container.exec_run(["ps", "-eo", "pid="]).output.decode().split()  # it goes on

    rc, out = playbook("playbooks/verify.yml", "--tags", "phase3", "-e", "report_dir=%s" % (tmp_path / "next"))
    host, seen = check(tmp_path / "next", "server starts without CLI or context-length errors")
    assert rc == 0 and host["phases"]["phase3"]["verdict"] == "passed", out[-3000:]
    assert seen["detail"].startswith("pid %d, " % orphan["pid"]), (orphan, seen)  # adopted, not a second server
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 30000), timeout=2).close()
