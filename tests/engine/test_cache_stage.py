"""gh200.sglang.cache_stage on the real engine: a stage builds under its lock, a second ensure is free, a
changed input rebuilds naming it; failures, timeouts and a container killed mid-stage are recorded with the
lock released and removed; a held lock is refused naming its holder; stages at once keep both entries;
bad input is one clear error with nothing written."""
import json
import os
import pwd
import re
import subprocess
import sys
import time

import pytest

from conftest import MODEL, bed_ids, finish, start_container

# A stand-in stage command: writes artifacts into its working directory (the stage's cache folder).
BUILD = ("import os, sys; os.makedirs('kernels', exist_ok=True); "
         "open('kernels/k-%s.bin' % sys.argv[2], 'wb').write(b'x' * 64); print('compiled', sys.argv[1], sys.argv[2])")
SLOW = "import sys, time; print('started', flush=True); time.sleep(60)"
HOLD = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644); "
        "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'pid %d since 2026-11-22T10:00:00Z\\n' % os.getpid()); "
        "print('locked', flush=True); time.sleep(60)")


def args(container, tree, stage="inductor", command=None, **more):
    out = dict(stage=stage, model=MODEL, name=container.name, root=str(tree), host_user=host_user(), user="devuser",
               command=command or ["python3", "-c", BUILD, "{model_path}", "{tag}"], stage_args={"tag": "a"}, lock_wait=1)
    out.update(more)
    return out


def host_user():
    return pwd.getpwuid(bed_ids()[0]).pw_name


def listing(tree):
    out = []
    for dirpath, dirnames, filenames in os.walk(str(tree)):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            out.append((os.path.relpath(path, str(tree)), st.st_size, st.st_mtime_ns))
    return sorted(out)


def locks(tree):
    return [os.path.join(d, n) for d, dirs, files in os.walk(str(tree)) for n in files if n.endswith(".lock")]


def prep(tree):
    return json.loads((tree / "profiles" / "prep_result.json").read_text())["stages"]


def test_ensure_builds_once_then_is_free_and_a_changed_input_rebuilds(module, container, tree):
    uid, gid = bed_ids()
    before = listing(tree)
    rc, predicted = module("cache_stage", args(container, tree), check=True)
    assert rc == 0 and predicted["changed"] and predicted["decision"] == "would run", predicted
    assert predicted["reason"] == "no valid signature" and listing(tree) == before

    rc, built = module("cache_stage", args(container, tree))
    assert rc == 0 and built["changed"] and built["status"] == "ok", built
    stage = tree / "profiles" / "inductor"
    assert prep(tree)["inductor"]["status"] == "ok" and prep(tree)["inductor"]["artifacts"] == 1
    assert prep(tree)["inductor"]["signature"] == built["signature"]
    assert (stage / "kernels" / "k-a.bin").stat().st_uid == uid and (stage / "signature.json").stat().st_uid == uid
    assert "compiled /models/standin/tiny-model a" in (stage / "compile.log").read_text()
    assert locks(tree) == []
    signature = json.loads((stage / "signature.json").read_text())
    assert signature["artifacts"] == ["kernels/k-a.bin"] and signature["inputs"]["image_id"] == container.attrs["Image"]
    assert signature["inputs"]["env"] == {"TORCHINDUCTOR_CACHE_DIR": "/profiles/inductor", "TRITON_CACHE_DIR": "/profiles/inductor/triton"}

    state = listing(tree)
    started = time.monotonic()
    rc, again = module("cache_stage", args(container, tree))
    assert rc == 0 and not again["changed"] and again["decision"] == "kept", again
    assert again["reason"] == "signature matches and its 1 artifact is present"
    assert again["recorded"]["status"] == "ok"
    assert again["artifacts"] == {"count": 1, "bytes": 64, "wrong_owner": [], "wrong_owner_count": 0}
    assert listing(tree) == state
    rc, checked = module("cache_stage", args(container, tree), check=True)
    assert rc == 0 and not checked["changed"]
    assert time.monotonic() - started < 60

    config = tree / "models" / MODEL / "config.json"
    config.write_text(json.dumps(dict(json.loads(config.read_text()), rope_theta=5.0)))
    state = listing(tree)
    rc, predicted = module("cache_stage", args(container, tree), check=True)
    assert predicted["reason"] == "signature mismatch: model_config changed" and listing(tree) == state
    rc, rebuilt = module("cache_stage", args(container, tree))
    assert rc == 0 and rebuilt["changed"] and rebuilt["reason"] == "signature mismatch: model_config changed"

    rc, rebuilt = module("cache_stage", args(container, tree, stage_args={"tag": "b"}))
    assert rebuilt["changed"] and rebuilt["reason"] == "signature mismatch: argv changed"
    assert json.loads((stage / "signature.json").read_text())["artifacts"] == ["kernels/k-a.bin", "kernels/k-b.bin"]

    (stage / "kernels" / "k-a.bin").unlink()
    rc, rebuilt = module("cache_stage", args(container, tree, stage_args={"tag": "b"}))
    assert rebuilt["changed"] and rebuilt["reason"] == "1 recorded artifact missing or changed, first: kernels/k-a.bin (missing)"
    (stage / "kernels" / "k-b.bin").write_bytes(b"y")  # truncated: 64 bytes recorded
    os.chown(str(stage / "kernels" / "k-b.bin"), uid, gid)
    rc, rebuilt = module("cache_stage", args(container, tree, stage_args={"tag": "b"}))
    assert rebuilt["changed"] and rebuilt["reason"] == (
        "1 recorded artifact missing or changed, first: kernels/k-b.bin (64 -> 1 bytes)")

    rc, forced = module("cache_stage", args(container, tree, stage_args={"tag": "b"}, state="rebuild"))
    assert forced["changed"] and forced["reason"] == "state=rebuild" and locks(tree) == []


@pytest.mark.parametrize("command, timeout, status, named, built_before", [
    (["python3", "-c", "print('building'); raise SystemExit('error: kernel gh200 failed')"], 60, "failed",
     "failed (exit 1) after", True),
    (["python3", "-c", SLOW], 2, "timeout", "timeout (exit 124) after", True),  # and its one retry
    # An empty cache folder after a successful command is a failure (a cache that was built before may
    # legitimately gain nothing from a rebuild).
    (["python3", "-c", "print('nothing to do')"], 60, "failed", "the command succeeded but left no artifact in /profiles/inductor",
     False),
])
def test_a_failed_stage_is_recorded_its_lock_removed_and_the_next_ensure_rebuilds(module, container, tree, command, timeout,
                                                                                  status, named, built_before):
    if built_before:
        rc, good = module("cache_stage", args(container, tree))
        assert rc == 0 and good["status"] == "ok"
    rc, failed = module("cache_stage", args(container, tree, command=command, timeout=timeout))
    assert rc != 0 and failed["failed"] and named in failed["msg"] and "\n" not in failed["msg"], failed
    entry = prep(tree)["inductor"]
    assert entry["status"] == status and entry["errors"], entry
    if status == "failed" and "exit 1" in named:
        assert entry["errors"][0] == "error: kernel gh200 failed"
    assert locks(tree) == [] and not (tree / "profiles" / "inductor" / "signature.json").exists()
    rc, again = module("cache_stage", args(container, tree))
    assert rc == 0 and again["changed"] and again["reason"] == "no valid signature" and prep(tree)["inductor"]["status"] == "ok"


def test_a_container_killed_mid_stage_is_a_failure_with_the_lock_removed(module, container, tree):
    proc = module("cache_stage", args(container, tree, stage="deep_gemm", command=["python3", "-c", SLOW]), background=True)
    log = tree / "profiles" / "deep_gemm" / "compile.log"
    deadline = time.time() + 120
    while not (log.exists() and "started" in log.read_text()):
        assert time.time() < deadline and proc.poll() is None, "the stage never started"
        time.sleep(0.5)
    assert len(locks(tree)) == 1
    container.kill()
    rc, result = finish(proc)
    assert rc != 0 and "container %s stopped during the stage" % container.name in result["msg"], result
    assert prep(tree)["deep_gemm"]["status"] == "failed" and locks(tree) == []


def test_a_held_lock_is_refused_naming_its_holder_and_lock_cleanup_leaves_it(module, container, tree):
    path = tree / "profiles" / "deep_gemm" / ".lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = listing(tree)
        rc, result = module("cache_stage", args(container, tree, stage="deep_gemm"))
        assert rc != 0 and result["msg"] == "stage deep_gemm: %s is held by pid %d since 2026-11-22T10:00:00Z; gave up after 1s" % (
            path, holder.pid), result
        assert listing(tree) == before
        rc, cleaned = module("lock_cleanup", {"root": str(tree), "host_user": host_user()})
        assert rc == 0 and not cleaned["changed"] and [h["path"] for h in cleaned["held"]] == [str(path)]
    finally:
        holder.kill()
        holder.wait()
    rc, cleaned = module("lock_cleanup", {"root": str(tree), "host_user": host_user()})
    assert cleaned["changed"] and cleaned["removed"] == [str(path)] and locks(tree) == []
    rc, result = module("cache_stage", args(container, tree, stage="deep_gemm"))
    assert rc == 0 and result["status"] == "ok"


def test_two_stages_started_at_once_keep_both_entries(module, container, tree):
    procs = [module("cache_stage", args(container, tree, stage=s), background=True) for s in ("flashinfer", "deep_gemm")]
    results = [finish(p) for p in procs]
    assert all(rc == 0 and r["status"] == "ok" for rc, r in results), results
    assert sorted(prep(tree)) == ["deep_gemm", "flashinfer"] and locks(tree) == []


def test_skip_records_the_stage_once(module, container, tree):
    rc, skipped = module("cache_stage", args(container, tree, state="skip"))
    assert rc == 0 and skipped["changed"] and prep(tree)["inductor"]["status"] == "skipped", skipped
    rc, again = module("cache_stage", args(container, tree, state="skip"))
    assert rc == 0 and not again["changed"]


@pytest.mark.parametrize("change, msg", [
    ({"stage": "vllm"}, "value of stage must be one of: flashinfer, inductor, deep_gemm, moe, got: vllm"),
    ({"stage_args": {"tag": "../../etc"}}, "stage inductor: stage argument tag='../../etc' is not allowed"),
    ({"model": "standin/absent-model"}, "stage inductor: model directory {tree}/models/standin/absent-model does not exist"),
    ({"command": ["python3", "{nope}"]}, "stage inductor: stage inductor: command item '{{nope}}' names {{nope}}"),
    ({"stopped": True}, "container {name} is exited: start it before the inductor stage"),
    ({"timeout": 0}, "stage inductor: timeout must be 1 second or more (0 would run the command without a limit), got 0"),
    ({"lock_wait": "nan"}, "stage inductor: lock_wait must be a finite number of seconds, 0 or more, got nan"),
    ({"quiet_timeout": -1}, "stage inductor: quiet_timeout must be 0 (no bound) or more seconds, got -1"),
    ({"model": "standin/tiny-model\n"}, "stage inductor: "),
])
def test_bad_input_is_one_clear_error_and_nothing_written(module, container, tree, change, msg):
    change = dict(change)
    if change.pop("stopped", False):
        container.stop(timeout=1)
    before = listing(tree)
    rc, result = module("cache_stage", dict(args(container, tree), **change))
    assert rc != 0 and result["msg"].startswith(msg.format(tree=tree, name=container.name)), result["msg"]
    assert "\n" not in result["msg"] and listing(tree) == before


def test_reset_empties_the_folder_under_the_lock_and_rebuilds_from_nothing(module, container, tree, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.bin").write_text("keep")
    rc, built = module("cache_stage", args(container, tree))
    assert rc == 0 and built["status"] == "ok"
    stage = tree / "profiles" / "inductor"
    (stage / "stale").mkdir()
    (stage / "stale" / "old.so").write_text("old")
    (stage / "escape").symlink_to(outside)
    rc, predicted = module("cache_stage", args(container, tree, reset=True), check=True)
    assert predicted["changed"] and predicted["reason"] == "reset=true" and (stage / "stale" / "old.so").exists()
    rc, rebuilt = module("cache_stage", args(container, tree, reset=True, stage_args={"tag": "c"}))
    assert rc == 0 and rebuilt["status"] == "ok" and rebuilt["reason"] == "reset=true"
    assert sorted(os.listdir(str(stage))) == ["compile.log", "kernels", "signature.json"]
    assert os.listdir(str(stage / "kernels")) == ["k-c.bin"] and (outside / "keep.bin").read_text() == "keep"


def test_a_stage_that_runs_first_removes_what_its_signature_does_not_vouch_for(module, container, tree):
    """A half-built cache (a stage killed with its controller) or a planted file is never signed by the next build:
    the signed artifacts stay for the command to build on, the rest goes first (issue 24, faults 2 and 3)."""
    uid, gid = bed_ids()
    rc, built = module("cache_stage", args(container, tree))
    assert rc == 0 and built["status"] == "ok"
    stage = tree / "profiles" / "inductor"
    signed = (stage / "kernels" / "k-a.bin").stat()
    (stage / "half").mkdir()
    for rel in ("kernels/planted.so", "half/partial.bin", "kernels/live.bin"):
        (stage / rel).write_bytes(b"not built by a stage")
        os.chown(str(stage / rel), uid, gid)
        if rel != "kernels/live.bin":  # written before this container started (the live file: by a process in it)
            os.utime(str(stage / rel), (time.time() - 3600, time.time() - 3600))
    rc, rebuilt = module("cache_stage", args(container, tree, stage_args={"tag": "b"}))
    assert rc == 0 and rebuilt["reason"] == "signature mismatch: argv changed", rebuilt
    assert json.loads((stage / "signature.json").read_text())["artifacts"] == [
        "kernels/k-a.bin", "kernels/k-b.bin", "kernels/live.bin"]
    assert (stage / "kernels" / "k-a.bin").stat().st_mtime_ns == signed.st_mtime_ns  # built on, not rebuilt
    assert not (stage / "half").exists() and prep(tree)["inductor"]["unsigned_removed"] == 2

    # Killed mid-stage with an earlier container: no signature, so nothing written before this container started is
    # vouched for, and the next build starts from an empty folder.
    (stage / "signature.json").unlink()
    for path in (stage / "kernels").iterdir():
        os.utime(str(path), (time.time() - 3600, time.time() - 3600))
    rc, again = module("cache_stage", args(container, tree, stage_args={"tag": "c"}))
    assert rc == 0 and again["reason"] == "no valid signature", again
    assert json.loads((stage / "signature.json").read_text())["artifacts"] == ["kernels/k-c.bin"]
    assert prep(tree)["inductor"]["unsigned_removed"] == 3 and locks(tree) == []


def test_a_stage_that_waited_for_its_lock_records_the_command_times_not_the_wait(module, container, tree):
    path = tree / "profiles" / "inductor" / ".lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        proc = module("cache_stage", args(container, tree, lock_wait=60), background=True)
        time.sleep(4)
        assert proc.poll() is None  # still waiting for the lock
    finally:
        holder.kill()
        holder.wait()
    released = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(time.time())))
    rc, result = finish(proc)
    assert rc == 0 and result["status"] == "ok", result
    assert result["entry"]["started"] >= released and result["entry"]["duration_s"] < 4, result["entry"]


# Times out on its first attempt (it only marks that it began), resumes on the next, as a DeepGEMM compile
# resumes from its cache.
RESUMES = ("import os, time; os.makedirs('kernels', exist_ok=True)\n"
           "if not os.path.exists('kernels/began'):\n    open('kernels/began', 'w').close(); print('began', flush=True); time.sleep(60)\n"
           "print('resumed'); open('kernels/k.bin', 'wb').write(b'x')")


@pytest.mark.parametrize("retries, status", [(1, "ok"), (0, "timeout")])
def test_a_timeout_runs_the_stage_again_under_the_same_lock(module, container, tree, retries, status):
    rc, result = module("cache_stage", args(container, tree, stage="deep_gemm", command=["python3", "-c", RESUMES],
                                            timeout=2, timeout_retries=retries))
    entry = prep(tree)["deep_gemm"]
    assert entry["status"] == status and entry["attempts"] == retries + 1, entry
    log = (tree / "profiles" / "deep_gemm" / "compile.log").read_text()
    assert log.count("# gh200.sglang cache_stage deep_gemm") == retries + 1
    assert ("attempt 2 after a timeout" in log and "resumed" in log) == (status == "ok")
    assert (rc == 0) == (status == "ok") and locks(tree) == []
    if status != "ok":
        assert result["msg"].startswith("stage deep_gemm: timeout (exit 124) after"), result["msg"]


MOE = ["standin-stage", "moe", "--model-path", "{model_path}", "--tp-size", "{tp_size}"]


def test_the_tuned_moe_config_is_filed_where_sglang_reads_it_under_the_container_name(module, container, tree):
    uid, gid = bed_ids()
    rc, result = module("cache_stage", args(container, tree, stage="moe", command=MOE, stage_args={"tp_size": 1}))
    assert rc == 0 and result["status"] == "ok", result
    stage = tree / "profiles" / "moe_configs"
    versions = json.loads((stage / "signature.json").read_text())["inputs"]["versions"]
    folder = stage / "configs" / ("triton_" + versions["triton"].replace(".", "_"))
    names = os.listdir(str(folder))
    assert len(names) == 1 and names[0].startswith("E=") and names[0].endswith(",device_name=NVIDIA_GH200_480GB.json")
    assert folder.stat().st_uid == uid and (folder / names[0]).stat().st_uid == uid
    assert not [n for n in os.listdir(str(stage)) if n.endswith(".json") and n.startswith("E=")]
    assert json.loads((folder / names[0]).read_text())
    rc, again = module("cache_stage", args(container, tree, stage="moe", command=MOE, stage_args={"tp_size": 1}))
    assert rc == 0 and again["decision"] == "kept"


def test_a_tuned_name_this_sglang_would_not_read_fails_the_stage_naming_both(module, container, tree):
    wrong = "E=8,N=64,device_name=NVIDIA_H100_80GB_HBM3.json"
    command = ["python3", "-c", "open('%s', 'w').write('1')" % wrong]
    rc, result = module("cache_stage", args(container, tree, stage="moe", command=command))
    assert rc != 0 and result["msg"].startswith("stage moe: failed (exit 0) after"), result["msg"]
    assert "the tuner wrote %s, but this SGLang reads E=8,N=64,device_name=NVIDIA_GH200_480GB.json" % wrong in result["msg"]
    assert prep(tree)["moe"]["status"] == "failed" and not (tree / "profiles" / "moe_configs" / "configs").exists()
    assert locks(tree) == [] and not (tree / "profiles" / "moe_configs" / "signature.json").exists()


def test_another_image_invalidates_the_signature_naming_the_image(module, container, tree, engine):
    rc, built = module("cache_stage", args(container, tree))
    assert rc == 0 and built["status"] == "ok", built
    image = container.commit(repository="gh200-engine-test-image", tag=container.name[-8:])  # same files, another id
    other = engine.containers.run(
        image.id, entrypoint=["sleep", "infinity"], name=container.name + "-other", detach=True, network_mode="none",
        mounts=container.attrs["HostConfig"]["Mounts"])
    try:
        state = listing(tree)
        rc, predicted = module("cache_stage", args(other, tree), check=True)
        assert predicted["decision"] == "would run" and predicted["reason"] == "signature mismatch: image_id changed", predicted
        assert listing(tree) == state
        rc, rebuilt = module("cache_stage", args(other, tree))
        assert rc == 0 and rebuilt["reason"] == "signature mismatch: image_id changed" and rebuilt["status"] == "ok"
    finally:
        other.remove(force=True)
        engine.images.remove(image.id, force=True)


# Waits while a torch FileBaton ("lock", held by existence) is in its build folder, as torch's cpp_extension does,
# then builds: a baton nobody will ever delete makes it wait until the stage's time limit.
WAITS_ON_BATON = ("import os, time; os.makedirs('build', exist_ok=True)\n"
                  "while os.path.exists('build/lock'): time.sleep(0.2)\n"
                  "os.makedirs('kernels', exist_ok=True); open('kernels/k.bin', 'wb').write(b'x' * 64); print('built')")


def test_a_baton_left_by_a_build_killed_with_an_earlier_container_is_removed_a_newer_one_is_waited_on(module, container, tree):
    uid, gid = bed_ids()
    build = tree / "profiles" / "inductor" / "build"
    build.mkdir()
    baton = build / "lock"
    baton.write_text("")
    os.chown(str(build), uid, gid)
    os.chown(str(baton), uid, gid)
    os.utime(str(baton), (time.time() - 3600, time.time() - 3600))  # written before this container started
    rc, result = module("cache_stage", args(container, tree, command=["python3", "-c", WAITS_ON_BATON], timeout=60))
    assert rc == 0 and result["status"] == "ok", result
    assert result["entry"]["stale_batons_removed"] == ["build/lock"] and not baton.exists()
    baton.write_text("")  # a baton written now, after the container started: a build in it may hold it
    os.chown(str(baton), uid, gid)
    rc, result = module("cache_stage", args(container, tree, command=["python3", "-c", WAITS_ON_BATON], timeout=3,
                                            timeout_retries=0, state="rebuild"))
    assert rc != 0 and result["entry"]["status"] == "timeout" and baton.exists(), result
    assert result["entry"]["stale_batons_removed"] == []


@pytest.mark.parametrize("baton", [True, False])
def test_a_stage_quiet_past_its_bound_is_stopped_naming_the_baton_it_waits_on(module, container, tree, baton):
    uid, gid = bed_ids()
    build = tree / "profiles" / "inductor" / "build"
    if baton:  # written after the container started: a live build may hold it, so it is waited on, not removed
        build.mkdir()
        (build / "lock").write_text("")
        for path in (build, build / "lock"):
            os.chown(str(path), uid, gid)
        # Its time a second on: the file clock is coarser than the container's start time, and "written now" must not
        # read as "before the container started".
        os.utime(str(build / "lock"), (time.time() + 1,) * 2)
    command = ["python3", "-c", WAITS_ON_BATON if baton else SLOW]
    rc, result = module("cache_stage", args(container, tree, command=command, timeout=120, quiet_timeout=3))
    entry = prep(tree)["inductor"]
    assert rc != 0 and entry["status"] == "failed" and entry["attempts"] == 1 and entry["duration_s"] < 60, result
    assert entry["quiet"].startswith("no output for 3 s (the stage's quiet_timeout is 3 s), so it was stopped; "), entry
    if baton:
        assert entry["quiet"].endswith("it waits on build/lock (a build's baton, held while it exists, written %s)"
                                       % time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime((build / "lock").stat().st_mtime)))
    else:
        assert "no lock file or baton is in its folder" in entry["quiet"]
    assert result["msg"].startswith("stage inductor: failed (exit 143) after ") and result["msg"].endswith(entry["quiet"])
    assert entry["errors"] == [entry["quiet"]] and locks(tree) == [] and (build / "lock").exists() == baton
    log = (tree / "profiles" / "inductor" / "compile.log").read_text()
    assert "gh200.sglang stage pid" not in log and log.endswith("gh200.sglang: %s\n" % entry["quiet"]), log
    assert ("started" in log) != baton  # the command's own output is kept
    assert not [p for p in container.top()["Processes"] if "time.sleep" in " ".join(p)], container.top()


# Writes 1 MiB of kernels into the stage's folder, and when that finds no space, says so three times (each line longer
# than a page, so each is a write to compile.log that needs space on the full disk) and fails; FILL_ALL writes until the disk is full and still exits 0.
FILL = ("import os, sys, time\nos.makedirs('kernels', exist_ok=True)\ntry:\n    open('kernels/big.bin', 'wb').write(b'x' * (1 << 20))\n"
        "except OSError as exc:\n    for n in range(3):\n        print('no room:', exc, '.' * 8192, flush=True)\n        time.sleep(0.2)\n"
        "    sys.exit(1)\nprint('done')\n")
# (silently: a line of output would be the first write to find the disk full, in compile.log).
FILL_ALL = ("import os\nos.makedirs('kernels', exist_ok=True)\ntry:\n    with open('kernels/big.bin', 'wb') as f:\n"
            "        while True:\n            f.write(b'x' * 4096)\n            f.flush()\nexcept OSError:\n    pass\n")


@pytest.fixture
def small_disk(tree):
    """A size-limited tmpfs for a folder of the tree, mounted before the container starts (its bind mount shows it);
    resized later (a remount changes the filesystem the container sees too); unmounted at the end."""
    mounted = []

    def mount(rel, size):
        target = tree / rel
        saved = [(p.name, p.is_dir()) for p in target.iterdir()]
        uid, gid = bed_ids()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755,uid=%d,gid=%d" % (size, uid, gid), "tmpfs", str(target)], check=True)
        for name, is_dir in saved:  # the folders the tmpfs hides, made again on it
            if is_dir:
                (target / name).mkdir()
                os.chown(str(target / name), uid, gid)
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], check=False)


def resize(target, size):
    subprocess.run(["mount", "-o", "remount,size=%s" % size, str(target)], check=True)


def test_a_full_stage_folder_fails_the_stage_naming_it_and_its_free_space_and_the_next_run_with_space_rebuilds_it(
        module, tree, small_disk, engine):
    target = small_disk("profiles/inductor", "64k")
    container = start_container(engine, tree)
    try:
        rc, other = module("cache_stage", args(container, tree, stage="flashinfer"))
        assert rc == 0 and other["status"] == "ok", other
        kept = (prep(tree)["flashinfer"], (tree / "profiles" / "flashinfer" / "signature.json").read_bytes())
        rc, full = module("cache_stage", args(container, tree, command=["python3", "-c", FILL]))
        # One line: the stage failed, then the space (the rest is the stage's own first line, as much as its log kept).
        assert full["msg"].startswith("stage inductor: failed (exit 1) after ") and "\n" not in full["msg"], full["msg"]
        assert ": no space left on the device of %s (0 KiB free of 64 KiB); " % target in full["msg"], full["msg"]
        assert prep(tree)["inductor"]["status"] == "failed" and prep(tree)["inductor"]["disk"].startswith("no space left")
        assert (prep(tree)["flashinfer"], (tree / "profiles" / "flashinfer" / "signature.json").read_bytes()) == kept
        assert not (target / "signature.json").exists() and locks(tree) == []
        resize(target, "4m")  # space again: the next ensure rebuilds that stage only
        rc, again = module("cache_stage", args(container, tree, command=["python3", "-c", FILL]))
        assert rc == 0 and again["status"] == "ok" and again["decision"] == "ran", again
        rc, other = module("cache_stage", args(container, tree, stage="flashinfer"))
        assert rc == 0 and other["decision"] == "kept", other
    finally:
        container.remove(force=True)


def test_a_full_profiles_disk_while_writing_prep_result_keeps_it_whole_and_says_so(module, tree, small_disk, engine):
    profiles = small_disk("profiles", "1m")
    container = start_container(engine, tree)
    try:
        rc, built = module("cache_stage", args(container, tree))  # inductor, small: its entry must survive
        assert rc == 0 and built["status"] == "ok", built
        before = (profiles / "prep_result.json").read_bytes()
        rc, full = module("cache_stage", args(container, tree, stage="flashinfer", command=["python3", "-c", FILL_ALL]))
        assert rc != 0 and "\n" not in full["msg"], full
        # The first write to find no space is prep_result.json's (or its lock's holder line): either is named.
        assert re.match(r"stage flashinfer: no space left on the device of %s/flashinfer \(\d+ KiB free of 1024 KiB\), "
                        r"writing %s/prep_result\.json" % (re.escape(str(profiles)), re.escape(str(profiles))), full["msg"]), full["msg"]
        assert full["msg"].endswith("; prep_result.json and the other stages' signatures are whole")
        assert (profiles / "prep_result.json").read_bytes() == before  # whole: the write never replaced it
        assert [n for n in os.listdir(str(profiles)) if n.startswith(".prep_result")] == []  # no temporary file left
        assert not (profiles / "flashinfer" / "signature.json").exists() and locks(tree) == []
        resize(profiles, "8m")
        os.unlink(str(profiles / "flashinfer" / "kernels" / "big.bin"))
        rc, again = module("cache_stage", args(container, tree, stage="flashinfer"))
        assert rc == 0 and again["status"] == "ok", again
        rc, kept = module("cache_stage", args(container, tree))
        assert rc == 0 and kept["decision"] == "kept", kept
    finally:
        container.remove(force=True)
