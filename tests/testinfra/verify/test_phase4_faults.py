"""Each phase-4 check can fail: a stop that loses a cache file and truncates another fails `caches under
profiles survive the stop` naming both, and the restart's ensure then builds that stage again, which fails
`after restart: <stage>: ensure keeps the signed cache`; a stop that loses a telemetry file fails
`telemetry survives the stop`, and so does a stop that wipes the Prometheus TSDB. One run breaks both healthy hosts,
each its own way. The stop is broken through the STAND-IN entrypoint's STANDIN_STOP_HOOK (a command run as devuser
while the container stops), and the next run repairs the hosts."""
import json
import os

from conftest import host_vars_inventory, root_of

HOST, OTHER = "gh200-vb", "gh200-va"


def hook_vars(command, host=HOST):
    """The host's container_env (its own ports) with a command its stand-in entrypoint runs while the container stops."""
    n = "ab".index(host[-1]) + 1
    return {"container_env": {"PROMETHEUS_PORT": "1939%d" % n, "NODE_EXPORTER_PORT": "1949%d" % n, "STANDIN_STOP_HOOK": command}}


def hook(command):
    return ("-e", json.dumps(hook_vars(command)))


def test_stops_that_lose_caches_and_telemetry_leave_a_folder_read_only_or_wipe_the_tsdb_fail_their_checks(verify, tmp_path):
    """One run, two hosts, each stop broken its own way. On gh200-vb a telemetry file lost fails `telemetry survives the
    stop`, and /profiles/inductor left read-only fails the restart's writable check, and so `restart tolerates the
    existing caches and logs`, which stands for every after-start check of the restart. On gh200-va a stop that wipes
    the Prometheus TSDB fails `telemetry survives the stop` with the file counts, and one that loses a DeepGEMM file
    and truncates an inductor one fails `caches under profiles survive the stop` naming both; the restart's ensure then
    builds DeepGEMM again, which fails `after restart: deep_gemm: ensure keeps the signed cache`. The repair run
    (phases 2 and 4) passes on both. The hook runs at every stop of the run, the final one too, so it must never
    create a file: truncate -c (an inductor rebuild at the restart need not write that path again, and a 1-byte
    unsigned file made at the final stop would fail that stop's check and every later run's phase 0)."""
    root, other = root_of(HOST), root_of(OTHER)
    lost = json.loads(open(os.path.join(other, "profiles/deep_gemm/signature.json")).read())["artifacts"][0]
    cut = json.loads(open(os.path.join(other, "profiles/inductor/signature.json")).read())["artifacts"][0]
    trace = os.path.join(root, "telemetry/jaeger/trace-before-stop.json")
    folder = os.path.join(root, "profiles/inductor")
    mode = os.stat(folder).st_mode & 0o7777
    with open(trace, "w") as handle:
        handle.write("{}")
    st = os.stat(os.path.join(root, "telemetry"))
    os.lchown(trace, st.st_uid, st.st_gid)
    per_host = {HOST: hook_vars("rm -f /telemetry/jaeger/trace-before-stop.json; chmod 0555 /profiles/inductor"),
                OTHER: hook_vars("rm -rf /telemetry/prometheus/wal /telemetry/prometheus/chunks_head; "
                                 "rm -f '/profiles/deep_gemm/%s'; truncate -c -s 1 '/profiles/inductor/%s'" % (lost, cut), host=OTHER)}
    try:
        run = verify("--limit", ",".join(per_host), "--tags", "phase4", *host_vars_inventory(tmp_path, per_host))
    finally:
        if os.path.exists(trace):
            os.unlink(trace)
        os.chmod(folder, mode)
        again = verify("--limit", ",".join(per_host), "--tags", "phase2,phase4")  # the repair runs whatever the assertions say
    assert run.rc != 0, run.output[-3000:]
    checks = run.checks(HOST, "phase4")
    check = checks["telemetry survives the stop"]
    assert check["status"] == "failed" and "telemetry/jaeger/trace-before-stop.json" in check["detail"], check
    assert checks["restart: scaffolding and telemetry writable by devuser"]["status"] == "failed"
    tolerates = checks["restart tolerates the existing caches and logs"]
    assert tolerates["status"] == "failed" and "restart: scaffolding and telemetry writable by devuser" in tolerates["detail"], tolerates
    checks = run.checks(OTHER, "phase4")
    wiped = checks["telemetry survives the stop"]
    assert wiped["status"] == "failed", wiped
    assert wiped["detail"].startswith("the Prometheus TSDB held "), wiped
    assert wiped["detail"].endswith(" files before the stop and none after"), wiped
    survive = checks["caches under profiles survive the stop"]
    assert survive["status"] == "failed", survive
    assert "profiles/deep_gemm/%s (lost)" % lost in survive["detail"] and "profiles/inductor/%s (" % cut in survive["detail"]
    kept = checks["after restart: deep_gemm: ensure keeps the signed cache"]
    assert kept["status"] == "failed" and "%s (missing)" % lost in kept["detail"], kept
    assert checks["after restart: flashinfer: ensure keeps the signed cache"]["status"] == "passed"
    # Each fault fails its own checks and nothing else: the TSDB wiped and the caches lost, and the stages built again.
    failed = set(c["name"] for c in run.host(OTHER)["checks"] if c["status"] == "failed")
    assert {"telemetry survives the stop", "caches under profiles survive the stop",
            "after restart: deep_gemm: ensure keeps the signed cache"} <= failed <= {
        "telemetry survives the stop", "caches under profiles survive the stop",
        "after restart: deep_gemm: ensure keeps the signed cache", "after restart: inductor: ensure keeps the signed cache"}, failed
    assert again.rc == 0, again.output[-3000:]
    checks = again.checks(OTHER, "phase4")
    assert checks["after restart: deep_gemm: ensure keeps the signed cache"]["status"] == "passed"
    assert checks["telemetry survives the stop"]["detail"].endswith(" after"), again.output[-2000:]
