# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel-cache stages of phase 2 (private to the collection): where each stage's cache lives
under /profiles, the environment variable through which SGLang (or the library under it) finds it,
and the stage's command as an argv list with its arguments substituted.

Pure standard-library code. Facts from SGLang's source (0.5.x):
- DeepGEMM: ``python3 -m sglang.compile_deep_gemm`` takes every ServerArgs flag plus ``--timeout``;
  its cache is ``SGLANG_DG_CACHE_DIR`` (SGLang points DeepGEMM's ``DG_JIT_CACHE_DIR`` at it).
- TorchInductor and Triton: ``TORCHINDUCTOR_CACHE_DIR`` and ``TRITON_CACHE_DIR``, filled by a server
  launched with ``--enable-torch-compile`` and warmed with a request.
- FlashInfer: JIT builds land in ``$FLASHINFER_WORKSPACE_BASE/.cache/flashinfer``.
- Importing sglang sets those variables with ``setdefault`` under ``SGLANG_CACHE_DIR``, so the values
  given here win.
- MoE: SGLang reads tuned Triton configs from
  ``$SGLANG_MOE_CONFIG_DIR/configs/triton_<version with underscores>/<get_config_file_name(...)>``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import stat
import string

STAGE_NAMES = ("flashinfer", "inductor", "deep_gemm", "moe")

# Per stage: its folder under /profiles, and the environment that points its cache there
# ({cache_dir} is the folder as the container sees it).
STAGES = {
    "flashinfer": {"dir": "flashinfer", "env": {"FLASHINFER_WORKSPACE_BASE": "{cache_dir}"}},
    "inductor": {"dir": "inductor", "env": {"TORCHINDUCTOR_CACHE_DIR": "{cache_dir}",
                                            "TRITON_CACHE_DIR": "{cache_dir}/triton"}},
    "deep_gemm": {"dir": "deep_gemm", "env": {"SGLANG_DG_CACHE_DIR": "{cache_dir}"}},
    "moe": {"dir": "moe_configs", "env": {"SGLANG_MOE_CONFIG_DIR": "{cache_dir}"}},
}


def stages_of(folders):
    """The stages (in STAGE_NAMES order) whose folders under /profiles are among ``folders``."""
    return [name for name in STAGE_NAMES if STAGES[name]["dir"] in folders]


# Files of the stage folder that are the module's own records, not artifacts.
RECORD_FILES = ("compile.log", "signature.json", ".lock")

# What a stage argument may hold: no shell, no path climbing, no option smuggled into a value.
ARG_RE = re.compile(r"^[A-Za-z0-9_.:=,+/@-]*\Z")


class StageProblem(ValueError):
    """A stage, argument or command that cannot be used; the message names it."""


def cache_dir(stage, profiles="/profiles"):
    """The stage's cache folder as the container sees it."""
    return "%s/%s" % (profiles.rstrip("/"), STAGES[stage]["dir"])


def check_args(args):
    """The stage arguments as strings; StageProblem naming the first key whose value could climb out
    of a path (a ``..`` segment), start an option, or is not a plain token."""
    out = {}
    for key in sorted(args or {}):
        value = args[key]
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if not re.match(r"^[a-z][a-z0-9_]*$", str(key)):
            raise StageProblem("stage argument name %r is not a lowercase identifier" % key)
        if ".." in text.split("/") or not ARG_RE.match(text) or text.startswith("-"):
            raise StageProblem("stage argument %s=%r is not allowed (no '..' segments, no leading '-', "
                               "letters, digits and ._:=,+/@- only)" % (key, text))
        out[str(key)] = text
    return out


def placeholders(template):
    """The names a template refers to as ``{name}``."""
    return [name for dummy, name, dummy2, dummy3 in string.Formatter().parse(template) if name]


def render_argv(stage, templates, values):
    """The stage's argv: each template item with ``{name}`` replaced from ``values``. An unknown name is
    a StageProblem naming the item; an item that renders empty is dropped only when it was a bare
    placeholder (an optional argument left unset)."""
    if not isinstance(templates, (list, tuple)) or not templates or not all(isinstance(t, str) for t in templates):
        raise StageProblem("stage %s: the command must be a non-empty list of strings" % stage)
    argv = []
    for item in templates:
        missing = [n for n in placeholders(item) if n not in values]
        if missing:
            raise StageProblem("stage %s: command item %r names {%s}, which is not a stage argument (known: %s)"
                               % (stage, item, missing[0], ", ".join(sorted(values))))
        text = item.format(**values)
        if text == "" and item.strip("{}") in values:
            continue
        argv.append(text)
    return argv


def with_extra(env, extra=None):
    """``env`` (cache variables), then ``extra``'s names as strings, never overriding a cache variable: what a user
    adds cannot point a stage or the server away from the caches."""
    env = dict(env)
    for key, value in (extra or {}).items():
        env.setdefault(str(key), str(value))
    return env


def stage_env(stage, profiles="/profiles", extra=None):
    """The environment the stage runs with: its cache variables, then ``extra`` (never overriding them)."""
    return with_extra(dict((k, v.format(cache_dir=cache_dir(stage, profiles))) for k, v in STAGES[stage]["env"].items()),
                      extra)


def server_cache_env(profiles="/profiles", extra=None, stages=None):
    """The environment a server runs with so that it finds the caches phase 2 built: the cache variables of each of
    ``stages`` (every stage when None; the same definition the stages run with), then ``extra`` (never overriding
    them). A stage left out gets no variable, so the server compiles into its own default folders, never into a
    cache folder of the host tree that phase 2 did not sign."""
    env = {}
    for stage in STAGE_NAMES:
        if stages is None or stage in stages:
            env.update(stage_env(stage, profiles))
    return with_extra(env, extra)


# The SGLang server arguments (ServerArgs field names) that decide which kernels a stage's cache holds, as each stage
# warms them: a value of "{name}" is the stage argument of that name, any other value is fixed by what the stage is
# (the FlashInfer stage warms FlashInfer's attention kernels, the inductor stage torch.compile's graphs, traced with
# the attention backend they call). Two stages that record different values for a key warmed kernels no one server
# runs: the key is named and left out.
# cache_stage records them in the stage's prep_result.json entry; sglang_server starts the phase-3 server with those
# of the stages phase 2 built, so the server asks for the kernels phase 2 built, and reports any it runs otherwise.
KERNEL_ARGS = {
    "flashinfer": {"attention_backend": "flashinfer", "tp_size": "{tp_size}"},
    "inductor": {"attention_backend": "{attention_backend}", "enable_torch_compile": True,
                 "torch_compile_max_bs": "{torch_compile_max_bs}", "tp_size": "{tp_size}"},
    "deep_gemm": {"tp_size": "{tp_size}"},
    "moe": {"tp_size": "{tp_size}"},
}
# What each recorded value may be (prep_result.json is in the host tree: anything else in it is refused, never passed).
KERNEL_ARG_TYPES = {"attention_backend": "name", "enable_torch_compile": "switch", "torch_compile_max_bs": "count",
                    "tp_size": "count"}


def kernel_args(stage, values):
    """The server arguments the stage warms its kernels for (KERNEL_ARGS), the stage arguments ``values`` filled in;
    StageProblem naming the stage argument when its value cannot be that server argument."""
    out = {}
    for key, value in KERNEL_ARGS[stage].items():
        if isinstance(value, str) and value.startswith("{"):
            name = value.strip("{}")
            value = str(values.get(name, ""))
            if KERNEL_ARG_TYPES[key] == "count":
                if not value.isdigit() or int(value) < 1:
                    raise StageProblem("stage argument %s=%r is not a positive integer (the server's %s)" % (name, value, key))
                value = int(value)
            problem = kernel_arg_problem(key, value)
            if problem:
                raise StageProblem("stage argument %s: %s (the server's %s)" % (name, problem, key))
        out[key] = value
    return out


def kernel_arg_problem(key, value):
    """Why a recorded server argument cannot be given to a server (one phrase), or None."""
    kind = KERNEL_ARG_TYPES.get(key)
    if kind is None:
        return "%s is not a kernel-selecting server argument (%s)" % (key, ", ".join(sorted(KERNEL_ARG_TYPES)))
    if kind == "switch" and not isinstance(value, bool):
        return "%s=%r is not true or false" % (key, value)
    if kind == "count" and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65536):
        return "%s=%r is not an integer from 1 to 65536" % (key, value)
    if kind == "name" and not (isinstance(value, str) and re.match(r"^[a-z][a-z0-9_]{0,63}\Z", value)):
        return "%s=%r is not a lowercase name" % (key, value)
    return None


def warmed_args(entries, stages):
    """(args, sources, problems) for the stages phase 2 built (``stages``, their prep_result.json ``entries``): the
    server arguments their kernels were warmed for, merged; which stages recorded each; and one phrase per value
    refused or recorded differently by two stages (such a key is left out). A stage recorded without them (a
    record from before they were kept) adds nothing."""
    args, sources, problems, clashing = {}, {}, [], set()
    for stage in sorted(stages):
        recorded = (entries.get(stage) or {}).get("server_args") or {}
        if not isinstance(recorded, dict):
            problems.append("stage %s: server_args is not a mapping" % stage)
            continue
        for key in sorted(recorded):
            value = recorded[key]
            problem = kernel_arg_problem(str(key), value)
            if problem:
                problems.append("stage %s: %s" % (stage, problem))
            elif key in args and args[key] != value:
                problems.append("%s: stage %s warmed %s, stage %s %s"
                                % (key, sources[key][0], json.dumps(args[key]), stage, json.dumps(value)))
                clashing.add(key)
            else:
                args[key] = value
                sources.setdefault(key, []).append(stage)
    for key in clashing:
        args.pop(key, None)
        sources.pop(key, None)
    return args, sources, problems


def arg_differences(warmed, sources, parsed):
    """One phrase per server argument the server's parsed values (``parsed``) hold otherwise than phase 2 warmed
    its kernels for, naming the stages."""
    return ["%s: the server runs with %s, phase 2 warmed %s (%s)" % (
        key, json.dumps(parsed.get(key)), json.dumps(warmed[key]), ", ".join(sources.get(key) or ["?"]))
        for key in sorted(warmed) if parsed.get(key) != warmed[key]]


def stages_pointed_at(env, profiles="/profiles"):
    """The stages (in STAGE_NAMES order) whose cache variables ``env`` holds, each pointing where server_cache_env
    points it: the caches a server started with ``env`` was given."""
    return [stage for stage in STAGE_NAMES if stage_env(stage, profiles).items() <= dict(env or {}).items()]


def env_problems(expected, found):
    """What differs between the cache variables a process should have (``expected``) and what its environment holds
    (``found``: name -> value, None when unset), one phrase each, sorted by name."""
    problems = []
    for name in sorted(expected):
        value = (found or {}).get(name)
        if value is None:
            problems.append("%s is not set" % name)
        elif value != expected[name]:
            problems.append("%s is %s, not %s" % (name, value, expected[name]))
    return problems


def moe_config_path(config_dir, triton_version, file_name):
    """Where SGLang reads a tuned MoE config: <dir>/configs/triton_<version, dots as underscores>/<file>
    (a local version such as ``3.6.0+git1`` keeps only its release part, as triton.__version__ has it)."""
    release = re.split(r"[+]", triton_version)[0]
    return "%s/configs/triton_%s/%s" % (config_dir.rstrip("/"), release.replace(".", "_"), file_name)


# Run in the container with its python: the versions and the GPU that decide whether a cache is still
# valid, as JSON. Nothing heavy is imported (importing torch costs seconds on a GPU host; an ``ensure``
# that keeps its cache should not): versions come from package metadata, torch's CUDA version from its
# version.py, the GPU from nvidia-smi. A package that is missing is null; no GPU is {"count": 0}.
VERSIONS_PROBE = r"""
import json, re, shutil, subprocess
from importlib import metadata
out = {}
for key, dists in (("sglang", ["sglang"]), ("torch", ["torch"]), ("triton", ["triton", "pytorch-triton"]),
                   ("flashinfer", ["flashinfer-python", "flashinfer"]), ("deep_gemm", ["deep-gemm", "deep_gemm"])):
    out[key] = None
    for dist in dists:
        try:
            out[key] = metadata.version(dist)
            break
        except Exception:
            pass
gpu = {"count": 0, "cuda": None}
try:
    text = metadata.distribution("torch").locate_file("torch/version.py").read_text()
    found = re.search(r"^cuda\s*(?::[^=\n]*)?=\s*['\"]([^'\"]*)['\"]", text, re.M)
    gpu["cuda"] = found.group(1) if found else None
except Exception:
    pass
if shutil.which("nvidia-smi"):
    try:
        rows = [[cell.strip() for cell in line.split(",")] for line in subprocess.check_output(
            ["nvidia-smi", "--query-gpu=name,compute_cap,driver_version", "--format=csv,noheader"],
            timeout=30, stderr=subprocess.STDOUT).decode().splitlines() if line.strip()]
        gpu.update(count=len(rows), name=rows[0][0], capability=rows[0][1], driver=rows[0][2])
    except Exception as exc:
        gpu["error"] = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
print(json.dumps({"versions": out, "gpu": gpu}, sort_keys=True))
"""

# What SGLang itself does for each stage on a GPU host, when no command is given. DeepGEMM has its own
# compile command; TorchInductor/Triton and FlashInfer fill their caches in a server that is warmed with
# one request (WARM_SERVER below): with --enable-torch-compile for the inductor stage (with the attention backend the
# server runs, since torch.compile traces it: FlashInfer's unless the attention_backend stage argument says otherwise),
# with the FlashInfer attention backend for the flashinfer stage; MoE runs the repository's Triton tuner, whose JSON lands in
# the current directory (the stage folder) and is then moved where SGLang reads it.
DEFAULT_ARGS = {"tp_size": "1", "dtype": "auto", "torch_compile_max_bs": "32", "attention_backend": "flashinfer",
                "sglang_repo": "/workspaces/sglang"}

# A server warmed once, then stopped by the PID it was started with: ``python3 -c WARM_SERVER <launch_server
# flags>``. It adds --host 127.0.0.1 and a free port, waits for /health_generate (SGLang answers 503 while
# loading, then generates a token), sends one /generate request and stops the server's process group
# (TERM, then KILL after 60 s), also when the timeout wrapper ends it. Exit 0 only when the request answered.
# It is one argv item, rendered like the others: it holds no braces.
WARM_SERVER = r"""
import http.client, json, os, signal, socket, subprocess, sys, time
def log(text):
    print("warm-server: " + text, flush=True)
def ask(method, path, body=None, timeout=120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict([("Content-Type", "application/json")]))
        answer = conn.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    finally:
        conn.close()
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
port = sock.getsockname()[1]
sock.close()
argv = [sys.executable, "-m", "sglang.launch_server"] + sys.argv[1:] + ["--host", "127.0.0.1", "--port", str(port)]
log("starting %s" % " ".join(argv))
server = subprocess.Popen(argv, start_new_session=True)
def stop(code, *dummy):
    if server.poll() is None:
        log("stopping the server (pid %d)" % server.pid)
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    sys.exit(code)
signal.signal(signal.SIGTERM, lambda *a: stop(143))
started = time.time()
while True:
    if server.poll() is not None:
        log("the server exited with %s before it was ready" % server.returncode)
        sys.exit(server.returncode or 1)
    try:
        if ask("GET", "/health_generate")[0] == 200:
            break
    except (OSError, http.client.HTTPException):
        pass
    time.sleep(2)
log("ready after %.0fs; sending one request" % (time.time() - started))
body = json.dumps(dict(text="The capital of France is", sampling_params=dict(max_new_tokens=8, temperature=0)))
try:
    status, text = ask("POST", "/generate", body, timeout=600)
except (OSError, http.client.HTTPException) as exc:
    status, text = None, str(exc)
if status != 200:
    log("the request failed: HTTP %s: %s" % (status, text[:200]))
    stop(1)
log("generated %r" % json.loads(text).get("text"))
stop(0)
"""

DEFAULT_COMMANDS = {
    "flashinfer": ["python3", "-c", WARM_SERVER, "--model-path", "{model_path}", "--tp-size", "{tp_size}",
                   "--attention-backend", "flashinfer", "--trust-remote-code"],
    "inductor": ["python3", "-c", WARM_SERVER, "--model-path", "{model_path}", "--tp-size", "{tp_size}",
                 "--attention-backend", "{attention_backend}", "--enable-torch-compile", "--torch-compile-max-bs",
                 "{torch_compile_max_bs}", "--trust-remote-code"],
    "deep_gemm": ["python3", "-m", "sglang.compile_deep_gemm", "--model-path", "{model_path}", "--tp-size", "{tp_size}",
                  "--trust-remote-code"],
    "moe": ["python3", "{sglang_repo}/benchmark/kernels/fused_moe_triton/tuning_fused_moe_triton.py",
            "--model", "{model_path}", "--tp-size", "{tp_size}", "--dtype", "{dtype}", "--tune"],
}

# A tuned MoE config's file name, as SGLang's get_config_file_name writes it.
MOE_NAME_RE = re.compile(r"^E=(?P<E>\d+),N=(?P<N>\d+),device_name=(?P<device>[^,]+)(?:,dtype=(?P<dtype>[^,\[]+))?"
                         r"(?:,block_shape=\[(?P<bn>\d+), ?(?P<bk>\d+)\])?(?:,per_channel_quant=(?P<pcq>True|False))?\.json$")

# The tuner's --dtype for a model's quantization_config quant_method, when the stage's dtype is "auto": the tuner
# takes the block shape from the config's weight_block_size itself, but names the file after --dtype, and a
# file tuned as "auto" (the model's bf16) is never read by a server running the FP8 or INT8 weights.
MOE_DTYPES = {"fp8": "fp8_w8a8", "w8a8_fp8": "fp8_w8a8", "w8a8_int8": "int8_w8a8"}


def moe_dtype(dtype, model_config):
    """The MoE tuner's --dtype: ``dtype`` unless it is "auto", else the one the model's quantization_config (from its
    config.json, a dict or None) calls for, else "auto"."""
    if dtype != "auto" or not isinstance(model_config, dict):
        return dtype
    quant = model_config.get("quantization_config")
    method = str(quant.get("quant_method", "")).lower() if isinstance(quant, dict) else ""
    return MOE_DTYPES.get(method, "auto")


# Run in the container: the names its own get_config_file_name gives to parameter sets (argv[1], JSON),
# passing only the parameters that version accepts. The function has moved between SGLang versions: the
# moe_runner package (0.5.2x), the fused_moe_triton package's re-export, and its older modules.
MOE_NAME_PROBE = r"""
import importlib, inspect, json, sys
get_config_file_name, tried = None, []
for where in ("sglang.srt.layers.moe.moe_runner.triton_utils.fused_moe_triton_config",
              "sglang.srt.layers.moe.fused_moe_triton.fused_moe_triton_config",
              "sglang.srt.layers.moe.fused_moe_triton", "sglang.srt.layers.moe.fused_moe_triton.fused_moe"):
    try:
        get_config_file_name = getattr(importlib.import_module(where), "get_config_file_name")
        break
    except (ImportError, AttributeError) as exc:
        tried.append("%s (%s)" % (where, type(exc).__name__))
if get_config_file_name is None:
    sys.exit("no get_config_file_name in this SGLang: tried " + ", ".join(tried))
accepted = inspect.signature(get_config_file_name).parameters
print(json.dumps([get_config_file_name(**dict((k, v) for k, v in p.items() if k in accepted))
                  for p in json.loads(sys.argv[1])]))
"""


def moe_name_params(name):
    """The get_config_file_name parameters a tuned file's name encodes, or None for any other name."""
    found = MOE_NAME_RE.match(name)
    if not found:
        return None
    return {"E": int(found.group("E")), "N": int(found.group("N")), "dtype": found.group("dtype"),
            "block_shape": [int(found.group("bn")), int(found.group("bk"))] if found.group("bn") else None,
            "per_channel_quant": found.group("pcq") == "True"}


def moe_mismatches(tuned, expected):
    """Each tuned name that the container's get_config_file_name names differently, as one phrase."""
    return ["the tuner wrote %s, but this SGLang reads %s" % (t, e) for t, e in zip(tuned, expected) if t != e]


def damaged(stage_dir, record):
    """The artifacts a signature record lists that are gone from the stage folder or have another size than
    it recorded, as '<path> (missing)' / '<path> (<n> -> <m> bytes)'; the walk follows no symlink."""
    sizes = record.get("sizes") or {}
    out = []
    for rel in record.get("artifacts") or []:
        try:
            info = os.lstat(os.path.join(stage_dir, rel))
        except OSError:
            out.append("%s (missing)" % rel)
            continue
        if not stat.S_ISREG(info.st_mode):
            out.append("%s (not a regular file)" % rel)
        elif rel in sizes and sizes[rel] != info.st_size:
            out.append("%s (%d -> %d bytes)" % (rel, sizes[rel], info.st_size))
    return out


def decide(state, verdict, changed, missing, kept_count=0):
    """(action, reason) for a stage: action is 'run', 'keep' or 'skip'. ``verdict`` and ``changed`` come
    from _signature.verdict; ``missing`` lists the recorded artifacts that are gone or changed (damaged())."""
    if state == "skip":
        return "skip", "state=skip"
    if state == "rebuild":
        return "run", "state=rebuild"
    if verdict == "missing":
        return "run", "no valid signature"
    if verdict == "mismatch":
        return "run", "signature mismatch: %s changed" % ", ".join(changed)
    if missing:
        return "run", "%d recorded artifact%s missing or changed, first: %s" % (
            len(missing), "" if len(missing) == 1 else "s", missing[0])
    return "keep", "signature matches and its %d artifact%s present" % (kept_count, " is" if kept_count == 1 else "s are")


def outcome(exit_code, elapsed, timeout, running):
    """'ok', 'timeout' or 'failed' for a finished command: the timeout wrapper exits 124 (137 once it had
    to kill), and a container that stopped under the command is a failure whatever the code."""
    if not running:
        return "failed"
    if exit_code in (124, 137) and elapsed >= timeout:
        return "timeout"
    return "ok" if exit_code == 0 else "failed"


def quiet_line(quiet, bound, waits):
    """The one phrase for a command stopped after ``quiet`` seconds with no output (``bound``: the stage's
    quiet_timeout), naming what it waits on (_locks.waited_on phrases) or saying that no lock is in its folder."""
    head = "no output for %d s (the stage's quiet_timeout is %d s), so it was stopped" % (quiet, bound)
    if waits:
        return "%s; it waits on %s" % (head, "; ".join(waits))
    return "%s; no lock file or baton is in its folder, so it hung on something else (its log ends with its last line)" % head
