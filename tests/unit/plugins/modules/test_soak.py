"""soak against a loopback chat server: every request counted, at most `concurrency` in flight, failures named;
nothing is sent to an address off loopback, and check mode sends nothing."""
import http.server
import json
import threading
import time

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _soak
from ansible_collections.gh200.sglang.plugins.modules import soak


class Chat(http.server.BaseHTTPRequestHandler):
    """Counts requests in flight. With `gate` set, a request waits (at most 5 s) until `gate` requests have been in
    flight at once, so the peak a test sees depends on how many the client sends together, not on how the threads
    happen to be scheduled on a loaded machine: a client that sends fewer at once shows its own peak after the wait,
    one that sends more shows more."""
    lock = threading.Condition()
    in_flight = 0
    peak = 0
    seen = 0
    fail_every = 0
    gate = 0

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.seen += 1
            cls.peak = max(cls.peak, cls.in_flight)
            number = cls.seen
            cls.lock.notify_all()
            cls.lock.wait_for(lambda: cls.peak >= cls.gate, timeout=5)
        time.sleep(0.05)
        with cls.lock:
            cls.in_flight -= 1
        if cls.fail_every and number % cls.fail_every == 0:
            self.send_response(503)
            self.end_headers()
            return
        reply = json.dumps({"choices": [{"message": {"content": "hi " + body["model"]}}],
                            "usage": {"prompt_tokens": 5, "completion_tokens": 2}}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Chat.in_flight = Chat.peak = Chat.seen = Chat.fail_every = Chat.gate = 0
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Chat)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d/v1/chat/completions" % httpd.server_address[1]
    httpd.shutdown()


def test_every_request_is_sent_with_at_most_concurrency_in_flight(run_module, server):
    Chat.gate = 3
    code, result = run_module(soak.main, {"url": server, "model": "tiny", "requests": 12, "concurrency": 3})
    assert code == 0 and not result["changed"]
    assert (result["sent"], result["ok"], result["failed_requests"], Chat.seen) == (12, 12, 0, 12)
    assert Chat.peak == 3
    assert result["prompt_tokens"] == 60 and result["completion_tokens"] == 24
    assert 0.05 <= result["latency_s"]["p50"] <= result["latency_s"]["p99"] <= result["latency_s"]["max"]


def test_failed_requests_are_counted_and_named(run_module, server):
    Chat.fail_every = 4
    code, result = run_module(soak.main, {"url": server, "model": "tiny", "requests": 8, "concurrency": 2})
    assert code == 0 and (result["ok"], result["failed_requests"]) == (6, 2) and result["errors"] == ["HTTP 503"]


def test_check_mode_sends_nothing(run_module, server):
    code, result = run_module(soak.main, {"url": server, "model": "tiny", "_ansible_check_mode": True})
    assert code == 0 and Chat.seen == 0 and "sent" not in result


@pytest.mark.parametrize("url, cause", [
    ("http://203.0.113.5:30000/v1/chat/completions", "does not point at loopback"),  # TEST-NET-3: refused, never sent
    ("http://example.com/v1/chat/completions", "does not point at loopback"),
    ("ftp://127.0.0.1/x", "is not an http(s) URL"),
])
def test_an_address_off_loopback_is_refused_before_anything_is_sent(run_module, url, cause):
    code, result = run_module(soak.main, {"url": url, "model": "tiny"})
    assert code == 1 and cause in result["msg"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/x", "http://127.8.9.10/x", "http://[::1]:5/x", "http://localhost/x"])
def test_loopback_addresses_are_accepted(url):
    assert _soak.loopback_problem(url) is None


def test_percentiles_and_the_summary():
    assert _soak.percentile([1, 2, 3, 4], 0.5) == 2 and _soak.percentile([1, 2, 3, 4], 0.99) == 4
    assert _soak.percentile([], 0.5) is None
    s = _soak.summary([(True, 0.2, 3, 4, None), (False, 1.0, 0, 0, "HTTP 500"), (True, 0.4, 3, 4, None)], 2.0)
    assert (s["sent"], s["ok"], s["failed_requests"], s["requests_per_s"], s["errors"]) == (3, 2, 1, 1.0, ["HTTP 500"])
    assert s["latency_s"]["mean"] == 0.3 and s["completion_tokens"] == 8


def test_a_url_with_an_unclosed_ipv6_bracket_is_one_line():
    from ansible_collections.gh200.sglang.plugins.module_utils import _soak
    assert _soak.loopback_problem("http://[::1").startswith("url 'http://[::1' is not an http(s) URL")
