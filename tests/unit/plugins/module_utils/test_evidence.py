import http.server
import os
import threading

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _evidence, _manifest


def test_docker_time_with_nanoseconds_and_zero_time():
    assert _evidence.docker_time_to_epoch("2026-11-22T12:00:00.500000000Z") == pytest.approx(1795348800.5)
    assert _evidence.docker_time_to_epoch("2026-11-22T14:00:00+02:00") == pytest.approx(1795348800.0)
    assert _evidence.docker_time_to_epoch("0001-01-01T00:00:00Z") is None
    assert _evidence.docker_time_to_epoch("") is None


def inspect(running=True, restarts=0, device_requests=None, run_id="r1"):
    return {"State": {"Status": "running" if running else "exited", "Running": running, "Restarting": False, "ExitCode": 0 if running else 137,
                      "StartedAt": "2026-11-22T12:00:00Z"},
            "RestartCount": restarts, "Config": {"Image": "img", "Labels": {_manifest.LABEL_RUN_ID: run_id},
                                                 "Env": ["PROMETHEUS_PORT=19191", "PATH=/bin"]},
            "HostConfig": {"DeviceRequests": device_requests}}


def test_container_facts_from_inspect_data():
    facts = _evidence.container_facts(inspect(restarts=2))
    assert facts["running"] and facts["restart_count"] == 2 and facts["run_id"] == "r1"
    assert facts["env"] == {"PROMETHEUS_PORT": "19191"} and facts["gpus"] is None
    assert _evidence.container_facts(None)["exists"] is False
    assert _evidence.container_facts(inspect(running=False))["running"] is False


@pytest.mark.parametrize("requested,device_requests,match", [
    ("none", None, True),
    ("all", None, False),  # asked for GPUs, got none: the check fails
    ("all", [{"Driver": "nvidia", "Count": -1, "DeviceIDs": None, "Capabilities": [["gpu"]]}], True),
    ("0,1", [{"Driver": "nvidia", "Count": 0, "DeviceIDs": ["1", "0"], "Capabilities": [["gpu"]]}], True),
    ("0,1", [{"Driver": "nvidia", "Count": 0, "DeviceIDs": ["0"], "Capabilities": [["gpu"]]}], False),
    ("0", [{"Driver": "nvidia", "Count": -1, "DeviceIDs": None, "Capabilities": [["gpu"]]}], False),
    ("none", [{"Driver": "nvidia", "Count": -1, "DeviceIDs": None, "Capabilities": [["gpu"]]}], False),
])
def test_gpu_request_is_read_back_from_device_requests(requested, device_requests, match):
    actual = _evidence.container_facts(inspect(device_requests=device_requests))["gpus"]
    assert _evidence.gpus_match(_manifest.normalize_gpus(requested), actual) is match


def test_what_a_start_found_names_a_stopped_containers_exit_and_finish():
    labels = {_manifest.LABEL_RUN_ID: "20261130T210003Z-d099d0"}
    stopped = {"State": {"Status": "exited", "Running": False, "ExitCode": 137, "OOMKilled": True,
                         "FinishedAt": "2026-11-30T21:00:03.5Z"}, "RestartCount": 2, "Config": {"Labels": labels}}
    assert _evidence.found_line(stopped) == ("exited, run 20261130T210003Z-d099d0, restarts 2, exit code 137 (OOM killed), "
                                             "finished 2026-11-30T21:00:03.5Z")
    running = {"State": {"Status": "running", "Running": True}, "RestartCount": 0, "Config": {}}
    assert _evidence.found_line(running) == "running, run unlabelled, restarts 0"
    assert _evidence.found_line(None) == "no container"


def test_run_log_facts_only_look_in_this_runs_directory_and_judge_freshness(tmp_path):
    old = tmp_path / "container-run-old"
    old.mkdir()
    (old / "init-run.log").write_text("x")
    cur = tmp_path / "container-run-r1"
    cur.mkdir()
    (cur / "init-run.log").write_text("x")
    (cur / "node-exporter.log").write_text("x")
    os.utime(cur / "node-exporter.log", (1000, 1000))
    facts = _evidence.run_log_facts(str(tmp_path), "r1", since=2000)
    assert facts["files"] == ["init-run.log", "node-exporter.log"] and facts["fresh"] == ["init-run.log"]
    assert _evidence.run_log_facts(str(tmp_path), "r2", since=0)["files"] == []
    assert _evidence.run_log_facts(str(tmp_path), None, since=0)["dir"] is None


def test_file_facts_never_follow_a_symlink(tmp_path):
    target = tmp_path / "t"
    target.write_text("RUN_ID=x\n")
    os.chmod(target, 0o600)
    (tmp_path / "link").symlink_to(target)
    assert _evidence.file_facts(str(target))["mode"] == "0600"
    link = _evidence.file_facts(str(tmp_path / "link"))
    assert link["is_symlink"] and not link["is_file"]
    assert _evidence.file_facts(str(tmp_path / "none"))["exists"] is False


def test_newest_mtime_walks_the_whole_tree(tmp_path):
    (tmp_path / "wal").mkdir()
    (tmp_path / "wal/00000001").write_text("x")
    os.utime(tmp_path / "wal/00000001", (5000, 5000))
    os.utime(tmp_path / "wal", (10, 10))
    assert _evidence.newest_mtime(str(tmp_path)) == (5000, 2)
    assert _evidence.newest_mtime(str(tmp_path / "missing")) == (None, 0)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = b"# HELP up\nup 1\nnode_load1 0.5\n" if self.path == "/metrics" else b"not here"
        self.send_response(200 if self.path == "/metrics" else 503)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_http_get_on_loopback_and_metric_samples():
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = "http://127.0.0.1:%d" % server.server_port
        status, body, error = _evidence.http_get(base + "/metrics", 5)
        assert status == 200 and _evidence.metric_samples(body) == 2 and error is None
        status, body, error = _evidence.http_get(base + "/-/ready", 5)
        assert status == 503
    finally:
        server.shutdown()
    status, body, error = _evidence.http_get(base + "/metrics", 2)
    assert status is None and error


def test_error_lines():
    lines = ["init-run: ready", "ERROR: hook failed", "Traceback (most recent call last):", "ok"]
    assert _evidence.error_lines(lines, r"(?i)\b(error|traceback)\b") == lines[1:3]


def test_newest_mtime_leaves_out_the_snapshots_and_targets_this_collection_writes(tmp_path):
    (tmp_path / "wal").mkdir()
    (tmp_path / "wal/00000001").write_text("x")
    os.utime(str(tmp_path / "wal/00000001"), (1000, 1000))
    os.utime(str(tmp_path / "wal"), (1000, 1000))
    for folder in _evidence.NOT_TSDB:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "new.json").write_text("{}")
    assert _evidence.newest_mtime(str(tmp_path), _evidence.NOT_TSDB) == (1000, 2)
    assert _evidence.newest_mtime(str(tmp_path))[1] == 6


def test_a_port_from_the_container_environment_must_be_a_port():
    from ansible_collections.gh200.sglang.plugins.module_utils import _manifest
    assert _evidence.port_from_env({"PROMETHEUS_PORT": "19391"}, "PROMETHEUS_PORT", 9090) == 19391
    assert _evidence.port_from_env({}, "PROMETHEUS_PORT", 9090) == 9090
    for bad in ("nine", "70000", "-1", "90 90"):
        with pytest.raises(_manifest.SpecError, match="the container's PROMETHEUS_PORT=.* is not a port number"):
            _evidence.port_from_env({"PROMETHEUS_PORT": bad}, "PROMETHEUS_PORT", 9090)


@pytest.mark.parametrize("url, port, problem", [
    ("http://127.0.0.1:30000/metrics", 30000, None),
    ("https://localhost/x", None, None),
    ("http://[::1", None, "url 'http://[::1' is not an http(s) URL: Invalid IPv6 URL"),
    ("http://127.0.0.1:99999", None, "url 'http://127.0.0.1:99999' is not an http(s) URL: Port out of range 0-65535"),
    ("ftp://127.0.0.1/", None, "url 'ftp://127.0.0.1/' is not an http(s) URL"),
    ("http:///nohost", None, "url 'http:///nohost' is not an http(s) URL"),
])
def test_an_http_url_is_parsed_once_for_every_module_that_takes_one(url, port, problem):
    parsed, found_port, found_problem = _evidence.http_url(url)
    assert (found_port, found_problem) == (port, problem)
    assert (parsed is None) == (problem is not None)
