"""The programs cache_stage runs inside the container, run here for real with this machine's Python:
the version probe (no heavy import, GPU from nvidia-smi), the warmed-server run that fills the inductor and
FlashInfer caches (against a small fake ``sglang.launch_server`` HTTP server), and the MoE name probe."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _stages

FAKE_SERVER = textwrap.dedent('''
    """Fake sglang.launch_server for the tests: 503 on /health_generate twice, then 200; /generate answers
    per FAKE_MODE (ok, error, exit). It records its argv and a marker when it is stopped by SIGTERM."""
    import json, os, signal, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer
    out = os.environ["FAKE_OUT"]
    mode = os.environ.get("FAKE_MODE", "ok")
    with open(os.path.join(out, "argv.json"), "w") as handle:
        json.dump({"argv": sys.argv[1:], "pid": os.getpid()}, handle)
    if mode == "exit":
        sys.exit(3)
    calls = {"health": 0}
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass
        def reply(self, code, body):
            self.send_response(code)
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())
        def do_GET(self):
            calls["health"] += 1
            self.reply(503 if calls["health"] <= 1 else 200, {})
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with open(os.path.join(out, "request.json"), "w") as handle:
                json.dump(body, handle)
            self.reply(500 if mode == "error" else 200, {"text": " Paris"})
    def stopped(*args):
        open(os.path.join(out, "stopped"), "w").close()
        sys.exit(0)
    signal.signal(signal.SIGTERM, stopped)
    port = int(sys.argv[sys.argv.index("--port") + 1])
    HTTPServer(("127.0.0.1", port), Handler).serve_forever()
''')


@pytest.fixture
def fake_sglang(tmp_path):
    package = tmp_path / "site" / "sglang"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "launch_server.py").write_text(FAKE_SERVER)
    out = tmp_path / "out"
    out.mkdir()

    def run(mode="ok", flags=("--model-path", "/models/org/m", "--enable-torch-compile")):
        env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"), FAKE_OUT=str(out), FAKE_MODE=mode)
        proc = subprocess.run([sys.executable, "-c", _stages.WARM_SERVER] + list(flags), env=env, timeout=60,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        return proc, out
    return run


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    with open("/proc/%d/stat" % pid) as handle:
        return handle.read().split(")")[-1].split()[0] != "Z"


def test_the_warmed_server_is_started_on_loopback_asked_once_and_stopped_by_its_pid(fake_sglang):
    proc, out = fake_sglang()
    assert proc.returncode == 0, proc.stdout
    started = json.loads((out / "argv.json").read_text())
    argv = started["argv"]
    assert argv[:3] == ["--model-path", "/models/org/m", "--enable-torch-compile"]
    assert argv[3:5] == ["--host", "127.0.0.1"] and argv[5] == "--port" and int(argv[6]) > 0
    assert json.loads((out / "request.json").read_text())["sampling_params"]["max_new_tokens"] == 8
    assert (out / "stopped").exists() and not alive(started["pid"])
    assert "generated ' Paris'" in proc.stdout and ("stopping the server (pid %d)" % started["pid"]) in proc.stdout


def test_a_server_that_dies_before_it_is_ready_fails_the_run_with_its_exit_code(fake_sglang):
    proc, out = fake_sglang(mode="exit")
    assert proc.returncode == 3
    assert "the server exited with 3 before it was ready" in proc.stdout


def test_a_failed_request_fails_the_run_and_still_stops_the_server(fake_sglang):
    proc, out = fake_sglang(mode="error")
    assert proc.returncode == 1
    assert "the request failed: HTTP 500" in proc.stdout
    assert (out / "stopped").exists()
    assert not alive(json.loads((out / "argv.json").read_text())["pid"])


def fake_site(tmp_path, cuda):
    site = tmp_path / "site"
    info = site / "torch-2.5.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\nVersion: 2.5.1\n")
    (site / "torch").mkdir()
    (site / "torch" / "version.py").write_text(
        "from typing import Optional\n__version__ = '2.5.1'\ndebug = False\ncuda: Optional[str] = %s\n" % cuda)
    return site


def run_probe(tmp_path, site, smi=None):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    if smi is not None:
        (bindir / "nvidia-smi").write_text("#!/bin/sh\n" + smi)
        (bindir / "nvidia-smi").chmod(0o755)
    env = dict(os.environ, PYTHONPATH=str(site), PATH="%s:/usr/bin:/bin" % bindir)
    out = subprocess.check_output([sys.executable, "-c", _stages.VERSIONS_PROBE], env=env, universal_newlines=True)
    return json.loads(out.strip().splitlines()[-1])


def test_the_version_probe_reads_torch_cuda_and_the_gpu_without_importing_torch(tmp_path):
    site = fake_site(tmp_path, "'12.4'")
    (site / "torch" / "__init__.py").write_text("raise SystemExit('imported torch')\n")
    facts = run_probe(tmp_path, site, "echo 'NVIDIA GH200 480GB, 9.0, 550.54.15'\n")
    assert facts["versions"]["torch"] == "2.5.1"
    assert facts["gpu"] == {"count": 1, "cuda": "12.4", "name": "NVIDIA GH200 480GB", "capability": "9.0",
                            "driver": "550.54.15"}


def test_the_version_probe_without_a_gpu_or_cuda_build(tmp_path):
    facts = run_probe(tmp_path, fake_site(tmp_path, "None"))
    assert facts["gpu"] == {"count": 0, "cuda": None}


def test_a_broken_nvidia_smi_is_recorded_not_hidden(tmp_path):
    facts = run_probe(tmp_path, fake_site(tmp_path, "'12.4'"),
                      "echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'; exit 9\n")
    assert facts["gpu"]["count"] == 0 and "exit status 9" in facts["gpu"]["error"]


def test_the_moe_name_probe_asks_the_container_function_with_only_the_parameters_it_takes(tmp_path):
    module = tmp_path / "site" / "sglang" / "srt" / "layers" / "moe" / "fused_moe_triton"
    module.mkdir(parents=True)
    for folder in [module] + list(module.parents)[:4]:
        (folder / "__init__.py").touch()
    (module / "fused_moe_triton_config.py").write_text(
        "def get_config_file_name(E, N, dtype, block_shape=None):\n"
        "    return 'E=%d,N=%d,device_name=NVIDIA_GH200_480GB%s%s.json' % (E, N, ',dtype=' + dtype if dtype else '',\n"
        "        ',block_shape=' + str(block_shape) if block_shape else '')\n")
    names = ["E=8,N=64,device_name=NVIDIA_GH200_480GB.json",
             "E=256,N=256,device_name=NVIDIA_GH200_480GB,dtype=fp8_w8a8,block_shape=[128, 128].json"]
    params = json.dumps([_stages.moe_name_params(n) for n in names])
    out = subprocess.check_output([sys.executable, "-c", _stages.MOE_NAME_PROBE, params], universal_newlines=True,
                                  env=dict(os.environ, PYTHONPATH=str(tmp_path / "site")))
    assert json.loads(out) == names
