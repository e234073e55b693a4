"""Each phase-3 check can fail: break what it checks on a healthy host, run phase 3 there, and see it `failed` with the
cause named. Bad server arguments are refused before anything starts (no server record, no server log, the port free).
The API key is found nowhere: not in any process's command line while phase 3 runs, docker inspect, the tree or the output."""
import glob
import json
import os
import shutil
import socket
import tempfile
import threading
import time

from conftest import container_name, host_vars_inventory, root_of

HOST, OTHER = "gh200-vb", "gh200-va"
PORT, OTHER_PORT = 19892, 19891


def phase3(verify, **extra):
    return verify("--limit", HOST, "--tags", "phase3", "-e", json.dumps(extra))


def server_files(root):
    found = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, "telemetry")):
        found += [os.path.join(dirpath, n) for n in filenames if n.startswith("sglang-%d" % PORT)]
    return sorted(found)


def failed(run, name, host=HOST):
    check = run.checks(host, "phase3")[name]
    assert check["status"] == "failed", check
    return check["detail"]


def test_bad_server_arguments_are_each_named_and_nothing_starts(verify):
    root = root_of(HOST)
    before = server_files(root)
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(("127.0.0.1", PORT))
        held.listen(1)
        run = phase3(verify, inference_server_args={"port": PORT, "contxt_length": 64, "context_length": 4096,
                                                    "model_path": "/models/standin/no-such-model"},
                     inference_extra_args=["--enable-metrcs"])
    assert run.rc != 0
    detail = failed(run, "server arguments valid for the container's SGLang")
    for named in ("contxt_length: not a server argument of SGLang 0.5.5 (did you mean context_length?)",
                  "--enable-metrcs: not a flag of SGLang 0.5.5 (did you mean --enable-metrics?)",
                  "context_length: 4096 is above the model's max_position_embeddings (256)",
                  "model_path: /models/standin/no-such-model does not exist in the container",
                  "port: %d is in use on 127.0.0.1" % PORT):
        assert named in detail, (named, detail)
    assert run.checks(HOST, "phase3")["smoke prompt answered"]["status"] == "skipped: the server arguments are invalid"
    assert server_files(root) == before


def test_a_server_that_dies_loading_a_refused_prompt_and_no_metrics_fail_their_checks(verify, tmp_path):
    """One run, two hosts, faults whose checks differ. On gh200-vb the server dies loading (its model lost the
    tokenizer): start and warmup fail with its log. On gh200-va the server refuses the prompt (longer than its context),
    serves no /metrics (started without --enable-metrics), runs without one of the caches phase 2 built (its launch
    command drops TORCHINDUCTOR_CACHE_DIR), with another torch.compile batch size than the inductor stage warmed, and
    finds phase 2's DeepGEMM kernel gone, so it compiles one at start: the answer, the log, both counters, the caches
    check, the warmed-arguments check and 'no kernel compiled at server start' fail."""
    tokenizer = os.path.join(root_of(HOST), "models/standin/tiny-model/tokenizer.json")
    saved = os.path.join(tempfile.mkdtemp(prefix="gh200-tokenizer-"), "tokenizer.json")
    shutil.copy2(tokenizer, saved)
    st = os.stat(tokenizer)
    os.unlink(tokenizer)
    (kernel,) = glob.glob(os.path.join(root_of(OTHER), "profiles/deep_gemm/cache/kernel.*/kernel.so"))
    kernel_saved = os.path.join(os.path.dirname(saved), "kernel.so")
    kernel_st = os.stat(kernel)
    shutil.move(kernel, kernel_saved)
    compiled = os.path.join(root_of(OTHER), "profiles/deep_gemm/cache/kernel.standin-server")
    per_host = {HOST: {"inference_warmup_max_wait": 30, "inference_warmup_interval": 3},
                OTHER: {"inference_prompt": "the GH200 " * 200, "inference_prometheus_wait": 10,
                        "inference_server_args": {"port": OTHER_PORT, "enable_metrics": False, "torch_compile_max_bs": 8},
                        "inference_launch_command": ["env", "-u", "TORCHINDUCTOR_CACHE_DIR", "/usr/local/bin/standin-sglang-server"]}}
    try:
        run = verify("--limit", ",".join(per_host), "--tags", "phase3", *host_vars_inventory(tmp_path, per_host))
    finally:
        shutil.copy2(saved, tokenizer)
        os.chown(tokenizer, st.st_uid, st.st_gid)
        shutil.rmtree(compiled, ignore_errors=True)
        shutil.copy2(kernel_saved, kernel)
        os.chown(kernel, kernel_st.st_uid, kernel_st.st_gid)
    assert run.rc != 0
    assert "exited" in failed(run, "server starts without CLI or context-length errors")
    assert "no 200 from /health_generate within 30 s" in failed(run, "server ready within the warmup's max_wait")
    assert run.checks(HOST, "phase3")["smoke prompt answered"]["status"] == "skipped: the server never answered /health_generate"
    assert failed(run, "smoke prompt answered", OTHER).startswith("HTTP 400: ")
    assert "0 request line(s) after the prompt, 0 before" in failed(run, "request captured under /telemetry/logs", OTHER)
    assert "answered HTTP 404, not 200" in failed(run, "server metrics counted the request", OTHER)
    failed(run, "Prometheus scraped the server's request counter", OTHER)
    assert run.checks(OTHER, "phase3")["server starts without CLI or context-length errors"]["status"] == "passed"
    assert failed(run, "server uses the phase-2 caches", OTHER).endswith(": TORCHINDUCTOR_CACHE_DIR is not set")
    assert failed(run, "server arguments are the ones phase 2 warmed", OTHER) == (
        "torch_compile_max_bs: the server runs with 8, phase 2 warmed 32 (inductor) (on a GPU the server compiles those "
        "kernels at start: give it phase 2's values, or rebuild the stages with its own)")
    assert run.checks(HOST, "phase3")["server arguments are the ones phase 2 warmed"]["status"] == "passed"
    assert run.checks(HOST, "phase3")["server uses the phase-2 caches"]["status"] == \
        "skipped: the server exited before its environment could be read"
    detail = failed(run, "no kernel compiled at server start", OTHER)
    assert detail.startswith("1 file(s) written in the phase-2 caches after the server's launch"), detail
    assert detail.endswith(": profiles/deep_gemm/cache/kernel.standin-server/kernel.so"), detail
    assert run.checks(HOST, "phase3")["no kernel compiled at server start"]["status"] == \
        "skipped: the server never answered /health_generate"


def test_a_server_that_leaves_its_process_group_fails_the_stop(verify, engine):
    # setsid forks when it leads its group: the recorded PID ends at once, the server lives on in another session.
    try:
        run = phase3(verify, inference_launch_command=["setsid", "/usr/local/bin/standin-sglang-server"], inference_prometheus_wait=10)
    finally:
        engine.containers.get(container_name(HOST)).stop(timeout=10)  # ends the escaped server with the container
    assert run.rc != 0
    assert "port %d is still in use" % PORT in failed(run, "server stopped by its PID, port freed")
    assert "exited" in failed(run, "server starts without CLI or context-length errors")


def test_the_api_key_gates_the_server_and_is_found_nowhere_at_vvvv(verify, engine):
    key = "gh200-planted-" + os.urandom(8).hex()
    # From a vars file, as from a vault: ansible-playbook echoes a key given inline with -e in its -vvvv banner.
    seen, stop = [], threading.Event()

    def watch_command_lines():  # every process on this machine (the host containers' and the dev containers' too)
        while not stop.is_set():
            for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
                for what in ("cmdline", "environ"):
                    try:
                        with open("/proc/%s/%s" % (pid, what), "rb") as handle:
                            if key.encode() in handle.read():
                                seen.append("%s (%s)" % (pid, what))
                    except OSError:
                        pass
            time.sleep(0.1)

    watcher = threading.Thread(target=watch_command_lines, daemon=True)
    watcher.start()
    with tempfile.NamedTemporaryFile("w", suffix=".json") as secrets:
        json.dump({"inference_api_key": key}, secrets)
        secrets.flush()
        run = verify("--limit", HOST, "--tags", "phase3", "-vvvv", "-e", "@" + secrets.name)
    stop.set()
    watcher.join()
    assert run.rc == 0, run.output[-3000:]
    assert not seen, "the key was in the command line or environment of pid %s" % seen[0]
    assert key not in json.dumps(engine.containers.get(container_name(HOST)).attrs)  # docker inspect
    assert run.checks(HOST, "phase3")["smoke prompt answered"]["status"] == "passed"  # the prompt carried the key
    assert key not in run.output
    for top in (root_of(HOST), str(run.folder)):
        for dirpath, dirnames, filenames in os.walk(top):
            for name in filenames:
                with open(os.path.join(dirpath, name), "rb") as handle:
                    assert key.encode() not in handle.read(), os.path.join(dirpath, name)
    assert key.encode() not in engine.containers.get(container_name(HOST)).logs()
