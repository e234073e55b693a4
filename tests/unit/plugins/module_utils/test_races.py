"""The race harness (issue 23): while each way root-run code writes into the host tree runs many times, another
process swaps the folders it works in for symlinks to a canary folder outside the tree, in a tight loop. The
canary's files, modes and owners must be unchanged, and every run must end in success or one clear line
(PathProblem, or 'No such file or directory' while the folder is away), never anything else. Each operation must
meet the link several times and also succeed, or the race did not happen and the test fails."""
import errno
import multiprocessing
import os
import sys
import time

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _files, _locks, _prep
from ansible_collections.gh200.sglang.plugins.modules import lock_cleanup, prometheus_scrape

REFUSALS = 10  # times each operation must meet the link (and be refused) for the race to count
DEADLINE = 30  # seconds at most per swapped folder
PASSING_TIME = 3  # seconds an operation that is never refused (it passes links by) races at least, per folder
OWNER = (4242, 4242)  # the host user the writes give files to; the canary belongs to root

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", ".."))  # tests/: the harness the engine suite shares
from race_harness import canary_state, plant_canary, swap_loop  # noqa: E402


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

    def run(operation, swapped, refusals=REFUSALS):
        """``refusals``: how many times the operation must be refused; 0 for one that passes a link by (a walk
        that does not follow it), which must then have run REFUSALS times while the link was put in place."""
        for folder in swapped:
            outcomes = {"ok": 0, "refused": 0, "os error": 0}
            stop, swaps = multiprocessing.Event(), multiprocessing.Value("i", 0)
            swapper = multiprocessing.Process(target=swap_loop, args=(str(folder), str(canary), stop, swaps))
            swapper.start()
            deadline = time.time() + DEADLINE
            try:
                at_least = time.time() + (0 if refusals else PASSING_TIME)
                while (outcomes["refused"] < refusals or not outcomes["ok"] or sum(outcomes.values()) < REFUSALS
                       or swaps.value < REFUSALS or time.time() < at_least) and time.time() < deadline:
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
            assert outcomes["refused"] >= refusals and outcomes["ok"] and swaps.value >= REFUSALS, (folder, outcomes, swaps.value)

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


# The modules end to end, as Ansible runs them (main() with its arguments): a failed run is one line.
def module_run(run_module, main, args):
    """An operation for ``run``: the module's main(); a failure must be one line, raised as the harness counts it."""
    def operation():
        code, result = run_module(main, args)
        if code == 0:
            return
        msg = result["msg"]
        assert "\n" not in msg and "Traceback" not in msg, msg
        if "No such file or directory" in msg:
            raise OSError(errno.ENOENT, msg)
        raise _files.PathProblem(msg)
    return operation


def test_lock_cleanup_never_removes_a_lock_outside_the_tree(race, run_module):
    root, stage, run = race
    cleanup = module_run(run_module, lock_cleanup.main, {"root": root})

    def orphan_then_cleanup():
        try:
            _files.open_for_write(os.path.join(stage, "x.lock"), root, *OWNER).close()  # an orphan for it to remove
        except (_files.PathProblem, OSError):
            pass  # the stage folder was a link or away at that moment: the walk below meets it so
        cleanup()

    # The walk passes a linked folder by (it follows no link), so it is never refused: it must run while links are
    # put in place, and the canary's own *.lock files, orphans all, must still be there.
    run(orphan_then_cleanup, swapped=(stage, os.path.dirname(stage)), refusals=0)


@pytest.fixture
def metrics_endpoint():
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  (the http.server name)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(b'sglang:num_requests_total{model_name="m"} 3\n')

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d/metrics" % server.server_address[1]
    server.shutdown()


def test_metrics_snapshots_never_land_outside_the_tree(race, run_module, metrics_endpoint):
    root, stage, run = race
    snapshots = os.path.join(root, "telemetry", "prometheus", "snapshots")
    os.makedirs(snapshots)
    scrape = module_run(run_module, prometheus_scrape.main, {"url": metrics_endpoint, "root": root, "name": "sglang"})
    run(scrape, swapped=(snapshots, os.path.dirname(snapshots)))
