"""prometheus_scrape against a loopback HTTP server serving the recorded samples: the snapshot is the raw text,
written with its final owner and mode, check mode predicts it and writes nothing, and every bad answer or
option is one clear error with nothing written."""
import http.server
import os
import socket
import threading

import pytest

from ansible_collections.gh200.sglang.plugins.modules import prometheus_scrape

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "testbed", "metrics", "samples")


def sample(name):
    with open(os.path.join(SAMPLES, name + ".prom"), "rb") as handle:
        return handle.read()


ROUTES = {
    "/metrics": (200, sample("sglang")),
    "/prometheus/metrics": (200, sample("tensorrt-llm")),
    "/vllm": (200, sample("vllm")),
    "/malformed": (200, b'sglang:num_running_reqs{model_name="x" 2\n'),
    "/json": (200, b'[{"gpuMemUsage": 1, "iter": 3}]\n'),
    "/gone": (404, b"not found"),
}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802  (the http.server name)
        code, body = ROUTES.get(self.path, (404, b"no route"))
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def endpoint():
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


@pytest.fixture
def root(tmp_path):
    path = tmp_path / "sglang-observability"
    (path / "telemetry/prometheus").mkdir(parents=True)
    return path


def listing(root):
    return sorted(os.path.relpath(os.path.join(d, n), str(root)) for d, dirs, files in os.walk(str(root)) for n in dirs + files)


def test_an_sglang_scrape_is_saved_raw_and_summarised(run_module, endpoint, root):
    code, result = run_module(prometheus_scrape.main, {"url": endpoint + "/metrics", "root": str(root), "name": "sglang-before",
                                                       "expect_framework": "sglang"})
    assert code == 0 and result["changed"], result
    assert result["framework"] == "sglang" and result["key"]["requests"] == 3 and result["key"]["prompt_tokens"] == 59
    snapshot = result["snapshot"]
    assert os.path.dirname(snapshot) == str(root / "telemetry/prometheus/snapshots")
    assert os.path.basename(snapshot).startswith("sglang-before-") and snapshot.endswith("Z.prom")
    with open(snapshot, "rb") as handle:
        assert handle.read() == sample("sglang")
    st = os.stat(snapshot)
    assert (st.st_mode & 0o777, st.st_uid) == (0o644, os.geteuid())
    assert os.stat(os.path.dirname(snapshot)).st_mode & 0o777 == 0o755
    assert result["bytes"] == len(sample("sglang")) and result["family_count"] == len(result["families"])


def test_tensorrt_llm_is_read_at_its_prometheus_path_and_named_by_port(run_module, endpoint, root):
    code, result = run_module(prometheus_scrape.main, {"url": endpoint + "/prometheus/metrics", "root": str(root)})
    assert code == 0 and result["framework"] == "tensorrt-llm"
    assert result["names"]["inter_token_latency"] == "trtllm_time_per_output_token_seconds"
    assert os.path.basename(result["snapshot"]).startswith("port-%s-" % endpoint.rsplit(":", 1)[1])


def test_check_mode_predicts_the_snapshot_and_writes_nothing(run_module, endpoint, root):
    before = listing(root)
    code, result = run_module(prometheus_scrape.main, {"url": endpoint + "/vllm", "root": str(root), "name": "vllm",
                                                       "_ansible_check_mode": True})
    assert code == 0 and result["changed"] and result["framework"] == "vllm"
    assert result["snapshot"].startswith(str(root / "telemetry/prometheus/snapshots/vllm-"))
    assert listing(root) == before


def test_save_false_only_summarises(run_module, endpoint, root):
    code, result = run_module(prometheus_scrape.main, {"url": endpoint + "/metrics", "root": str(root), "save": False})
    assert code == 0 and not result["changed"] and result["snapshot"] is None and result["framework"] == "sglang"
    assert listing(root) == ["telemetry", "telemetry/prometheus"]


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("path, args, message", [
    ("/malformed", {}, "/malformed: malformed exposition text: "),
    ("/json", {}, "/json: malformed exposition text: "),
    ("/gone", {}, "/gone answered HTTP 404, not 200"),
    ("/metrics", {"expect_framework": "vllm"}, "/metrics serves sglang metrics, not vllm"),
    ("/metrics", {"name": "../escape"}, "name '../escape' may hold only letters, digits, '.', '_' and '-'"),
    ("/metrics", {"snapshot_dir": "../outside"}, "snapshot_dir '../outside' has an empty, '.' or '..' segment"),
    ("/metrics", {"snapshot_dir": "/tmp/snapshots"}, "snapshot_dir '/tmp/snapshots' is absolute"),
])
def test_each_bad_answer_or_option_is_one_error_and_nothing_is_written(run_module, endpoint, root, path, args, message):
    before = listing(root)
    code, result = run_module(prometheus_scrape.main, dict({"url": endpoint + path, "root": str(root)}, **args))
    assert code == 1 and result["failed"]
    assert message in result["msg"] and "\n" not in result["msg"], result["msg"]
    assert listing(root) == before


def test_an_unreachable_endpoint_is_named(run_module, root):
    url = "http://127.0.0.1:%d/metrics" % closed_port()
    code, result = run_module(prometheus_scrape.main, {"url": url, "root": str(root)})
    assert code == 1 and result["msg"].startswith(url + ": cannot reach the endpoint: "), result["msg"]
    assert listing(root) == ["telemetry", "telemetry/prometheus"]


def test_a_symlinked_snapshot_folder_is_refused(run_module, endpoint, root, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(str(outside), str(root / "telemetry/prometheus/snapshots"))
    code, result = run_module(prometheus_scrape.main, {"url": endpoint + "/metrics", "root": str(root)})
    assert code == 1 and "snapshots is a symlink to %s, outside the host tree root" % outside in result["msg"], result["msg"]
    assert os.listdir(str(outside)) == []
