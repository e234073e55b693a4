"""_server_args: the JSON defaults merged with overrides, PARSER_PROBE's mapping of field names to flags (here on a
small fake `sglang` package whose parser is shaped like SGLang's: a field that is its flag's dest, and tp_size
that is only a spelling of --tensor-parallel-size; the real parser is exercised in tests/engine), and the checks
that name their key."""
import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _server_args as sa

FAKE_SERVER_ARGS = '''
import dataclasses
from typing import Optional

@dataclasses.dataclass
class ServerArgs:
    model_path: str = ""
    host: str = "127.0.0.1"
    port: int = 30000
    context_length: Optional[int] = None
    tp_size: int = 1
    enable_metrics: bool = False
    served_model_name: Optional[str] = None
    api_key: Optional[str] = None
    attention_backend: Optional[str] = None
    cuda_graph_bs: Optional[list] = None
    json_model_override_args: str = "{}"

    @staticmethod
    def add_cli_args(parser):
        parser.add_argument("--model-path", "--model", type=str, required=True)
        parser.add_argument("--host", type=str, default="127.0.0.1")
        parser.add_argument("--port", type=int, default=30000)
        parser.add_argument("--context-length", type=int, default=None)
        parser.add_argument("--tensor-parallel-size", "--tp-size", type=int, default=1)
        parser.add_argument("--enable-metrics", action="store_true")
        parser.add_argument("--served-model-name", type=str)
        parser.add_argument("--api-key", type=str)
        parser.add_argument("--attention-backend", choices=["triton", "flashinfer"])
        parser.add_argument("--cuda-graph-bs", type=int, nargs="+")
        parser.add_argument("--json-model-override-args", type=str, default="{}")
'''


@pytest.fixture(scope="module")
def fake_sglang(tmp_path_factory):
    top = tmp_path_factory.mktemp("site")
    (top / "sglang/srt").mkdir(parents=True)
    (top / "sglang/__init__.py").write_text('__version__ = "0.5.5"\n')
    (top / "sglang/srt/__init__.py").write_text("")
    (top / "sglang/srt/server_args.py").write_text(textwrap.dedent(FAKE_SERVER_ARGS))
    return str(top)


def probe(site, args, extra=()):
    request = json.dumps({"args": sa.merge(args, {}), "extra": list(extra)})
    env = dict(os.environ, PYTHONPATH=site) if site else dict(os.environ, PYTHONPATH="")
    out = subprocess.run([sys.executable, "-c", sa.PARSER_PROBE, request], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env, check=True, text=True)
    return json.loads(out.stdout)


BASE = {"model_path": "/", "host": "127.0.0.1", "port": 30000, "context_length": 2048, "tp_size": 2,
        "enable_metrics": True, "served_model_name": "tiny"}


def test_fields_become_sglang_flags_and_the_parsed_values_come_back(fake_sglang):
    answer = probe(fake_sglang, dict(BASE, cuda_graph_bs=[1, 2], json_model_override_args={"rope_scaling": None}))
    assert answer["problems"] == [] and answer["version"] == "0.5.5"
    assert answer["argv"] == ["--context-length", "2048", "--cuda-graph-bs", "1", "2", "--enable-metrics", "--host", "127.0.0.1",
                              "--json-model-override-args", '{"rope_scaling": null}', "--model-path", "/", "--port", "30000",
                              "--served-model-name", "tiny", "--tensor-parallel-size", "2"]
    assert answer["values"] == {"model_path": "/", "served_model_name": "tiny", "host": "127.0.0.1", "port": 30000,
                                "context_length": 2048, "enable_metrics": True, "tp_size": 2, "api_key": False,
                                # the kernel-selecting ones this SGLang has no flag for come back null
                                "attention_backend": None, "enable_torch_compile": None, "torch_compile_max_bs": None}
    assert answer["model_dir"] is True


def test_a_false_switch_is_left_out(fake_sglang):
    answer = probe(fake_sglang, dict(BASE, enable_metrics=False))
    assert "--enable-metrics" not in answer["argv"] and answer["values"]["enable_metrics"] is False


@pytest.mark.parametrize("args, extra, problem", [
    (dict(BASE, contxt_length=4096), [], "contxt_length: not a server argument of SGLang 0.5.5 (did you mean context_length?)"),
    (BASE, ["--contxt-length", "4096"], "--contxt-length: not a flag of SGLang 0.5.5 (did you mean --context-length?)"),
    (dict(BASE, enable_metrics="yes"), [], "enable_metrics: --enable-metrics is a switch: give true or false, not 'yes'"),
    (dict(BASE, port="http"), [], "server args: argument --port: invalid int value: 'http'"),
    (dict(BASE, attention_backend="fa9"), [], "server args: argument --attention-backend: invalid choice: 'fa9'"),
    ({"host": "127.0.0.1"}, [], "server args: the following arguments are required: --model-path/--model"),
])
def test_each_bad_key_or_flag_is_one_problem_naming_it(fake_sglang, args, extra, problem):
    problems = probe(fake_sglang, args, extra)["problems"]
    assert any(p.startswith(problem) for p in problems), problems


def test_without_sglang_the_probe_says_which_python_lacks_it():
    answer = probe(None, BASE)
    assert answer["error"].startswith("cannot import sglang.srt.server_args with %s: ModuleNotFoundError" % sys.executable)


def test_merge_puts_overrides_on_top_and_refuses_keys_that_are_not_field_names():
    assert sa.merge({"port": 30000, "host": "0.0.0.0"}, {"port": 31000}) == [("host", "0.0.0.0"), ("port", 31000)]
    with pytest.raises(ValueError) as exc:
        sa.merge({"port": 1}, {"context-length": 4096})
    assert str(exc.value).startswith("'context-length': server argument keys are SGLang's ServerArgs field names")


def test_the_config_record_is_the_yaml_sglang_config_reads():
    text = sa.config_yaml(["--model-path", "/models/m", "--port", "30000", "--enable-metrics", "--cuda-graph-bs", "1", "2"])
    assert text == 'model-path: "/models/m"\nport: "30000"\nenable-metrics: true\ncuda-graph-bs: ["1", "2"]\n'


def test_context_length_above_the_model_is_named():
    assert sa.context_problem(4096, 2048) == ("context_length: 4096 is above the model's max_position_embeddings (2048); "
                                              "SGLang refuses it")
    assert sa.context_problem(2048, 2048) is None and sa.context_problem(None, 2048) is None


def test_a_port_in_use_is_named():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        assert sa.port_problem("127.0.0.1", port) == "port: %d is in use on 127.0.0.1" % port
    assert sa.port_problem("127.0.0.1", port) is None


@pytest.mark.parametrize("values, model_dir, problem", [
    ({"model_path": "/models/org/m"}, True, None),
    ({"model_path": "/models/org/m"}, False, "model_path: /models/org/m does not exist in the container"),
    ({"model_path": "/tmp/m"}, True, "model_path: '/tmp/m' is not under /models"),
])
def test_the_model_must_be_a_directory_under_models(values, model_dir, problem):
    assert sa.model_problem(values, model_dir) == problem


def test_redact_hides_only_the_secret_values():
    assert sa.redact(["--port", "1", "--api-key", "s3cret", "--host", "h"]) == ["--port", "1", "--api-key", "********", "--host", "h"]
    assert sa.redact(["--api-key=s3cret", "--api-keyring", "x"]) == ["--api-key=********", "--api-keyring", "x"]


HEALTHY_START = "".join([
    "[2026-03-13 21:35:18] Ignore import error when loading sglang.srt.models.glm_ocr: No module named 'transformers.models.glm_ocr'\n",
    "ERROR: pip's dependency resolver does not currently take into account all the packages that are installed. "
    "This behaviour is the source of the following dependency conflicts.\n",
    "[2026-03-13 21:35:30] The server is fired up and ready to roll!\n",
])


@pytest.mark.parametrize("bad", [
    "Traceback (most recent call last):",
    "sglang.launch_server: error: unrecognized arguments: --enable-metric",
    "ValueError: User-specified context_length (4096) is greater than the derived context_length (256).",
    "RuntimeError: CUDA error: an illegal memory access was encountered",
])
def test_the_default_patterns_pass_a_healthy_start_and_still_catch_refusals(bad):
    from ansible_collections.gh200.sglang.plugins.module_utils import _evidence
    args = (_evidence.SERVER_ERROR_REGEX, "POST /v1/chat/completions", 5)
    assert sa.log_evidence(HEALTHY_START, *args, ignore_regex=_evidence.BENIGN_LOG_LINES)["errors"] == []
    assert len(sa.log_evidence(HEALTHY_START, *args)["errors"]) == 2  # without the ignore list both lines would fail it
    assert sa.log_evidence(HEALTHY_START + bad + "\n", *args, ignore_regex=_evidence.BENIGN_LOG_LINES)["errors"] == [bad]
    lines = HEALTHY_START.splitlines()
    assert _evidence.error_lines(lines, _evidence.CONTAINER_ERROR_REGEX, ignore=_evidence.BENIGN_LOG_LINES) == []
    assert _evidence.error_lines(lines + ["Traceback (most recent call last):"], _evidence.CONTAINER_ERROR_REGEX,
                                 ignore=_evidence.BENIGN_LOG_LINES) == ["Traceback (most recent call last):"]


@pytest.mark.parametrize("planted, problem", [
    ([1], "it holds list, not a server record"),
    ({"pid": 1}, "it has no name"),
    (dict(name="s", pid="1; rm -rf /", start=1, argv=[], host="127.0.0.1", port=30000, log="l", run_id="r"), "its pid is '1; rm -rf /'"),
    (dict(name="s", pid=1, start=1, argv=[], host="127.0.0.1", port=30000, log="l", run_id="r"), "out of range"),
    (dict(name="s", pid=42, start=1, argv=[], host="127.0.0.1", port=99999, log="l", run_id="r"), "out of range"),
    (dict(name="s", pid=True, start=1, argv=[], host="127.0.0.1", port=30000, log="l", run_id="r"), "its pid is True"),
])
def test_a_planted_server_record_is_named_never_used(planted, problem):
    assert problem in sa.record_problem(planted)


def test_a_record_this_module_wrote_is_accepted():
    record = sa.server_record("sglang-30000", 4242, "123456", ["x"], "127.0.0.1", 30000, "/telemetry/logs/x.log", "run",
                              "0.5.5", None, 1.0)
    assert sa.record_problem(record) is None


@pytest.mark.parametrize("port, problem", [(99999, "port: 99999 is not a port between 1 and 65535"),
                                           (-1, "port: -1 is not a port between 1 and 65535"),
                                           ("http", "port: 'http' is not a port number")])
def test_a_port_out_of_range_is_one_line_not_a_traceback(port, problem):
    assert sa.port_problem("127.0.0.1", port) == problem


@pytest.mark.parametrize("value", ["org/model\n", "org/model\n\n", "a\n"])
def test_validation_patterns_refuse_a_trailing_newline(value):
    from ansible_collections.gh200.sglang.plugins.module_utils import _editable, _manifest, _model
    assert not _model.REPO_ID_RE.match(value) and not _manifest.NAME_RE.match(value) and not sa.KEY_RE.match(value)
    assert not _editable._PACKAGE_RE.match(value) and not _manifest._KEY_RE.match(value)


@pytest.mark.parametrize("host, key, refused", [("0.0.0.0", None, True), ("::", None, True), ("203.0.113.7", "", True),
                                                ("gh200-node01", None, True), ("0.0.0.0", "k", False),
                                                ("127.0.0.1", None, False), ("::1", None, False), ("localhost", None, False),
                                                ("127.0.0.2", None, False)])
def test_a_server_beyond_loopback_needs_an_api_key(host, key, refused):
    problem = sa.exposure_problem(host, key)
    assert (problem is not None) == refused
    if refused:
        assert problem.startswith("host: %s is not a loopback address and no api_key is set" % host)


def test_the_validation_key_changes_with_anything_the_parser_answer_depends_on():
    base = ('{"args": {"port": 30000}, "extra": []}', "python3", "devuser", "c0ffee", "2026-11-30T06:00:00Z")
    key = sa.validation_key(*base)
    assert key == sa.validation_key(*base) and len(key) == 64
    for i, other in enumerate(('{"args": {"port": 30001}, "extra": []}', "/opt/py/bin/python3", "root", "beef", "2026-11-30T07:00:00Z")):
        changed = list(base)
        changed[i] = other
        assert sa.validation_key(*changed) != key, i


def test_a_start_reuses_only_a_clean_answer_under_its_own_key():
    answer = {"argv": ["--port", "30000"], "values": {"port": 30000}, "version": "0.5.5", "problems": [], "model_dir": True}
    assert sa.reusable_answer({"validation_key": "k", "parser_answer": answer}, "k") == answer
    assert sa.reusable_answer({"validation_key": "other", "parser_answer": answer}, "k") is None
    assert sa.reusable_answer(None, "k") is None and sa.reusable_answer("k", "k") is None
    assert sa.reusable_answer({"validation_key": "k", "msg": "2 problem(s)"}, "k") is None
    for bad in ({"problems": ["port: 30000 is in use"]}, {"error": "cannot import"}, {"argv": "--port 1"}, {"values": []}, {"version": None}):
        broken = dict(answer, **bad)
        if "version" in bad:
            del broken["version"]
        assert sa.reusable_answer({"validation_key": "k", "parser_answer": broken}, "k") is None, bad


# A server that does what SGLang does with --config and its key: reads the YAML once at start-up and prints its
# server_args, api_key included, then a ready line; it keeps running until its stdin (none) or a signal ends it.
FAKE_SERVER = textwrap.dedent("""
    import sys, time
    argv = sys.argv[1:]
    config = open(argv[argv.index("--config") + 1]).read() if "--config" in argv else ""
    key = config.split(": ", 1)[1].strip().strip('"') if config else None
    print("server_args=ServerArgs(port=1, api_key=%r)" % key, flush=True)
    print("ready", flush=True)
    time.sleep(float(sys.argv[sys.argv.index("--sleep") + 1]) if "--sleep" in sys.argv else 0)
""")


def launch(tmp_path, key, sleep="0"):
    log = tmp_path / "server.log"
    out = subprocess.run([sys.executable, "-c", sa.LAUNCHER, str(log), sys.executable, "-c", FAKE_SERVER, "--sleep", sleep],
                         input=(key or "").encode(), stdout=subprocess.PIPE, check=True, timeout=30)
    return log, json.loads(out.stdout.decode().splitlines()[-1])


def wait_for(predicate, seconds=15):
    deadline = time.time() + seconds
    while not predicate() and time.time() < deadline:
        time.sleep(0.05)
    return predicate()


def test_the_key_reaches_the_server_through_a_fifo_and_the_log_masks_it(tmp_path):
    key = "gh200-planted-" + os.urandom(8).hex()
    log, started = launch(tmp_path, key, sleep="2")
    # While the server runs: its command line and the relay's hold no key, and its FIFO is gone once read.
    cmdline = open("/proc/%d/cmdline" % started["pid"], "rb").read()
    assert key.encode() not in cmdline and b"--config" in cmdline
    assert wait_for(lambda: b"ready" in log.read_bytes())
    fifo = cmdline.split(b"\0")[cmdline.split(b"\0").index(b"--config") + 1].decode()
    assert wait_for(lambda: not os.path.exists(os.path.dirname(fifo)))
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        for what in ("cmdline", "environ"):
            try:
                seen = open("/proc/%s/%s" % (pid, what), "rb").read()
            except OSError:
                continue
            assert key.encode() not in seen, "pid %s has the key in its %s" % (pid, what)
    assert wait_for(lambda: not os.path.exists("/proc/%d" % started["pid"]) or
                    open("/proc/%d/stat" % started["pid"]).read().split(")")[1].split()[0] == "Z", 10)
    text = log.read_text()
    # The server had the key (it printed it), and the log shows it masked.
    assert "api_key='********'" in text and key not in text


def test_without_a_key_the_server_writes_its_log_itself_and_gets_no_config(tmp_path):
    log, started = launch(tmp_path, None)
    assert wait_for(lambda: b"ready" in log.read_bytes())
    assert "api_key=None" in log.read_text()


def test_the_parser_says_whether_sglang_reads_a_config_file(fake_sglang):
    answer = probe(fake_sglang, {"model_path": "/models/m"})
    assert answer["config_file"] is False  # the fake sglang package has no server_args_config_parser


def test_a_record_with_a_planted_cache_env_is_refused():
    record = sa.server_record("sglang-30000", 4242, "123456", ["x"], "127.0.0.1", 30000, "/telemetry/logs/x.log", "run",
                              "0.5.5", None, 1.0, {"TRITON_CACHE_DIR": "/profiles/inductor/triton"})
    assert sa.record_problem(record) is None
    for planted in (["x"], {"A": 1}, {"A,B": "/x"}):
        assert sa.record_problem(dict(record, cache_env=planted)) == "its cache_env is not a map of variable names to paths"


def test_the_same_server_needs_the_same_cache_env():
    record = sa.server_record("s", 4242, "1", ["x"], "127.0.0.1", 30000, "/l", "run", "0.5.5", None, 1.0, {"A": "/p"})
    assert sa.same_server(record, ["x"], "run", None, {"A": "/p"})
    assert not sa.same_server(record, ["x"], "run", None, {})
    assert not sa.same_server(record, ["x"], "run", None, {"A": "/q"})


def test_the_process_probe_reads_only_the_variables_asked_for(tmp_path):
    env = dict(os.environ, GH200_A="/profiles/a", GH200_SECRET="s3cret")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], env=env)
    try:
        start = open("/proc/%d/stat" % proc.pid).read().rsplit(")", 1)[1].split()[19]
        out = subprocess.run([sys.executable, "-c", sa.PROCESS_PROBE, str(proc.pid), start, "none", "0", "GH200_A,GH200_B"],
                             stdout=subprocess.PIPE, check=True, timeout=30).stdout.decode()
    finally:
        proc.kill()
        proc.wait()
    answer = json.loads(out.splitlines()[-1])
    assert answer["alive"] and answer["env"] == {"GH200_A": "/profiles/a", "GH200_B": None} and "s3cret" not in out
