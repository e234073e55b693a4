"""The race harness on the real engine (issue 23): modules as Ansible runs them against real containers, again and
again while a folder they write in is swapped for a symlink to a canary folder outside the tree (an atomic exchange,
as a process in the container could do it through the bind mount): cache_stage with reset (the stage folder), and
container_run starting and stopping a container (the manifest history, with the pointer beside it), and
sglang_server starting and stopping a server (the run's log folder: its --config YAML and log). The canary must
be unchanged, and every run must end in success or one failure line; the race must have met the link and also let
runs succeed."""
import multiprocessing
import os
import pwd
import sys
import time
import uuid

import pytest

from conftest import IMAGE, REPO, bed_ids
from test_cache_stage import args as stage_args
from test_sglang_server import args_for as server_args, free_port, server_container  # noqa: F401 pylint: disable=unused-import

sys.path.insert(0, str(REPO / "tests"))
from race_harness import canary_state, plant_canary, swap_loop  # noqa: E402

DEADLINE = 120  # seconds at most
REFUSED = 3  # runs that must have met the link


def race(module, runs_of, swapped, canary, link_time=0.002):
    """Run the (module, args) pairs ``runs_of(n)`` gives, n = 1, 2, ..., while ``swapped`` is swapped for a link to
    ``canary``, until REFUSED runs failed and one succeeded; check the canary and the outcomes."""
    before = canary_state(str(canary))
    stop, swaps = multiprocessing.Event(), multiprocessing.Value("i", 0)
    # The real folder stays longer than in the unit harness (a run through Ansible takes seconds and touches the
    # folder at many points): most runs then meet the link somewhere and are refused, and some get through.
    swapper = multiprocessing.Process(target=swap_loop, args=(str(swapped), str(canary), stop, swaps, link_time, 0.05))
    swapper.start()
    outcomes, runs, deadline = {"ok": 0, "failed": 0}, 0, time.time() + DEADLINE
    try:
        while (outcomes["failed"] < REFUSED or not outcomes["ok"]) and time.time() < deadline:
            runs += 1
            for name, args in runs_of(runs):
                rc, result = module(name, args)
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
    assert swapped.is_dir() and not swapped.is_symlink()
    assert outcomes["failed"] >= REFUSED and outcomes["ok"] and swaps.value > runs, (outcomes, swaps.value)


def test_a_stage_with_reset_never_reaches_a_folder_swapped_for_a_link(module, container, tree, tmp_path):
    plant_canary(str(tmp_path / "canary"))
    # A new tag each time: every run builds, with reset emptying the folder first.
    race(module, lambda n: [("cache_stage", stage_args(container, tree, stage_args={"tag": str(n)}, reset=True, lock_wait=0))],
         tree / "profiles" / "inductor", tmp_path / "canary")


@pytest.fixture
def container_name(engine):
    name = "gh200-engine-race-" + uuid.uuid4().hex[:8]
    yield name
    for c in engine.containers.list(all=True, filters={"name": name}):
        c.remove(force=True)


def test_container_starts_and_stops_never_reach_a_history_swapped_for_a_link(module, tree, tmp_path, container_name):
    plant_canary(str(tmp_path / "canary"))
    history = tree / "telemetry" / "container_runs"
    history.mkdir(parents=True)
    uid, gid = bed_ids()
    for path in (tree / "telemetry", history):
        os.chown(str(path), uid, gid)
    base = dict(root=str(tree), host_user=pwd.getpwuid(uid).pw_name, name=container_name, image=IMAGE, gpus="none",
                network_mode="none", ipc_mode="private", shm_size="64m", stop_timeout=2)
    race(module, lambda n: [("container_run", dict(base, recreate="always")), ("container_run", dict(base, state="stopped"))],
         history, tmp_path / "canary")


def test_server_starts_never_reach_a_log_folder_swapped_for_a_link(module, tree, tmp_path, server_container):
    container, run_id = server_container
    plant_canary(str(tmp_path / "canary"))
    port = free_port()
    args = server_args(tree, container, port, api_key="gh200-race-key")
    # Start (its --config YAML and log go in the run's log folder, its record beside the tree's others), then stop;
    # a start touches the folder at few points, so the link stays as long as the real folder.
    race(module, lambda n: [("sglang_server", dict(args, overrides=dict(args["overrides"], context_length=200 + n))),
                            ("sglang_server", dict(args, state="stopped"))],
         tree / "telemetry" / "logs" / ("container-run-%s" % run_id), tmp_path / "canary", link_time=0.05)
