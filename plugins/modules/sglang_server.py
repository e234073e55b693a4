#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: sglang_server
short_description: Validate, start and stop an SGLang server in the dev container, from JSON defaults, by PID
version_added: 0.1.0
description:
  - The server arguments are O(defaults) (a JSON file's content) with O(overrides) on top, each key an SGLang
    C(ServerArgs) field name. They are turned into SGLang's flags and parsed by SGLang's own parser inside the
    container (O(parser_python)), for whatever SGLang the image ships, so an unknown key, a misspelt flag in
    O(extra_args) or a bad value fails before anything starts. The module keeps no flag list.
  - Also checked before a start, each problem one line naming its key - the context length against
    O(max_position_embeddings), the model path is a directory under O(models_dir) in the container, and the port
    is free on the host (the dev container uses the host network).
  - V(started) launches O(launch_command) plus the flags detached as O(user), in a session of its own, its output
    in C(/telemetry/logs/container-run-<run id>/<server_name>.log), and records its PID (with the process's start
    time) in C(telemetry/inference/<server_name>.json) in the host tree. The flags are also kept, as the YAML that
    SGLang's C(--config) reads, in the run's log folder. A server this module started with the same flags in the
    same container run is left running (no change).
  - V(stopped) ends the recorded process group only (TERM, then KILL after O(stop_timeout)), never processes found
    by name, then waits until the port is free.
  - The API key (O(api_key)) reaches the server as SGLang's C(--config) file, a FIFO in a private folder on
    C(/dev/shm) in the container that SGLang reads once at start-up and that is then removed; the launcher gets the
    key on its stdin, so the key is in no process's command line or environment (C(ps) and C(/proc/*/environ) show
    none) and never on disk. A relay carries the
    server's output into its log with the key masked (SGLang prints its server_args, api_key included, at start-up).
    An SGLang that reads no C(--config) file is refused when a key is set. The key is in no record, log or result. A
    key given in O(defaults), O(overrides) or O(extra_args) instead is refused before anything starts, and the
    RV(argv) the module returns shows any C(--api-key) value as C(********).
  - Check mode validates (read-only probes) and predicts the start or stop.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.docker
  - gh200.sglang.docker.container
  - gh200.sglang.docker.host_tree
options:
  state:
    description:
      - V(validated) only checks; V(started) and V(stopped) as described above.
      - V(status) reads what the recorded server's log shows (RV(log_evidence)) and whether it still runs; it changes nothing.
    type: str
    choices: [validated, started, stopped, status]
    default: started
  server_name:
    description: Names the server's log, record and config files. Defaults to C(sglang-<port>).
    type: str
  defaults:
    description: The server defaults, keyed by C(ServerArgs) field names (the JSON file's content).
    type: dict
    default: {}
  overrides:
    description: Keys that replace or add to O(defaults) (inventory variables).
    type: dict
    default: {}
  extra_args:
    description: Raw flags appended after the ones built from the keys (parsed by SGLang's parser too).
    type: list
    elements: str
    default: []
  api_key:
    description: The server's API key (C(--api-key)); requests without it get 401, except C(/health*) and C(/metrics).
    type: str
  launch_command:
    description: The command the flags follow.
    type: list
    elements: str
    default: [python3, -m, sglang.launch_server]
  parser_python:
    description: The Python in the container whose C(sglang) parses the flags.
    type: str
    default: python3
  user:
    description: The container user the server runs as.
    type: str
    default: devuser
  models_dir:
    description: Where models are in the container; the model path must be a directory under it.
    type: str
    default: /models
  max_position_embeddings:
    description: The model's C(max_position_embeddings) (phase 0's model facts); the context length may not exceed it.
    type: int
  env:
    description: Environment of the server process. The cache variables of O(cache_env) win over the same names here.
    type: dict
    default: {}
  cache_env:
    description:
      - Start the server with the cache variables of each stage phase 2 built (status C(ok) in the host tree's
        C(profiles/prep_result.json)) among C(FLASHINFER_WORKSPACE_BASE), C(TORCHINDUCTOR_CACHE_DIR),
        C(TRITON_CACHE_DIR), C(SGLANG_DG_CACHE_DIR) and C(SGLANG_MOE_CONFIG_DIR), pointing under O(caches_mount) exactly
        as M(gh200.sglang.cache_stage) sets them, so the server finds the kernels phase 2 built. A stage phase 2 skipped
        or failed gets no variable, so the server never compiles into a cache folder phase 2 did not sign.
      - They are kept in the server's record, and V(status) reads them back from the process's own environment; a
        change in the stages built is another server (it is restarted).
      - The server arguments those stages' kernels were warmed for (RV(phase2_args)) go between O(defaults) and
        O(overrides), so the server asks for the kernels phase 2 built; RV(phase2_arg_problems) names any it runs
        otherwise.
    type: bool
    default: true
  caches_mount:
    description: Where the container sees the host tree's C(profiles) folder (the stages' C(profiles_mount) in M(gh200.sglang.cache_stage)).
    type: str
    default: /profiles
  stop_timeout:
    description: Seconds between TERM and KILL when stopping, and to wait for the port afterwards.
    type: int
    default: 30
  validation:
    description:
      - The registered result of a V(validated) call with the same arguments in the same container run. A start then
        takes that call's parser answer (RV(parser_answer)) when its RV(validation_key) is this call's, instead of
        importing SGLang's parser again (seconds per server); any other result, or one with problems, is ignored and
        the parser is asked. The host-side checks (context length, model path, port, exposure) run again either way.
    type: dict
  prometheus_target:
    description:
      - With V(started), also write the server's target for Prometheus's file-based service discovery,
        C(telemetry/prometheus/targets/<server_name>.json) (C(127.0.0.1:<port>), labels C(job=sglang) and
        C(server=<server_name>)), owned by the host user, never through a symlink.
    type: bool
    default: false
  error_regex:
    description: Python regex of the log lines V(status) reports as errors.
    type: str
    default: (?i)(error\b|traceback|exception|unrecognized arguments)
  ignore_regex:
    description:
      - Python regex of log lines that are never errors, even when O(error_regex) matches them; empty ignores nothing.
      - The default passes what a healthy SGLang start prints (C(Ignore import error when loading sglang.srt.models...))
        and pip's dependency-resolver notice.
    type: str
    default: "Ignore import error when loading sglang\\.|pip's dependency resolver does not currently take into account all the packages"
  request_regex:
    description: Python regex of the log lines V(status) counts as requests served.
    type: str
    default: POST /v1/chat/completions HTTP/1\.1"? 200
attributes:
  check_mode:
    support: full
    description: Validates with the container's parser (a read-only probe) and predicts the start or stop; starts and writes nothing.
  diff_mode:
    support: none
    description: The result's RV(argv) shows the command line; there is no file diff.
"""

EXAMPLES = r"""
- name: Start the SGLang server from the JSON defaults, the model from the inventory.
  gh200.sglang.sglang_server:
    name: sglang-dev
    host_user: ubuntu
    defaults: "{{ lookup('ansible.builtin.file', 'server_defaults.json') | from_json }}"
    overrides:
      model_path: /models/Qwen/Qwen3-Next-80B-A3B-Thinking-FP8
    max_position_embeddings: "{{ gh200_model_facts.config.max_position_embeddings }}"
    api_key: "{{ vault_sglang_api_key }}"
  register: server

- name: Stop the server by its recorded PID.
  gh200.sglang.sglang_server:
    name: sglang-dev
    host_user: ubuntu
    server_name: "{{ server.server_name }}"
    state: stopped
"""

RETURN = r"""
server_name:
  description: The server's name (its files' names).
  returned: always
  type: str
  sample: sglang-30000
sglang_version:
  description: The SGLang version whose parser checked the flags.
  returned: when validated
  type: str
  sample: 0.5.5
argv:
  description: The command, with SGLang's flag names (never the API key).
  returned: when validated
  type: list
  elements: str
  sample: [python3, -m, sglang.launch_server, --enable-metrics, --host, 127.0.0.1, --model-path, /models/org/m, --port, "30000"]
parsed:
  description: The parsed values the checks use (C(api_key) only says whether one is set).
  returned: when validated
  type: dict
  sample: {"model_path": "/models/org/m", "host": "127.0.0.1", "port": 30000, "context_length": 4096, "enable_metrics": true,
           "served_model_name": "m", "tp_size": 1, "api_key": true}
phase2_args:
  description:
    - The server arguments the kernels of the stages phase 2 built were warmed for (each stage's C(server_args) in
      C(prep_result.json), only C(attention_backend), C(enable_torch_compile), C(torch_compile_max_bs) and C(tp_size)
      with values of their kind), given to the server between O(defaults) and O(overrides). Empty with
      O(cache_env=false) or when phase 2 built no stage.
  returned: when validated
  type: dict
  sample: {"attention_backend": "flashinfer", "enable_torch_compile": true, "torch_compile_max_bs": 32, "tp_size": 1}
phase2_arg_problems:
  description:
    - One line per server argument the server runs with otherwise than phase 2 warmed its kernels for (an override or
      an extra flag set it), naming the stages, and per recorded value refused or recorded differently by two stages.
      The server still starts; on a GPU it compiles those kernels at start.
  returned: when validated
  type: list
  elements: str
  sample: ['attention_backend: the server runs with "triton", phase 2 warmed "flashinfer" (flashinfer)']
validation_key:
  description: The digest of what the parser's answer depends on (the request, O(parser_python), O(user), the container
    and its start time); a start given this result as O(validation) reuses the answer when its own key is the same.
  returned: when O(state=validated) and the arguments are valid
  type: str
parser_answer:
  description: SGLang's parser's answer (its C(argv), C(values), C(version), C(model_dir)), for O(validation).
  returned: when O(state=validated) and the arguments are valid
  type: dict
problems:
  description: One line per problem, each naming its key or flag.
  returned: failure
  type: list
  elements: str
pid:
  description: The server's PID in the container (also its process group).
  returned: when started
  type: int
log:
  description: The server's log in the container.
  returned: when started
  type: str
  sample: /telemetry/logs/container-run-20261123T031500Z-1a2b3c/sglang-30000.log
config:
  description: The YAML record of the flags in the host tree.
  returned: when started
  type: str
record:
  description: The record of the server in the host tree.
  returned: always
  type: str
port_free:
  description: Whether the port was free after the stop.
  returned: when stopped
  type: bool
alive:
  description: Whether the recorded server process still runs.
  returned: when O(state=status)
  type: bool
log_evidence:
  description: The log's line count, its first error lines, how many requests it shows and its last lines.
  returned: when O(state=status)
  type: dict
  sample: {"lines": 12, "errors": [], "requests": 1, "tail": ["... \"POST /v1/chat/completions HTTP/1.1\" 200"]}
cache_env:
  description: The cache variables the server was started with (from its record; empty with O(cache_env=false) or when phase 2 built no stage).
  returned: when O(state=status)
  type: dict
  sample: {"TORCHINDUCTOR_CACHE_DIR": "/profiles/inductor", "TRITON_CACHE_DIR": "/profiles/inductor/triton"}
server_env:
  description: Those variables as the running process's own environment holds them (null when unset).
  returned: when O(state=status)
  type: dict
cache_env_problems:
  description: Each cache variable the running process lacks or has pointing elsewhere; empty when it is not running.
  returned: when O(state=status)
  type: list
  elements: str
  sample: ["TORCHINDUCTOR_CACHE_DIR is not set"]
cache_written:
  description:
    - What was written since the server's launch in the cache folders it was pointed at (the stages phase 2 had built
      when it started, as its record's cache variables say), as regular files whose content or inode changed after
      the launch, records and lock files left out. A kernel the server compiled at start, because phase 2 did not build
      it, shows here.
    - Null when the server was started without cache variables (O(cache_env=false)) or by a version of this module
      that did not record its launch time.
  returned: when O(state=status)
  type: dict
  contains:
    stages:
      description: The stages whose folders were read.
      type: list
      elements: str
    count:
      description: How many files were written.
      type: int
    files:
      description: The first 20 of them, relative to the host tree.
      type: list
      elements: str
  sample: {"stages": ["deep_gemm", "flashinfer", "inductor"], "count": 1, "files": ["profiles/inductor/fxgraph/ab/kernel.so"]}
"""

import json
import re
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import (
    _docker, _evidence, _files, _manifest, _prep, _server_args as sa, _stages, _tree)


def run_program(module, container, user, python, program, args, env=None, stdin=None):
    """The JSON a probe program printed last, or fail_json with its error output. It runs in /, so that no package in
    the image's working directory (a checkout's python/ folder) shadows the installed one on ``python -c``'s path."""
    rc, out, err = _docker.exec_as(container, user, [python, "-c", program] + [str(a) for a in args], env=env, workdir="/",
                                   stdin=stdin)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if rc != 0 or not lines:
        module.fail_json(msg="%s: %s exited %s: %s" % (container.name, python, rc, _first_error(err or out)))
    return json.loads(lines[-1])


def _first_error(text):
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def wait_port(host, port, seconds):
    deadline = time.time() + seconds
    while sa.port_problem(host, port) and time.time() < deadline:
        time.sleep(0.5)
    return sa.port_problem(host, port) is None


def stop(module, container, p, record, record_path, account, root):
    """End the recorded server's process group; (changed, port_free)."""
    probe = run_program(module, container, p["user"], "python3", sa.PROCESS_PROBE, [record["pid"], record["start"], "none", 0])
    if not probe["alive"]:
        return False, sa.port_problem(record["host"], record["port"]) is None
    if module.check_mode:
        return True, None
    result = run_program(module, container, p["user"], "python3", sa.PROCESS_PROBE,
                         [record["pid"], record["start"], "SIGTERM", p["stop_timeout"]])
    if not result["ended"]:
        result = run_program(module, container, p["user"], "python3", sa.PROCESS_PROBE, [record["pid"], record["start"], "SIGKILL", 10])
    if not result["ended"]:
        module.fail_json(msg="server %s (pid %s) did not end after TERM and KILL" % (record["name"], record["pid"]))
    record = dict(record, stopped_at=time.time())
    _files.atomic_write(record_path, _files.json_bytes(record), mode=0o644, uid=account.pw_uid, gid=account.pw_gid, root=root)
    return True, wait_port(record["host"], record["port"], p["stop_timeout"])


def status(module, cli, p, name, record, record_path, root):
    """exit_json with whether the recorded server runs and what its log shows (read in the host tree)."""
    if not record:
        module.fail_json(msg="server %s: no record at %s: it was never started by this module" % (name, record_path))
    container = _docker.get_container(cli, p["name"])
    expected = record.get("cache_env", {})
    probe = run_program(module, container, p["user"], "python3", sa.PROCESS_PROBE,
                        [record["pid"], record["start"], "none", 0, ",".join(sorted(expected))]) \
        if container and container.status == "running" and not record.get("stopped_at") else {"alive": False, "env": {}}
    alive = probe["alive"]
    if probe.get("env_error"):
        module.fail_json(msg="server %s: cannot read its environment: %s" % (name, probe["env_error"]))
    try:
        path = _tree.confine(root, "log", record["log"].lstrip("/"))[0]
        raw = _files.read_bytes(path, tail=True)
        evidence = sa.log_evidence((raw or b"").decode("utf-8", "replace"), p["error_regex"], p["request_regex"],
                                   ignore_regex=p["ignore_regex"])
    except (_tree.OptionProblem, _files.PathProblem, re.error) as exc:
        module.fail_json(msg="server %s: %s" % (name, exc))
    launched = record.get("started_at")
    # Kernels compiled after the launch land in the caches the server was pointed at (its record's, not what
    # prep_result.json says now): what is new in those folders is what phase 2 did not build for this server.
    written = _prep.written_in_stages(root, launched, _stages.stages_pointed_at(expected, p["caches_mount"])) \
        if expected and isinstance(launched, (int, float)) and not isinstance(launched, bool) else None
    module.exit_json(changed=False, server_name=name, record=record_path, alive=alive, log=record["log"], pid=record["pid"],
                     log_evidence=evidence, cache_env=expected, server_env=probe["env"],
                     cache_env_problems=_stages.env_problems(expected, probe["env"]) if alive else [],
                     cache_written=written)


def validate(module, container, p, warmed):
    """SGLang's parser's answer (or the one O(validation) carries for the same request and container run), with the
    host-side checks added to its problems, and the answer's key. The server arguments phase 2 warmed its kernels for
    (``warmed``) go between O(defaults) and O(overrides)."""
    try:
        pairs = sa.merge(dict(p["defaults"], **warmed), p["overrides"])
    except ValueError as exc:
        module.fail_json(msg="server args: %s" % exc, problems=[str(exc)])
    request = json.dumps({"args": pairs, "extra": p["extra_args"]}, sort_keys=True)
    key = sa.validation_key(request, p["parser_python"], p["user"], container.id, container.attrs.get("State", {}).get("StartedAt"))
    answer = sa.reusable_answer(p["validation"], key) or run_program(
        module, container, p["user"], p["parser_python"], sa.PARSER_PROBE, [request])
    if answer.get("error"):
        module.fail_json(msg="%s: %s" % (container.name, answer["error"]))
    problems = list(answer["problems"])
    values = answer.get("values") or {}
    if values.get("api_key"):  # the module's own key never reaches the parser: this one came in the arguments
        problems.append(sa.SECRET_IN_ARGS)
    if p["api_key"] and not answer.get("config_file"):
        problems.append(sa.NO_CONFIG_FILE % answer.get("version"))
    if values:
        problems += [x for x in (sa.context_problem(values.get("context_length"), p["max_position_embeddings"]),
                                 sa.model_problem(values, answer.get("model_dir"), p["models_dir"]),
                                 sa.exposure_problem(values.get("host"), p["api_key"])) if x]
    return answer, problems, key


def main():
    argument_spec = dict(
        state=dict(type="str", default="started", choices=["validated", "started", "stopped", "status"]),
        server_name=dict(type="str"),
        defaults=dict(type="dict", default={}),
        overrides=dict(type="dict", default={}),
        extra_args=dict(type="list", elements="str", default=[]),
        api_key=dict(type="str", no_log=True),
        launch_command=dict(type="list", elements="str", default=["python3", "-m", "sglang.launch_server"]),
        parser_python=dict(type="str", default="python3"),
        user=dict(type="str", default="devuser"),
        models_dir=dict(type="str", default="/models"),
        max_position_embeddings=dict(type="int"),
        env=dict(type="dict", default={}),
        cache_env=dict(type="bool", default=True),
        caches_mount=dict(type="str", default="/profiles"),
        stop_timeout=dict(type="int", default=30),
        validation=dict(type="dict"),
        prometheus_target=dict(type="bool", default=False),
        error_regex=dict(type="str", default=_evidence.SERVER_ERROR_REGEX),
        ignore_regex=dict(type="str", default=_evidence.BENIGN_LOG_LINES),
        request_regex=dict(type="str", default=r'POST /v1/chat/completions HTTP/1\.1"? 200'),
    )
    argument_spec.update(_docker.DOCKER_ARGS)
    argument_spec.update(_docker.CONTAINER_ARGS)
    argument_spec.update(_tree.HOST_TREE_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    for option in ("error_regex", "ignore_regex", "request_regex"):
        try:
            re.compile(p[option])
        except re.error as exc:
            module.fail_json(msg="%s %r is not a valid regular expression: %s" % (option, p[option], exc))
    try:
        account, root = _tree.resolve_root(p["host_user"], p["root"])
    except _tree.OptionProblem as exc:
        module.fail_json(msg=str(exc))
    port = dict(p["defaults"], **p["overrides"]).get("port", 30000)
    problem = sa.port_number_problem(port)
    if problem:  # before anything, the parser included: no server can listen there
        module.fail_json(msg=problem, problems=[problem])
    name = p["server_name"] or "sglang-%s" % port
    if _manifest.name_problem(name):
        module.fail_json(msg="server_name: %s" % _manifest.name_problem(name))
    record_path = "%s/telemetry/inference/%s.json" % (root, name)
    try:
        record = _files.read_json(record_path, quarantine=False)[0]
    except (_files.PathProblem, ValueError) as exc:
        module.fail_json(msg="%s: %s" % (record_path, exc))
    problem = sa.record_problem(record) if record is not None else None
    if problem and p["state"] in ("status", "stopped"):
        # Never signal a PID or read a log path that a planted record names.
        module.fail_json(msg="server %s: the record %s is not one this module wrote (%s); remove it, then start the server"
                         % (name, record_path, problem))
    if problem:
        record = None  # a start writes a record of its own over it
    cli = _docker.client(module)

    if p["state"] == "status":
        status(module, cli, p, name, record, record_path, root)

    if p["state"] == "stopped":
        container = _docker.get_container(cli, p["name"])
        if not record or record.get("stopped_at") or container is None or container.status != "running":
            module.exit_json(changed=False, server_name=name, record=record_path, port_free=True)
        changed, free = stop(module, container, p, record, record_path, account, root)
        if free is False:
            module.fail_json(msg="server %s stopped, but port %s is still in use" % (name, record["port"]), server_name=name)
        module.exit_json(changed=changed, server_name=name, record=record_path, port_free=free)

    container = _docker.running_container(module, cli, p["name"], "before the server (phase 1 starts it)")
    run_id = container.labels.get(_manifest.LABEL_RUN_ID, "unknown")
    # The stages phase 2 built: their cache variables (the one definition the stages run with; they win over O(env))
    # and the server arguments their kernels were warmed for (under O(overrides)), read from prep_result.json.
    phase2 = _prep.in_tree(root) if p["cache_env"] else {}
    built = _prep.built(phase2)
    warmed, sources, arg_problems = _stages.warmed_args(phase2, built)
    cache_env = _stages.server_cache_env(p["caches_mount"], stages=built)  # empty with O(cache_env=false): no stage was read
    answer, problems, key = validate(module, container, p, warmed)
    argv = list(p["launch_command"]) + answer["argv"] + list(p["extra_args"])
    values = answer["values"]
    result = dict(server_name=name, sglang_version=answer["version"], argv=sa.redact(argv), parsed=values, record=record_path,
                  phase2_args=warmed, phase2_arg_problems=arg_problems + _stages.arg_differences(warmed, sources, values or {}))
    running = bool(record) and not record.get("stopped_at") and run_program(
        module, container, p["user"], "python3", sa.PROCESS_PROBE, [record["pid"], record["start"], "none", 0])["alive"]
    if running and sa.same_server(record, argv, run_id, p["api_key"], cache_env) and p["state"] == "started":
        module.exit_json(changed=False, pid=record["pid"], log=record["log"], **result)
    if not running:
        problems += [x for x in [sa.port_problem(values.get("host") or "127.0.0.1", values.get("port") or port)] if x]
    if problems:
        module.fail_json(msg="%d problem(s) with the server args (SGLang %s): %s" % (len(problems), answer["version"], "; ".join(problems)),
                         problems=problems, **result)
    if p["state"] == "validated":
        module.exit_json(changed=False, validation_key=key, parser_answer=answer, **result)
    if module.check_mode:
        module.exit_json(changed=True, **result)
    if running:  # another command line, or another container run: this module's own server goes first
        stop(module, container, p, record, record_path, account, root)

    log_rel = "telemetry/logs/container-run-%s" % run_id
    log = "/%s/%s.log" % (log_rel, name)
    config = "%s/%s/%s.config.yaml" % (root, log_rel, name)
    try:
        # Every folder written to is reached from the root by handles: a component that is a symlink (planted from the
        # container, before or during the start) is refused, never followed.
        for folder in ["telemetry/inference", log_rel] + (["telemetry/prometheus/targets"] if p["prometheus_target"] else []):
            _files.ensure_dirs(root, folder, account.pw_uid, account.pw_gid)
        if p["prometheus_target"]:
            target = [{"targets": ["127.0.0.1:%s" % values.get("port")], "labels": {"job": "sglang", "server": name}}]
            _files.atomic_write("%s/telemetry/prometheus/targets/%s.json" % (root, name), _files.json_bytes(target),
                                mode=0o644, uid=account.pw_uid, gid=account.pw_gid, root=root)
        _files.atomic_write(config, sa.config_yaml(answer["argv"] + list(p["extra_args"])).encode("utf-8"), mode=0o644,
                            uid=account.pw_uid, gid=account.pw_gid, root=root)
        env = _stages.with_extra(cache_env, p["env"])  # the cache variables win over O(env)
        launched = time.time()  # before the process exists: what it writes into the caches is after this
        started = run_program(module, container, p["user"], "python3", sa.LAUNCHER, [log] + argv, env=env,
                              stdin=(p["api_key"] or "").encode("utf-8"))
        record = sa.server_record(name, started["pid"], started["start"], argv, values.get("host"), values.get("port"), log, run_id,
                                  answer["version"], p["api_key"], launched, cache_env)
        _files.atomic_write(record_path, _files.json_bytes(record), mode=0o644, uid=account.pw_uid, gid=account.pw_gid,
                            root=root)
    except (OSError, _files.PathProblem) as exc:
        module.fail_json(msg="server %s: %s" % (name, exc), **result)
    module.exit_json(changed=True, pid=started["pid"], log=log, config=config, **result)


if __name__ == "__main__":
    main()
