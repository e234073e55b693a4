"""The race harness on the real engine (issue 23): cache_stage with reset, as Ansible runs it against a real dev
container, again and again while the stage folder is swapped for a symlink to a canary folder outside the tree (an
atomic exchange, as a process in the container could do it through the bind mount). The canary must be unchanged,
and every run must end in success or one failure line; the race must have met the link and also let a run succeed."""
import multiprocessing
import sys
import time

from conftest import REPO
from test_cache_stage import args

sys.path.insert(0, str(REPO / "tests"))
from race_harness import canary_state, plant_canary, swap_loop  # noqa: E402

DEADLINE = 120  # seconds at most
REFUSED = 3  # runs that must have met the link


def test_a_stage_with_reset_never_reaches_a_folder_swapped_for_a_link(module, container, tree, tmp_path):
    canary = tmp_path / "canary"
    plant_canary(str(canary))
    before = canary_state(str(canary))
    stage = tree / "profiles" / "inductor"
    stop, swaps = multiprocessing.Event(), multiprocessing.Value("i", 0)
    # The real folder stays longer than in the unit harness (a run through Ansible takes seconds and touches the
    # folder at many points): most runs then meet the link somewhere and are refused, and some get through.
    swapper = multiprocessing.Process(target=swap_loop, args=(str(stage), str(canary), stop, swaps, 0.002, 0.05))
    swapper.start()
    outcomes, runs, deadline = {"ok": 0, "failed": 0}, 0, time.time() + DEADLINE
    try:
        while (outcomes["failed"] < REFUSED or not outcomes["ok"]) and time.time() < deadline:
            runs += 1  # a new tag each time: every run builds, with reset emptying the folder first
            rc, result = module("cache_stage", args(container, tree, stage_args={"tag": str(runs)}, reset=True, lock_wait=0))
            if rc == 0:
                outcomes["ok"] += 1
                continue
            msg = result.get("msg", "")
            assert msg and "\n" not in msg and "Traceback" not in msg, result
            outcomes["failed"] += 1
    finally:
        stop.set()
        swapper.join(10)
    assert canary_state(str(canary)) == before, "the canary outside the tree changed"
    assert stage.is_dir() and not stage.is_symlink()
    assert outcomes["failed"] >= REFUSED and outcomes["ok"] and swaps.value > runs, (outcomes, swaps.value)
