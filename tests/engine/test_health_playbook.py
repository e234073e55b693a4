"""playbooks/health.yml on the local dry-run inventory: phase 0's checks judged read-only. It passes on a prepared host
and leaves the containers, the images and the host tree exactly as they were; a folder missing from the tree fails
'host tree exists' and stays missing (verify.yml would have made it). The verdicts reach the textfile, where a node
exporter serves them to a Prometheus that loads the shipped rules: the broken host's alert fires, and resolves after
the repair, as Prometheus's HTTP API says."""
import contextlib
import json
import os
import pathlib
import pwd
import shutil
import tempfile
import time
import urllib.parse
import urllib.request

import docker

from conftest import dryrun_playbook as playbook, free_port, IMAGE, REPO, tree_state
import report_json  # noqa: E402  pylint: disable=wrong-import-position

RULES = REPO / "roles/report/files/gh200-verify.rules.yml"


DRYRUN_CONTAINER, DRYRUN_IMAGES = "sglang-dev-dryrun", ("sglang-dev-dryrun:local", IMAGE)  # inventory/local.yml's


def engine_state(*own):
    """What a start, stop or build by the dry-run host would move: its dev container (id, status, image, start time),
    the containers in ``own`` (the test's own), and the ids of the dry-run's images. Only those: scripts/test.sh runs
    Molecule scenarios beside this suite, and they start, stop and build their own containers and images."""
    client = docker.from_env()
    containers = sorted((c.id, c.name, c.status, c.attrs["Image"], c.attrs["State"]["StartedAt"])
                        for c in client.containers.list(all=True) if c.name == DRYRUN_CONTAINER or c.id in own)
    images = []
    for tag in DRYRUN_IMAGES:
        try:
            images.append((tag, client.images.get(tag).id))
        except docker.errors.ImageNotFound:
            images.append((tag, None))
    return containers, images


@contextlib.contextmanager
def prometheus_watching(textfile):
    """A node exporter serving the textfile directory and a Prometheus scraping it every second with the shipped
    rules loaded (the stand-in image's Debian packages, on loopback); yields a function that queries its HTTP API."""
    node, prom = free_port(), free_port()
    cfg = pathlib.Path(tempfile.mkdtemp(prefix="gh200-prom-"))
    shutil.copy(str(RULES), str(cfg / RULES.name))
    (cfg / "prometheus.yml").write_text(json.dumps({
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": ["/cfg/%s" % RULES.name],
        "scrape_configs": [{"job_name": "node", "static_configs": [{"targets": ["127.0.0.1:%d" % node]}]}]}))
    script = ("prometheus-node-exporter --collector.disable-defaults --collector.textfile --collector.textfile.directory=/textfile "
              "--web.listen-address=127.0.0.1:%d & exec prometheus --config.file=/cfg/prometheus.yml --storage.tsdb.path=/tmp/tsdb "
              "--web.listen-address=127.0.0.1:%d" % (node, prom))
    container = docker.from_env().containers.run(
        IMAGE, entrypoint=["sh", "-c", script], user="root", network_mode="host", detach=True,
        mounts=[docker.types.Mount("/textfile", textfile, type="bind", read_only=True),
                docker.types.Mount("/cfg", str(cfg), type="bind", read_only=True)])

    def api(path, **query):
        url = "http://127.0.0.1:%d/api/v1/%s?%s" % (prom, path, urllib.parse.urlencode(query))
        with urllib.request.urlopen(url, timeout=5) as answer:
            return json.loads(answer.read())["data"]
    api.container = container.id
    try:
        yield api
    finally:
        container.remove(force=True)
        shutil.rmtree(str(cfg), ignore_errors=True)


def until(what, probe, timeout=90):
    """Poll ``probe`` every second until it returns something true; its last value, or AssertionError naming ``what``."""
    deadline, value = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except OSError:  # Prometheus still starting
            value = None
        if value:
            return value
        time.sleep(1)
    raise AssertionError("%s: not seen in %d s (last: %r)" % (what, timeout, value))


def firing(api, check):
    return [a for a in api("alerts")["alerts"] if a["labels"].get("alertname") == "GH200VerifyCheckFailed"
            and a["labels"].get("check") == check and a["state"] == "firing"]


def phase0(reports, phase="phase0"):
    (folder,) = [p for p in pathlib.Path(reports).iterdir() if p.is_dir()]
    data = report_json.load(folder / "report.json")
    (host,) = data["hosts"].values()
    return host, dict((c["name"], c) for c in host["checks"] if c["phase"] == phase)


def test_a_health_run_judges_phase0_and_changes_nothing():
    rc, out = playbook("playbooks/verify.yml", "--tags", "phase0")  # the host tree, the model and the dry-run image
    assert rc == 0, out[-3000:]
    root = os.path.join(pwd.getpwnam(os.environ["GH200_DRYRUN_USER"]).pw_dir, "sglang-observability")
    textfile = tempfile.mkdtemp(prefix="gh200-textfile-")
    os.chmod(textfile, 0o777)  # the dry-run's host user writes it
    with prometheus_watching(textfile) as api:
        engine, tree = engine_state(api.container), tree_state(root)
        reports = tempfile.mkdtemp(prefix="gh200-health-")
        rc, out = playbook("playbooks/health.yml", "-e", "report_dir=%s" % reports, "-e", "report_textfile_dir=%s" % textfile)
        assert rc == 0, out[-3000:]
        host, checks = phase0(reports)
        # No dev container runs (verify.yml's phase 0 left it stopped): its checks are skipped, so the host is partial.
        assert host["verdict"] == "partial" and host["phases"]["phase0"]["verdict"] == "passed", host
        running = phase0(reports, "phase1")[1]
        assert running and set(c["status"] for c in running.values()) == {"skipped: no dev container runs (exited)"}, running
        assert checks["dev image current with its Dockerfile"]["status"] == "passed"
        assert checks["host tree exists"]["status"] == "passed" and "created by this run" not in checks["host tree exists"]["detail"]
        assert engine_state(api.container) == engine and tree_state(root) == tree  # (the watching Prometheus's container included)
        assert "gh200_verify_host_status{verdict=\"partial\"} -1" in open(os.path.join(textfile, "gh200_verify.prom")).read()
        until("the verdict scraped", lambda: api("query", query='gh200_verify_host_status{verdict="partial"} == -1')["result"])
        assert not firing(api, "host tree exists")

        jaeger = os.path.join(root, "telemetry/jaeger")
        st = os.stat(jaeger)
        shutil.rmtree(jaeger)
        try:
            engine, tree = engine_state(api.container), tree_state(root)
            reports = tempfile.mkdtemp(prefix="gh200-health-")
            rc, out = playbook("playbooks/health.yml", "-e", "report_dir=%s" % reports, "-e", "report_textfile_dir=%s" % textfile)
            assert rc != 0
            host, checks = phase0(reports)
            assert checks["host tree exists"]["status"] == "failed" and "missing telemetry/jaeger" in checks["host tree exists"]["detail"]
            assert not os.path.exists(jaeger) and engine_state(api.container) == engine and tree_state(root) == tree
            (alert,) = until("GH200VerifyCheckFailed firing for 'host tree exists'", lambda: firing(api, "host tree exists"))
            assert alert["labels"]["phase"] == "phase0" and alert["labels"]["severity"] == "warning"
            assert "failed the check host tree exists (phase0)" in alert["annotations"]["summary"]
        finally:
            if not os.path.exists(jaeger):
                os.mkdir(jaeger, 0o755)
                os.chown(jaeger, st.st_uid, st.st_gid)
        rc, out = playbook("playbooks/health.yml", "-e", "report_dir=%s" % tempfile.mkdtemp(prefix="gh200-health-"),
                           "-e", "report_textfile_dir=%s" % textfile)
        assert rc == 0, out[-3000:]
        until("the alert resolved after the repair", lambda: not firing(api, "host tree exists")
              and api("query", query='gh200_verify_check_status{check="host tree exists"} == 1')["result"])


def test_a_health_run_judges_the_running_container_read_only_and_names_what_broke():
    """start.yml leaves the dev container running; health.yml judges it with phase 1's start checks and changes
    nothing (the engine's containers and images, the host tree); with Prometheus stopped inside it, the next health
    run fails 'Prometheus ready' and still changes nothing else."""
    rc, out = playbook("playbooks/start.yml", "-e", '{"caches_stages": {}}')
    assert rc == 0, out[-3000:]
    root = os.path.join(pwd.getpwnam(os.environ["GH200_DRYRUN_USER"]).pw_dir, "sglang-observability")
    volatile = ("telemetry/prometheus", "telemetry/logs")  # the running services' own writes
    try:
        engine = engine_state()
        tree = [e for e in tree_state(root) if not e[0].startswith(volatile)]
        reports = tempfile.mkdtemp(prefix="gh200-health-")
        rc, out = playbook("playbooks/health.yml", "-e", "report_dir=%s" % reports)
        assert rc == 0, out[-3000:]
        host, checks = phase0(reports, "phase1")
        assert host["verdict"] == "passed", host
        for name in ("container runs", "pointer names the current run", "run log of this run", "node exporter answers /metrics",
                     "Prometheus ready, TSDB written by this run", "container log shows no errors", "run history holds every manifest"):
            assert checks[name]["status"] == "passed", (name, checks[name])
        assert "already running as requested" in checks["container runs"]["detail"]
        assert engine_state() == engine and [e for e in tree_state(root) if not e[0].startswith(volatile)] == tree

        assert [c[2] for c in engine[0]] == ["running"], engine
        docker.from_env().containers.get(DRYRUN_CONTAINER).exec_run(["pkill", "-x", "prometheus"], user="root")
        reports = tempfile.mkdtemp(prefix="gh200-health-")
        rc, out = playbook("playbooks/health.yml", "-e", "report_dir=%s" % reports, "-e", "container_start_timeout=4")
        assert rc != 0
        host, checks = phase0(reports, "phase1")
        failed = [n for n, c in checks.items() if c["status"] == "failed"]
        assert failed == ["Prometheus ready, TSDB written by this run"], checks
        assert engine_state() == engine  # still running, never restarted
    finally:
        playbook("playbooks/stop.yml")
