"""What verify.yml leaves: a second run (with the controller's clock apart from its hosts'), check mode, the fleet
failure policy and a failure after a start."""
import datetime
import shutil

from conftest import HEALTHY, container_name, container_state, root_of, tree_state

# Each run writes its own logs, manifest, Prometheus data and server record: they grow by design and are compared apart.
PER_RUN = ("telemetry/logs", "telemetry/container_runs", "telemetry/prometheus", "telemetry/inference")


def stable_tree(host):
    """Every entry outside the per-run telemetry, without directory mtimes (a directory's mtime moves when a
    per-run file is added beside it)."""
    return [(rel, mode, uid, gid, size, mtime if size else 0) for rel, mode, uid, gid, size, mtime in tree_state(root_of(host), PER_RUN)]


def history(host):
    return set(tree_state(root_of(host) + "/telemetry/container_runs"))


# The controller two days ahead of its hosts (libfaketime; monotonic clocks shifted too, or a sleep fails with EINVAL).
AHEAD = ("faketime", "-f", "+2d")


def test_a_second_run_over_the_healthy_hosts_with_the_controller_two_days_ahead_passes_and_leaves_the_same_state(
        fleet_run, verify, engine):
    """Clocks (issue 24, fault 8): every freshness check judges the host's evidence on the host's own clock against the
    container's own start (the TSDB and the run log against the start, the TSDB against the prompt's scrape), and the
    report judges the record on the controller's clock alone, so a controller clock two days off fails nothing."""
    assert shutil.which("faketime"), "Debian's faketime is missing: scripts/setup.sh installs it"
    before = dict((h, (stable_tree(h), history(h))) for h in HEALTHY)
    containers = dict((h, container_state(engine, h)) for h in HEALTHY)
    second = verify("--limit", ",".join(HEALTHY), wrap=AHEAD)
    assert second.rc == 0, second.output[-3000:]
    ahead = datetime.datetime.fromisoformat(second.report["generated"]) - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(days=1, hours=23) < ahead < datetime.timedelta(days=2, hours=1), ahead  # the skew took
    for h in HEALTHY:
        assert second.host(h)["verdict"] == "passed"
        assert stable_tree(h) == before[h][0]
        assert history(h) >= before[h][1]  # every earlier manifest kept, new runs added
        now = container_state(engine, h)
        assert (now["status"], now["image"]) == (containers[h]["status"], containers[h]["image"]) == ("exited", "sglang-dev-standin:testbed")


def test_too_many_failed_hosts_stop_the_fleet_run_before_the_next_phase(fleet_run, verify):
    # 30 %: gh200-vd, unreachable at the start, is 1 of 4 (25 %), so phase 0 runs; with gh200-vc's failed phase 0,
    # 2 of 4 (50 %) stop the fleet before phase 1.
    run = verify("-e", "gh200_max_fail_percentage=30")
    assert run.rc != 0
    assert run.host("gh200-vc")["phases"]["phase0"]["verdict"] == "failed"
    for h in HEALTHY:
        phases = run.host(h)["phases"]
        assert run.host(h)["verdict"] == "skipped"  # never verified in full: not passed
        assert phases["phase0"]["verdict"] == "passed"
        assert [phases[p]["verdict"] for p in ("phase1", "phase2", "phase3", "phase4")] == ["skipped"] * 4
        # gh200-vc failed phase 0 and gh200-vd was unreachable at the start: both count.
        assert phases["phase1"]["reason"].startswith("fleet run stopped: 2 of 4 hosts failed or unreachable (50%), over gh200_max_fail_percentage=30")


def test_a_phase_that_fails_after_the_start_stops_the_container_it_started(fleet_run, verify, engine):
    host = "gh200-vb"
    # An invalid ready regex is a task error right after the start: the phase ends early, in its rescue.
    run = verify("--limit", host, "--tags", "phase0,phase1", "-e", "container_ready_regex=(")
    assert run.rc != 0
    assert run.host(host)["phases"]["phase1"]["verdict"] == "failed"
    completed = run.checks(host, "phase1")["container lifecycle completed"]
    assert completed["status"] == "failed" and "unterminated subpattern" in completed["detail"]
    assert engine.containers.get(container_name(host)).status == "exited"


def test_check_mode_changes_nothing_on_a_verified_host_or_beside_a_running_container(fleet_run, verify, engine):
    """One check-mode run over two hosts. gh200-va, verified and stopped: nothing changes and every check that needs a
    real run is skipped for check mode. gh200-vb, left running by start.yml: check mode writes nothing (the running
    services' own TSDB and logs aside) and fails nothing; then a real phase 1 starts a new run instead of judging the
    one it found."""
    stopped, running = "gh200-va", "gh200-vb"
    started = verify("--limit", running, playbook="playbooks/start.yml")
    try:
        assert started.rc == 0, started.output[-3000:]
        found = container_state(engine, running)
        assert found["status"] == "running"
        found_run = found["labels"]["org.gh200-sglang.run-id"]
        volatile = ("telemetry/prometheus", "telemetry/logs/container-run-" + found_run)
        trees = {stopped: tree_state(root_of(stopped)), running: tree_state(root_of(running), volatile)}
        containers = {stopped: container_state(engine, stopped), running: found}
        # With the workspace's tests on: before, check mode ran them, and pytest wrote its JUnit into the tree.
        checked = verify("--check", "--limit", "%s,%s" % (stopped, running), "-e", "editable_install_run_tests=true")
        assert checked.rc == 0, checked.output[-3000:]
        assert tree_state(root_of(stopped)) == trees[stopped]
        assert tree_state(root_of(running), volatile) == trees[running]  # no pytest JUnit, no snapshot, no record written
        assert dict((h, container_state(engine, h)) for h in containers) == containers

        checks = checked.checks(stopped)
        assert checks["host tree owned by ubuntu"]["status"] == "passed"
        assert checks["validate-only preflight"]["status"] == "passed"
        for name in ("container runs", "pointer names the current run", "Prometheus ready, TSDB written by this run",
                     "restart: container runs", "telemetry survives the stop", "restart tolerates the existing caches and logs",
                     "inductor: prep_result.json marks the stage ok", "deep_gemm: cache artifacts owned by devuser",
                     "after restart: moe: ensure keeps the signed cache", "server arguments valid for the container's SGLang",
                     "smoke prompt answered", "Prometheus scraped the server's request counter",
                     "workspace tests pass in the container"):
            assert checks[name]["status"].startswith("skipped: check mode"), (name, checks[name])
        assert checks["no .lock left under profiles"]["status"] == "passed"
        assert not [c for c in checks.values() if c["status"] == "passed" and "check mode" in c["detail"]]

        statuses = dict((c["name"], c["status"]) for c in checked.host(running)["checks"])
        assert [n for n, s in statuses.items() if s == "failed"] == [], statuses
        assert statuses["workspace tests pass in the container"].startswith("skipped: check mode")
        assert statuses["smoke prompt answered"].startswith("skipped: check mode")

        real = verify("--limit", running, "--tags", "phase1")
        assert real.rc == 0, real.output[-3000:]
        phase1 = real.checks(running, "phase1")
        assert phase1["pointer names the current run"]["status"] == "passed"
        assert found_run not in phase1["pointer names the current run"]["detail"], phase1["pointer names the current run"]
        assert container_state(engine, running)["status"] == "exited"  # the lifecycle ends with its stop
    finally:
        verify("--limit", running, playbook="playbooks/stop.yml")
