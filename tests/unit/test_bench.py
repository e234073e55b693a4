"""The benchmark harness's arithmetic (benchmarks/bench.py): summaries, the lower bound, the recap, the verdicts."""
import importlib.util
import pathlib

SPEC = importlib.util.spec_from_file_location("bench", pathlib.Path(__file__).parents[2] / "benchmarks" / "bench.py")
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)


def test_summary_gives_median_and_spread():
    s = bench.summary([2.0, 1.0, 4.0])
    assert (s["median"], s["min"], s["max"], s["spread"], s["n"]) == (2.0, 1.0, 4.0, 1.5, 3)
    assert bench.summary([])["median"] is None


def test_the_lower_bound_is_one_host_or_all_the_cpu_over_the_cores():
    assert bench.lower_bound(100.0, 60.0, 1, 2) == 100.0
    assert bench.lower_bound(100.0, 60.0, 8, 2) == 240.0
    assert bench.ratio(300.0, 240.0) == 1.25 and bench.ratio(1.0, 0) is None


def test_recap_reads_every_host():
    out = ("PLAY RECAP ****\ngh200-sim-01               : ok=414  changed=21   unreachable=0    failed=0    skipped=59\n"
           "gh200-sim-02 : ok=3 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0\n")
    assert bench.recap(out) == {"gh200-sim-01": {"ok": 414, "changed": 21, "unreachable": 0, "failed": 0},
                                "gh200-sim-02": {"ok": 3, "changed": 0, "unreachable": 1, "failed": 0}}


def test_task_seconds_match_role_tasks_and_leave_out_skips():
    records = [{"task": "gh200.sglang.caches : Run the stage", "host": "a", "seconds": 1.5, "status": "ok"},
               {"task": "Run the stage", "host": "b", "seconds": 2.5, "status": "ok"},
               {"task": "Run the stage", "host": "a", "seconds": 9.0, "status": "skipped"},
               {"task": "Other", "host": "a", "seconds": 3.0, "status": "ok"}]
    assert bench.task_seconds(records, "Run the stage") == [1.5, 2.5]
    assert bench.task_seconds(records, "Run the stage", host="a") == [1.5]


def test_targets_are_held_not_held_or_not_measured():
    assert bench.verdict(0.2, 0.25) == "held" and bench.verdict(0.3, 0.25) == "not held"
    assert bench.verdict(None, 0.25) == "not measured"
    results = {"fleet": {"sizes": {"1": {"over_lower_bound": 1.0, "ratio_to_1": 1.0},
                                   "2": {"over_lower_bound": 1.1, "ratio_to_1": 1.4}}}}
    judged = bench.judge(results)
    assert [v for n, f, v in judged] == ["not measured", "not measured"]  # a smoke never reaches 8 hosts
    results["fleet"]["sizes"]["8"] = {"over_lower_bound": 1.2, "ratio_to_1": 3.5}
    assert [v for n, f, v in bench.judge(results)] == ["held", "not held"]


def test_notes_say_why_a_target_does_not_hold_from_the_figures():
    one = {"cpu": {"median": 100.0}, "wall": {"median": 120.0}, "ratio_to_1": 1.0, "over_lower_bound": 1.0, "top_tasks": []}
    eight = {"cpu": {"median": 800.0}, "wall": {"median": 500.0}, "ratio_to_1": 4.2, "over_lower_bound": 1.5,
             "top_tasks": [("Start the container", 30.0, 8)]}
    notes = bench.notes({"fleet": {"cores": 2, "sizes": {"1": one, "8": eight}}})
    assert notes[0].startswith("T(8)/T(1) is 4.2. The CPU alone bounds it at 8 x cpu(1) / 2 cores / T(1) = 3.333")
    assert "once a host costs under 90 CPU s" in notes[0]
    assert notes[1].endswith("the longest tasks at N=8: Start the container 30.0 s.")
    eight.update(ratio_to_1=2.5, over_lower_bound=1.1)
    assert bench.notes({"fleet": {"cores": 2, "sizes": {"1": one, "8": eight}}}) == []


def test_stage_seconds_share_the_one_question_and_add_each_stages_start_and_wait():
    role = "gh200.sglang.caches : "
    records = [{"task": role + bench.ASK, "host": "a", "seconds": 0.9, "status": "ok"},        # one answer for all
               {"task": role + bench.RUN, "host": "a", "seconds": 0.1, "status": "skipped"},   # kept
               {"task": role + bench.WAIT, "host": "a", "seconds": 0.1, "status": "skipped"},
               {"task": role + bench.RUN, "host": "a", "seconds": 1.0, "status": "ok"},        # a job
               {"task": role + bench.WAIT, "host": "a", "seconds": 30.0, "status": "ok"},
               {"task": role + bench.RUN, "host": "a", "seconds": 0.1, "status": "skipped"},   # kept
               {"task": role + bench.WAIT, "host": "a", "seconds": 0.1, "status": "skipped"},
               {"task": role + bench.ASK, "host": "b", "seconds": 9.0, "status": "ok"}]
    assert bench.stage_seconds(records, "a") == [{"ask": 0.3, "run": 0.0, "wait": 0.0}, {"ask": 0.3, "run": 1.0, "wait": 30.0},
                                                 {"ask": 0.3, "run": 0.0, "wait": 0.0}]
    assert bench.stage_seconds(records[1:5], "a") == [{"ask": 0.0, "run": 0.0, "wait": 0.0}, {"ask": 0.0, "run": 1.0, "wait": 30.0}]


def test_the_task_names_the_harness_times_are_the_roles_own():
    root = pathlib.Path(__file__).parents[2]
    stage = (root / "roles/caches/tasks/stage.yml").read_text() + (root / "roles/caches/tasks/main.yml").read_text()
    for name in (bench.ASK, bench.RUN, bench.WAIT):
        assert "- name: %s\n" % name in stage, name
    rep = (root / "benchmarks/playbooks/tasks/container_rep.yml").read_text()
    for module in ("container_run", "docker_container"):
        assert "- name: Start with %s\n" % module in rep and "- name: Re-apply with %s\n" % module in rep


def test_a_strategy_is_named_and_mitogen_s_comes_from_its_installed_package():
    assert bench.strategy_env("linear") == {"ANSIBLE_STRATEGY": "linear"}
    env = bench.strategy_env("mitogen_linear")
    assert env["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert (pathlib.Path(env["ANSIBLE_STRATEGY_PLUGINS"]) / "mitogen_linear.py").is_file()


def test_a_named_strategy_reaches_the_phases_of_a_collection_playbook_and_none_leaves_each_play_its_own():
    assert bench.strategy_args("linear", ["playbooks/verify.yml"]) == ["-e", "gh200_strategy=linear"]
    assert bench.strategy_args(None, ["playbooks/verify.yml"]) == []
    assert bench.strategy_args("linear", ["benchmarks/playbooks/per_task.yml"]) == []


def test_verdicts_keep_each_host_and_each_phase():
    report = {"hosts": {"a": {"verdict": "failed", "phases": {"phase0": {"verdict": "failed"}, "phase1": {"verdict": "skipped"}}}}}
    assert bench.verdicts(report) == {"a": ("failed", {"phase0": "failed", "phase1": "skipped"})}
    assert bench.verdicts({}) == {}
