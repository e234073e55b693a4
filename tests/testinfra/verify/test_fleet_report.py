"""verify.yml over the fleet: the verdicts in report.json, junit.xml and report.html."""
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from conftest import HEALTHY, container_name


def test_the_run_fails_and_prints_where_the_report_is(fleet_run):
    assert fleet_run.rc != 0, fleet_run.output[-3000:]
    assert str(fleet_run.folder / "report.html") in fleet_run.output
    assert "gh200-vc: failed" in fleet_run.output and "gh200-vd: unreachable" in fleet_run.output


def test_failed_limit_names_the_broken_and_the_unreachable_host_for_a_rerun(fleet_run):
    assert (fleet_run.folder / "failed.limit").read_text() == "gh200-vc\ngh200-vd\n"


def test_the_broken_host_fails_phase0_naming_the_deep_offender(fleet_run):
    host = fleet_run.host("gh200-vc")
    assert host["verdict"] == "failed" and host["phases"]["phase0"]["verdict"] == "failed"
    owner = fleet_run.checks("gh200-vc", "phase0")["host tree owned by ubuntu"]
    assert owner["status"] == "failed"
    assert "/telemetry/logs/old-run/deep/root-owned.log (0:0)" in owner["detail"], owner["detail"]
    assert "1 of " in owner["detail"]  # only the file offends, not the directories above it
    for phase in ("phase1", "phase2", "phase3", "phase4"):
        assert host["phases"][phase]["verdict"] == "skipped"
        (only,) = fleet_run.checks("gh200-vc", phase).values()
        assert only["status"] == "skipped: phase0 failed on this host"


def test_the_unreachable_host_is_a_verdict_of_its_own(fleet_run):
    host = fleet_run.host("gh200-vd")
    assert host["verdict"] == "unreachable" and host["detail"]
    assert all(info["verdict"] == "not run" for info in host["phases"].values())
    assert host["checks"] == []
    (reach,) = [r for r in fleet_run.report["fleet"]["checks"] if r["name"] == "host reachable"]
    assert reach["failed_hosts"] == ["gh200-vd"] and reach["phase"] == "run"
    assert [a["hosts"] for a in fleet_run.report["fleet"]["actions"] if a["checks"] == ["host reachable"]] == [["gh200-vd"]]


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_hosts_pass_every_phase_with_gpu_checks_skipped(fleet_run, name):
    host = fleet_run.host(name)
    assert host["verdict"] == "passed", host
    assert [host["phases"][p]["verdict"] for p in ("phase0", "phase1", "phase2", "phase3", "phase4")] == ["passed"] * 5
    checks = fleet_run.checks(name)
    assert not [c for c in checks.values() if c["status"] == "failed"]
    assert checks["GPU facts"]["status"].startswith("skipped: no GPU (")
    assert checks["container got the requested GPUs"]["status"].startswith("skipped: no GPU (")
    health = [c["status"] for n, c in checks.items() if n.startswith("GPU health: ")]
    assert health == ["skipped: no GPU (nvidia-smi not found on PATH)"] * 12, health
    assert host["gpu"] == "no GPU (nvidia-smi not found on PATH)"
    for stage in ("flashinfer", "inductor", "deep_gemm", "moe"):
        assert checks["%s: prep_result.json marks the stage ok" % stage]["status"] == "passed"
        assert checks["%s: cache artifacts owned by devuser" % stage]["status"] == "passed"
        kept = checks["after restart: %s: ensure keeps the signed cache" % stage]
        assert kept["status"] == "passed" and kept["detail"].startswith("kept: signature matches"), kept
    assert checks["no .lock left under profiles"]["status"] == "passed"
    assert checks["caches under profiles survive the stop"]["status"] == "passed"
    assert checks["restart tolerates the existing caches and logs"]["status"] == "passed"
    assert checks["telemetry survives the stop"]["status"] == "passed"
    phase3 = fleet_run.checks(name, "phase3")
    for check in ("server arguments valid for the container's SGLang", "server starts without CLI or context-length errors",
                  "server ready within the warmup's max_wait", "smoke prompt answered", "request captured under /telemetry/logs",
                  "server metrics counted the request", "Prometheus scraped the server's request counter",
                  "Prometheus TSDB written after the prompt", "server stopped by its PID, port freed"):
        assert phase3[check]["status"] == "passed", (check, phase3[check])
    assert phase3["server arguments valid for the container's SGLang"]["detail"].startswith("SGLang 0.5.5: /usr/local/bin/standin-sglang-server ")
    assert all(c["time"].endswith("+00:00") and c["duration_s"] >= 0 for c in checks.values())


def test_no_dev_container_is_left_running(fleet_run):
    assert fleet_run.containers == {"gh200-va": "exited", "gh200-vb": "exited", "gh200-vc": None, "gh200-vd": None}


def test_junit_reads_back_with_a_junit_parser(fleet_run):
    xml = JUnitXml.fromfile(str(fleet_run.folder / "junit.xml"))
    outcomes = {}
    for suite in xml:
        for case in suite:
            kinds = [type(r).__name__ for r in case.result]
            outcomes[(suite.name, case.name)] = kinds[0] if kinds else "passed"
            for result in case.result:
                assert isinstance(result, (Failure, Skipped, Error))
    assert outcomes[("gh200-vc.phase0", "host tree owned by ubuntu")] == "Failure"
    assert outcomes[("gh200-vc.phase1", "container lifecycle")] == "Skipped"
    assert outcomes[("gh200-vd.run", "host reachable")] == "Error"
    assert outcomes[("gh200-va.phase1", "pointer names the current run")] == "passed"
    failed = [r for h in fleet_run.report["hosts"].values() for r in h["checks"] if r["status"] == "failed"]
    assert sum(k == "Failure" for k in outcomes.values()) == len(failed)


class Matrix(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.cells = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "td" and "data-phase" in attrs:
            self.cells[(attrs["data-host"], attrs["data-phase"])] = attrs["class"].split()[1]


def test_report_html_shows_the_right_verdict_in_each_cell_in_headless_chromium(fleet_run, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: scripts/setup.sh installs it"
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--user-data-dir=%s" % tmp_path, "--dump-dom",
         (fleet_run.folder / "report.html").as_uri()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "<table" in proc.stdout, proc.stderr[-2000:]
    matrix = Matrix()
    matrix.feed(proc.stdout)
    expected = {("gh200-vc", "host"): "failed", ("gh200-vc", "phase0"): "failed", ("gh200-vc", "phase1"): "skipped",
                ("gh200-vd", "host"): "unreachable", ("gh200-va", "host"): "passed", ("gh200-va", "phase4"): "passed",
                ("gh200-vb", "phase2"): "passed", ("gh200-vb", "phase3"): "passed"}
    assert dict((k, matrix.cells.get(k)) for k in expected) == expected
    assert 'id="gh200-vc-phase0"' in proc.stdout and "root-owned.log" in proc.stdout


def test_the_dev_containers_run_without_new_privileges(fleet_run, engine):
    for host in HEALTHY:
        options = engine.containers.get(container_name(host)).attrs["HostConfig"]["SecurityOpt"] or []
        assert "no-new-privileges:true" in options, (host, options)
