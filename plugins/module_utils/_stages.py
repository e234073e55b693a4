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

import re
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

# Files of the stage folder that are the module's own records, not artifacts.
RECORD_FILES = ("compile.log", "signature.json", ".lock")

# What a stage argument may hold: no shell, no path climbing, no option smuggled into a value.
ARG_RE = re.compile(r"^[A-Za-z0-9_.:=,+/@-]*$")


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


def stage_env(stage, profiles="/profiles", extra=None):
    """The environment the stage runs with: its cache variables, then ``extra`` (never overriding them)."""
    env = dict((k, v.format(cache_dir=cache_dir(stage, profiles))) for k, v in STAGES[stage]["env"].items())
    for key, value in (extra or {}).items():
        env.setdefault(str(key), str(value))
    return env


def moe_config_path(config_dir, triton_version, file_name):
    """Where SGLang reads a tuned MoE config: <dir>/configs/triton_<version, dots as underscores>/<file>."""
    return "%s/configs/triton_%s/%s" % (config_dir.rstrip("/"), triton_version.replace(".", "_"), file_name)


# Run in the container with its python: the versions and the GPU that decide whether a cache is still
# valid, as JSON. A package that is missing is null; no GPU is {"count": 0}.
VERSIONS_PROBE = r"""
import json, shutil, subprocess
try:
    from importlib import metadata
except ImportError:
    metadata = None
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
gpu = {"count": 0}
try:
    import torch
    gpu["cuda"] = torch.version.cuda
    if torch.cuda.is_available():
        gpu.update(count=torch.cuda.device_count(), name=torch.cuda.get_device_name(0),
                   capability="%d.%d" % torch.cuda.get_device_capability(0))
except Exception:
    pass
if shutil.which("nvidia-smi"):
    try:
        gpu["driver"] = subprocess.check_output(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                                timeout=30).decode().split("\n")[0].strip()
    except Exception:
        gpu["driver"] = None
print(json.dumps({"versions": out, "gpu": gpu}, sort_keys=True))
"""


def decide(state, verdict, changed, missing, kept_count=0):
    """(action, reason) for a stage: action is 'run', 'keep' or 'skip'. ``verdict`` and ``changed`` come
    from _signature.verdict; ``missing`` lists recorded artifacts no longer on disk."""
    if state == "skip":
        return "skip", "state=skip"
    if state == "rebuild":
        return "run", "state=rebuild"
    if verdict == "missing":
        return "run", "no valid signature"
    if verdict == "mismatch":
        return "run", "signature mismatch: %s changed" % ", ".join(changed)
    if missing:
        return "run", "%d recorded artifact%s missing, first: %s" % (len(missing), "" if len(missing) == 1 else "s", missing[0])
    return "keep", "signature matches and its %d artifact%s are present" % (kept_count, "" if kept_count == 1 else "s")


def outcome(exit_code, elapsed, timeout, running):
    """'ok', 'timeout' or 'failed' for a finished command: the timeout wrapper exits 124 (137 once it had
    to kill), and a container that stopped under the command is a failure whatever the code."""
    if not running:
        return "failed"
    if exit_code in (124, 137) and elapsed >= timeout:
        return "timeout"
    return "ok" if exit_code == 0 else "failed"
