"""The race harness (issue 23): while each way root-run code writes into the host tree runs many times, another
process swaps the folders it works in for symlinks to a canary folder outside the tree, in a tight loop. The
canary's files, modes and owners must be unchanged, and every run must end in success or one clear line
(PathProblem, or 'No such file or directory' while the folder is away), never anything else. Each operation must
meet the link several times and also succeed, or the race did not happen and the test fails."""
import errno
import hashlib
import multiprocessing
import os
import shutil
import time

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _files, _locks, _prep

REFUSALS = 10  # times each operation must meet the link (and be refused) for the race to count
DEADLINE = 30  # seconds at most per swapped folder
OWNER = (4242, 4242)  # the host user the writes give files to; the canary belongs to root


def canary_state(folder):
    """(path, mode, uid, gid, content digest) of everything under the canary."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            digest = None
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            out.append((os.path.relpath(path, folder), info.st_mode, info.st_uid, info.st_gid, digest))
    return sorted(out)


def plant_canary(folder):
    """Files named as the tree's own (a lock, a signature, a log, a record, a build folder), root's, 0600."""
    os.makedirs(os.path.join(folder, "build", "deep"))
    for rel in (".lock", "signature.json", "compile.log", "prep_result.json", "prep_result.json.lock", "pointer.env",
                "x.lock", "build/deep/kernel.so", "build/deep/lock"):
        with open(os.path.join(folder, rel), "w") as handle:
            handle.write("canary %s\n" % rel)
        os.chmod(os.path.join(folder, rel), 0o600)
    os.chmod(folder, 0o700)


def _put_back(folder, aside):
    """Move the real folder back in place of the link (a folder the code under test made meanwhile goes)."""
    while True:
        try:
            if os.path.islink(folder):
                os.unlink(folder)
            elif os.path.isdir(folder):
                shutil.rmtree(folder)
            os.rename(aside, folder)
            return
        except OSError:
            continue


def swap_loop(folder, canary, stop, swaps):
    """Swap ``folder`` for a symlink to ``canary`` and back, as fast as it goes, until ``stop`` is set; ``swaps``
    counts the times the link was in place."""
    aside = folder + ".aside"
    while not stop.is_set():
        try:
            os.rename(folder, aside)
        except OSError:
            continue
        try:
            if os.path.isdir(folder) and not os.path.islink(folder):
                shutil.rmtree(folder)  # the code under test made the folder again while it was away
            os.symlink(canary, folder)
            swaps.value += 1
        except OSError:
            pass
        _put_back(folder, aside)
        time.sleep(0.001)  # the real folder stays a moment, so an operation also meets it whole


@pytest.fixture
def race(tmp_path):
    """(root, stage folder, run): run(operation, swapped) calls operation() again and again while each folder of
    ``swapped`` in turn is swapped for a link to the canary, until the operation has been refused (it met the link)
    REFUSALS times and has succeeded (it met the real folder) once, or for at most DEADLINE seconds; then the canary
    must be as it was, and the folder back in place."""
    root = tmp_path / "root"
    stage = root / "profiles" / "inductor"
    stage.mkdir(parents=True)
    canary = tmp_path / "canary"
    plant_canary(str(canary))
    before = canary_state(str(canary))

    def run(operation, swapped):
        for folder in swapped:
            outcomes = {"ok": 0, "refused": 0, "os error": 0}
            stop, swaps = multiprocessing.Event(), multiprocessing.Value("i", 0)
            swapper = multiprocessing.Process(target=swap_loop, args=(str(folder), str(canary), stop, swaps))
            swapper.start()
            deadline = time.time() + DEADLINE
            try:
                while (outcomes["refused"] < REFUSALS or not outcomes["ok"]) and time.time() < deadline:
                    try:
                        operation()
                        outcomes["ok"] += 1
                    except _files.PathProblem as exc:  # one line naming the path and the cause
                        assert str(exc) and "\n" not in str(exc)
                        outcomes["refused"] += 1
                    except OSError as exc:  # the folder was away (renamed aside) at that moment
                        assert exc.errno == errno.ENOENT, exc
                        outcomes["os error"] += 1
            finally:
                stop.set()
                swapper.join(10)
            assert canary_state(str(canary)) == before, "the canary outside the tree changed"
            assert not os.path.islink(str(folder)) and os.path.isdir(str(folder))
            assert outcomes["refused"] >= REFUSALS and outcomes["ok"], (folder, outcomes, swaps.value)

    return str(root), str(stage), run


def test_atomic_writes_never_land_outside_the_tree(race):
    root, stage, run = race
    run(lambda: _files.atomic_write(os.path.join(stage, "signature.json"), b"{}\n", 0o644, *OWNER, root=root),
        swapped=(stage, os.path.dirname(stage)))


def test_folders_made_and_emptied_never_reach_outside_the_tree(race):
    root, stage, run = race
    rel = _files.relative(root, stage)

    def make_and_empty():
        _files.ensure_dirs(root, rel + "/build/deep", *OWNER)
        _files.remove_contents(root, rel, keep=(".lock",))

    run(make_and_empty, swapped=(stage, os.path.dirname(stage)))


def test_lock_files_taken_released_and_cleaned_never_reach_outside_the_tree(race):
    root, stage, run = race

    def lock_cycle():
        with _locks.acquire(os.path.join(stage, ".lock"), wait=0, root=root):
            _files.open_for_write(os.path.join(stage, "x.lock"), root, *OWNER).close()  # an orphan for clean
        _locks.clean(os.path.dirname(stage), root=root)

    run(lock_cycle, swapped=(stage, os.path.dirname(stage)))


def test_logs_records_and_unlinks_never_reach_outside_the_tree(race):
    root, stage, run = race
    rel = _files.relative(root, stage)

    def stage_writes():
        with _files.open_for_write(os.path.join(stage, "compile.log"), root, *OWNER) as log:
            log.write(b"compiling\n")
        _prep.update(os.path.join(stage, "prep_result.json"), "inductor", {"status": "ok"}, *OWNER, wait=0, root=root)
        _files.unlink_under(root, rel + "/signature.json")
        _files.unlink_under(root, rel + "/build/deep/lock")

    run(stage_writes, swapped=(stage, os.path.dirname(stage)))
