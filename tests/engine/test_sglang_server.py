"""sglang_server on the real engine: the STAND-IN server (tests/testbed, its argv parsed by the real sglang package in
/opt/sglang-real) launched from the role's JSON defaults in a host-network dev container, answered on loopback,
left alone when unchanged, stopped by its PID with the port freed; each bad input is one clear error with nothing
started and nothing written; the API key gates every path but /health* and /metrics and is written nowhere."""
import json
import os
import pwd
import socket
import time
import urllib.error
import urllib.request
import uuid

import docker
import pytest

from conftest import bed_ids, chown_tree, free_port, IMAGE, REPO

DEFAULTS = json.loads((REPO / "roles/inference/files/server_defaults.json").read_text())
SECRET = "gh200-planted-key-" + uuid.uuid4().hex
RUN_LABEL = "org.gh200-sglang.run-id"


@pytest.fixture
def server_container(engine, tree):
    """A running dev container on the host network (as container_run starts it) with /models, /telemetry and
    /profiles mounted and a run id label; removed afterwards, with whatever runs in it. Its prep_result.json says
    phase 2 built every stage (no kernel is there, and no signature: the stand-in server compiles nothing at start)."""
    uid, gid = bed_ids()
    run_id = "enginetest-" + uuid.uuid4().hex[:8]
    (tree / ("telemetry/logs/container-run-%s" % run_id)).mkdir(parents=True)
    chown_tree(tree / "telemetry", uid, gid)
    (tree / "profiles").mkdir(exist_ok=True)
    (tree / "profiles/prep_result.json").write_text(json.dumps({"format": 1, "stages": dict(
        (stage, {"status": "ok"}) for stage in ("flashinfer", "inductor", "deep_gemm", "moe"))}))
    chown_tree(tree / "profiles", uid, gid)
    c = engine.containers.run(
        IMAGE, entrypoint=["sleep", "infinity"], name="gh200-engine-server-" + run_id[-8:], detach=True,
        network_mode="host", labels={RUN_LABEL: run_id}, environment={"PYTHONPATH": "/workspaces/sglang/python"},
        mounts=[docker.types.Mount("/models", str(tree / "models"), type="bind", read_only=True),
                docker.types.Mount("/telemetry", str(tree / "telemetry"), type="bind"),
                docker.types.Mount("/profiles", str(tree / "profiles"), type="bind")])  # the caches the server is pointed at
    yield c, run_id
    c.remove(force=True)


def args_for(tree, container, port, **over):
    args = {"name": container.name, "root": str(tree), "host_user": pwd.getpwuid(bed_ids()[0]).pw_name, "defaults": DEFAULTS,
            "overrides": {"model_path": "/models/standin/tiny-model", "served_model_name": "standin/tiny-model", "port": port},
            "launch_command": ["/usr/local/bin/standin-sglang-server"], "parser_python": "/usr/local/bin/standin-sglang-python",
            "max_position_embeddings": 256, "env": {"STANDIN_LOAD_SECONDS": "1"}, "stop_timeout": 10}
    args.update(over)
    return args


def get(url, headers=None, body=None, timeout=5):
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_ready(port, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if get("http://127.0.0.1:%d/health_generate" % port)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("the server on port %d was not ready within %d s" % (port, seconds))


def listing(root):
    return sorted(os.path.relpath(os.path.join(d, n), str(root)) for d, dirs, files in os.walk(str(root)) for n in dirs + files)


def everything_under(root):
    text = []
    for dirpath, dirnames, filenames in os.walk(str(root)):
        for name in filenames:
            with open(os.path.join(dirpath, name), "rb") as handle:
                text.append(handle.read().decode("utf-8", "replace"))
    return "\n".join(text)


def test_start_answer_keep_and_stop_by_pid(module, tree, server_container):
    container, run_id = server_container
    port = free_port()
    # A python3 first on the launcher's PATH that appends its environment to a file, then runs the image's own: the
    # launcher (the one python3 given the module's env) must hold the key in no environment, not even for a moment.
    shim = "#!/bin/sh\nenv >> /tmp/launcher.env\nPATH=${PATH#/tmp/gh200-shim:} exec python3 \"$@\"\n"
    assert container.exec_run(["sh", "-c", 'mkdir -p /tmp/gh200-shim && printf "%s" "$0" > /tmp/gh200-shim/python3 && '
                                           'chmod 755 /tmp/gh200-shim /tmp/gh200-shim/python3', shim], user="0").exit_code == 0
    image_path = [e.split("=", 1)[1] for e in container.attrs["Config"]["Env"] if e.startswith("PATH=")][0]
    args = args_for(tree, container, port, api_key=SECRET)
    args["env"] = dict(args["env"], PATH="/tmp/gh200-shim:" + image_path)

    rc, validated = module("sglang_server", dict(args, state="validated"))
    assert rc == 0 and not validated["changed"], validated
    assert validated["sglang_version"] == "0.5.5"
    assert validated["argv"][:1] == ["/usr/local/bin/standin-sglang-server"]
    assert "--enable-metrics" in validated["argv"] and "--model-path" in validated["argv"] and "--api-key" not in validated["argv"]
    assert validated["parsed"]["port"] == port and validated["parsed"]["api_key"] is False  # the key never reaches the probe

    rc, predicted = module("sglang_server", args, check=True)
    assert rc == 0 and predicted["changed"] and "pid" not in predicted
    assert not os.path.exists(str(tree / "telemetry/inference"))

    rc, started = module("sglang_server", args)
    assert rc == 0 and started["changed"], started
    wait_ready(port)
    status, body = get("http://127.0.0.1:%d/v1/chat/completions" % port, {"Authorization": "Bearer " + SECRET},
                       {"model": "standin/tiny-model", "messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 4})
    assert status == 200 and json.loads(body)["choices"][0]["message"]["content"], body
    assert get("http://127.0.0.1:%d/v1/models" % port)[0] == 401
    assert get("http://127.0.0.1:%d/metrics" % port)[0] == 200 and get("http://127.0.0.1:%d/health" % port)[0] == 200

    log = tree / started["log"].lstrip("/")
    assert started["log"] == "/telemetry/logs/container-run-%s/sglang-%d.log" % (run_id, port)
    assert "POST /v1/chat/completions HTTP/1.1" in log.read_text()
    # The server had the key (it printed its server_args, as SGLang does) and the log shows it masked; no process in
    # the container has it on its command line, and its --config FIFO is gone once read.
    assert "'api_key': '********'" in log.read_text()
    processes = container.exec_run(["ps", "-eo", "args"], user="0").output.decode()
    assert SECRET not in processes and "--config /dev/shm/gh200-server-" in processes, processes
    assert container.exec_run(["sh", "-c", "ls -A /dev/shm"], user="0").output.decode().strip() == ""
    launcher_env = container.exec_run(["cat", "/tmp/launcher.env"], user="0").output.decode()
    assert "STANDIN_LOAD_SECONDS=1" in launcher_env and SECRET not in launcher_env, launcher_env
    environs = container.exec_run(["sh", "-c", "cat /proc/[0-9]*/environ"],  # the server's user reads its processes'
                                  user=str(bed_ids()[0])).output.decode("utf-8", "replace")
    assert "STANDIN_LOAD_SECONDS=1" in environs and SECRET not in environs
    record = json.loads((tree / ("telemetry/inference/sglang-%d.json" % port)).read_text())
    assert record["pid"] == started["pid"] and record["api_key"] is True and record["run_id"] == run_id
    config = (tree / ("telemetry/logs/container-run-%s/sglang-%d.config.yaml" % (run_id, port))).read_text()
    assert 'model-path: "/models/standin/tiny-model"' in config and "enable-metrics: true" in config
    uid, gid = bed_ids()
    assert [(os.stat(str(p)).st_uid, os.stat(str(p)).st_gid) for p in (log, tree / "telemetry/inference")] == [(uid, gid)] * 2

    rc, again = module("sglang_server", args)
    assert rc == 0 and not again["changed"] and again["pid"] == started["pid"]

    rc, status = module("sglang_server", dict(args, state="status"))
    assert rc == 0 and not status["changed"] and status["alive"] is True, status
    assert status["log_evidence"]["requests"] == 1 and status["log_evidence"]["errors"] == [], status["log_evidence"]
    # The server runs with every stage's cache variable, read back from its own environment.
    assert status["server_env"] == status["cache_env"] and status["cache_env_problems"] == [], status
    assert status["cache_env"]["TORCHINDUCTOR_CACHE_DIR"] == "/profiles/inductor" and len(status["cache_env"]) == 5

    rc, stop_predicted = module("sglang_server", dict(args, state="stopped"), check=True)
    assert rc == 0 and stop_predicted["changed"] and get("http://127.0.0.1:%d/health" % port)[0] == 200

    rc, stopped = module("sglang_server", dict(args, state="stopped"))
    assert rc == 0 and stopped["changed"] and stopped["port_free"] is True, stopped.get("msg")
    with pytest.raises(OSError):
        get("http://127.0.0.1:%d/health" % port, timeout=2)
    states = dict(line.split() for line in container.exec_run(["ps", "-eo", "pid=,stat="]).output.decode().splitlines())
    assert states.get(str(started["pid"]), "Z").startswith("Z"), states  # gone, or a zombie nobody reaped (PID 1 is sleep)
    rc, stopped_again = module("sglang_server", dict(args, state="stopped"))
    assert rc == 0 and not stopped_again["changed"]

    assert SECRET not in everything_under(tree)  # the log, the record, the config: nowhere in the host tree
    assert SECRET not in json.dumps([validated, predicted, started, again, stopped])


@pytest.mark.parametrize("over, problem", [
    ({"overrides": {"model_path": "/models/standin/tiny-model", "contxt_length": 128}},
     "contxt_length: not a server argument of SGLang 0.5.5 (did you mean context_length?)"),
    ({"extra_args": ["--enable-metrcs"]}, "--enable-metrcs: not a flag of SGLang 0.5.5 (did you mean --enable-metrics?)"),
    ({"overrides": {"model_path": "/models/standin/tiny-model", "context_length": 4096}},
     "context_length: 4096 is above the model's max_position_embeddings (256); SGLang refuses it"),
    ({"overrides": {"model_path": "/models/standin/no-such-model"}}, "model_path: /models/standin/no-such-model does not exist in the container"),
    ({"overrides": {"model_path": "/models/standin/tiny-model", "context-length": 128}},
     "'context-length': server argument keys are SGLang's ServerArgs field names"),
])
def test_each_bad_input_is_one_clear_error_and_nothing_starts(module, tree, server_container, over, problem):
    container, run_id = server_container
    port = free_port()
    args = args_for(tree, container, port)
    if "overrides" in over:
        over["overrides"]["port"] = port
    before = listing(tree)
    rc, result = module("sglang_server", dict(args, **over))
    assert rc != 0 and problem in result["msg"] and "\n" not in result["msg"], result["msg"]
    assert listing(tree) == before
    assert "standin-sglang-server" not in container.exec_run(["ps", "-eo", "args="]).output.decode()


@pytest.mark.parametrize("over", [{"overrides": {"model_path": "/models/standin/tiny-model", "api_key": SECRET}},
                                  {"extra_args": ["--api-key=" + SECRET]}])
def test_a_key_in_the_server_arguments_is_refused_and_shown_nowhere(module, tree, server_container, over):
    container, run_id = server_container
    port = free_port()
    if "overrides" in over:
        over["overrides"]["port"] = port
    before = listing(tree)
    rc, result = module("sglang_server", dict(args_for(tree, container, port), **over))
    assert rc != 0 and result["msg"].endswith("api_key: a key in the server arguments would be written to the run's "
                                              "records; pass it with the api_key option (no_log) instead"), result["msg"]
    assert listing(tree) == before and SECRET not in everything_under(tree)
    assert SECRET not in json.dumps(result["argv"]) and SECRET not in result["msg"]
    assert "standin-sglang-server" not in container.exec_run(["ps", "-eo", "args="]).output.decode()


def test_a_port_in_use_is_named_and_nothing_starts(module, tree, server_container):
    container, run_id = server_container
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        before = listing(tree)
        rc, result = module("sglang_server", args_for(tree, container, port))
    assert rc != 0 and result["msg"].endswith("port: %d is in use on 127.0.0.1" % port), result["msg"]
    assert listing(tree) == before


def test_status_names_the_refusal_of_a_server_that_exited_at_start(module, tree, server_container):
    """Without the model's limit the module cannot refuse a long context: the server does, and status shows it."""
    container, run_id = server_container
    port = free_port()
    args = args_for(tree, container, port, max_position_embeddings=None,
                    overrides={"model_path": "/models/standin/tiny-model", "port": port, "context_length": 4096})
    rc, started = module("sglang_server", args)
    assert rc == 0 and started["changed"], started
    deadline = time.time() + 60
    while time.time() < deadline:
        rc, status = module("sglang_server", dict(args, state="status"))
        if not status["alive"]:
            break
        time.sleep(1)
    assert rc == 0 and status["alive"] is False, status
    assert any("greater than the derived context_length (256)" in line for line in status["log_evidence"]["errors"]), status


def test_the_prometheus_target_is_written_never_through_a_planted_symlink(module, tree, server_container, tmp_path):
    container, run_id = server_container
    uid, gid = bed_ids()
    port = free_port()
    canary = tmp_path / "canary"
    canary.mkdir()
    targets = tree / "telemetry/prometheus/targets"
    targets.parent.mkdir(parents=True)
    os.symlink(str(canary), str(targets))  # planted from the container: the targets folder is a link out of the tree
    chown_tree(tree / "telemetry", uid, gid)
    rc, refused = module("sglang_server", args_for(tree, container, port, prometheus_target=True))
    assert rc != 0 and "telemetry/prometheus/targets is a symlink or not a directory; refusing to follow it" in refused["msg"], refused
    assert os.listdir(str(canary)) == []  # nothing written outside the tree
    assert not list((tree / "telemetry").glob("inference/*.json"))  # and no server record: nothing started
    os.unlink(str(targets))
    rc, started = module("sglang_server", args_for(tree, container, port, prometheus_target=True))
    try:
        assert rc == 0, started
        target = json.loads((targets / ("sglang-%d.json" % port)).read_text())
        assert target == [{"labels": {"job": "sglang", "server": "sglang-%d" % port}, "targets": ["127.0.0.1:%d" % port]}]
        assert (targets / ("sglang-%d.json" % port)).stat().st_uid == uid
    finally:
        module("sglang_server", args_for(tree, container, port, state="stopped", server_name="sglang-%d" % port))


def test_a_server_without_a_cache_variable_is_named_by_status(module, tree, server_container):
    container, run_id = server_container
    port = free_port()
    args = args_for(tree, container, port, launch_command=["env", "-u", "SGLANG_DG_CACHE_DIR", "/usr/local/bin/standin-sglang-server"])
    rc, started = module("sglang_server", args)
    assert rc == 0 and started["changed"], started
    rc, status = module("sglang_server", dict(args, state="status"))
    assert rc == 0 and status["alive"] and status["cache_env_problems"] == ["SGLANG_DG_CACHE_DIR is not set"], status
    rc, unchanged = module("sglang_server", dict(args, cache_env=False))  # another environment: another server
    assert rc == 0 and unchanged["changed"] and unchanged["pid"] != started["pid"], unchanged
    rc, status = module("sglang_server", dict(args, state="status", cache_env=False))
    assert rc == 0 and status["alive"] and status["cache_env"] == {} and status["cache_env_problems"] == [], status
    assert module("sglang_server", dict(args, state="stopped"))[0] == 0


def test_a_kernel_missing_from_a_cache_phase_2_built_is_compiled_at_start_and_named_by_status(module, tree, server_container):
    """Phase 2 built DeepGEMM (its kernel is there) and FlashInfer (its kernel is gone), and skipped TorchInductor: the
    stand-in server compiles the missing FlashInfer kernel at start, and status names that file, and only it (a skipped
    stage's folder is not judged)."""
    container, run_id = server_container
    profiles = tree / "profiles"
    kernel = profiles / "deep_gemm/cache/kernel.standin_gemm.0123456789abcdef/kernel.so"
    kernel.parent.mkdir(parents=True)
    kernel.write_bytes(b"\x7fELF phase 2's kernel")
    for folder in ("deep_gemm", "flashinfer"):
        (profiles / folder / "signature.json").write_text("{}")  # the stand-in only reads that phase 2 built the cache
    (profiles / "prep_result.json").write_text(json.dumps({"format": 1, "stages": {
        "deep_gemm": {"status": "ok"}, "flashinfer": {"status": "ok"}, "inductor": {"status": "skipped"}}}))
    chown_tree(profiles, *bed_ids())
    port = free_port()
    args = args_for(tree, container, port)
    rc, started = module("sglang_server", args)
    assert rc == 0 and started["changed"], started
    try:
        wait_ready(port)
        rc, status = module("sglang_server", dict(args, state="status"))
        assert rc == 0 and status["alive"], status
        assert status["cache_written"] == {"stages": ["deep_gemm", "flashinfer"], "count": 1,
                                           "files": ["profiles/flashinfer/.cache/flashinfer/standin-server/compiled-at-start.so"]}
        assert kernel.read_bytes() == b"\x7fELF phase 2's kernel"
        # Only the stages phase 2 built are pointed at: TorchInductor (skipped) compiles in the server's own folders.
        assert sorted(status["cache_env"]) == ["FLASHINFER_WORKSPACE_BASE", "SGLANG_DG_CACHE_DIR"], status["cache_env"]
        assert status["server_env"] == status["cache_env"] and status["cache_env_problems"] == [], status
        assert not (profiles / "inductor").exists() or not os.listdir(str(profiles / "inductor"))
    finally:
        assert module("sglang_server", dict(args, state="stopped"))[0] == 0

    # The kernel now in the cache, a second server compiles nothing at its start.
    rc, started = module("sglang_server", args)
    assert rc == 0 and started["changed"], started
    try:
        wait_ready(port)
        rc, status = module("sglang_server", dict(args, state="status"))
        assert rc == 0 and status["cache_written"]["count"] == 0, status["cache_written"]
    finally:
        assert module("sglang_server", dict(args, state="stopped"))[0] == 0


def test_the_server_gets_the_arguments_phase_2_warmed_and_any_it_runs_otherwise_is_named(module, tree, server_container):
    """The stages built recorded the server arguments their kernels are for: the server gets them between the JSON
    defaults and the overrides (a skipped stage's are not given); an override that differs is named with its stage; a
    key planted in prep_result.json is refused by name and never reaches the command line."""
    container, run_id = server_container
    (tree / "profiles/prep_result.json").write_text(json.dumps({"format": 1, "stages": {
        "flashinfer": {"status": "ok", "server_args": {"attention_backend": "flashinfer", "tp_size": 1}},
        "inductor": {"status": "skipped", "server_args": {"enable_torch_compile": True, "torch_compile_max_bs": 32}},
        "deep_gemm": {"status": "ok", "server_args": {"tp_size": 1, "host": "0.0.0.0"}}}}))
    args = args_for(tree, container, free_port(), state="validated")
    rc, validated = module("sglang_server", args)
    assert rc == 0, validated
    assert validated["phase2_args"] == {"attention_backend": "flashinfer", "tp_size": 1}
    argv = validated["argv"]
    assert argv[argv.index("--attention-backend") + 1] == "flashinfer" and "--enable-torch-compile" not in argv
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert validated["parsed"]["attention_backend"] == "flashinfer"
    assert validated["phase2_arg_problems"] == [
        "stage deep_gemm: host is not a kernel-selecting server argument (attention_backend, enable_torch_compile, "
        "torch_compile_max_bs, tp_size)"]
    over = dict(args["overrides"], attention_backend="triton")
    rc, validated = module("sglang_server", dict(args, overrides=over))
    assert rc == 0 and validated["argv"][validated["argv"].index("--attention-backend") + 1] == "triton", validated
    assert validated["phase2_arg_problems"][1:] == [
        'attention_backend: the server runs with "triton", phase 2 warmed "flashinfer" (flashinfer)']
    rc, validated = module("sglang_server", dict(args, cache_env=False))
    assert rc == 0 and validated["phase2_args"] == {} and validated["phase2_arg_problems"] == []
    assert "--attention-backend" not in validated["argv"]
