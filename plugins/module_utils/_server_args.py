# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SGLang server arguments: JSON defaults keyed by ServerArgs field names, checked by SGLang's own parser.

Private to the collection. No flag list is kept here: PARSER_PROBE runs inside the container, builds SGLang's
argument parser (``ServerArgs.add_cli_args``) for whatever SGLang the image ships, maps each key to the flag
whose ``dest`` it is, and parses the result. The rest are pure functions over its answer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import hashlib
import json
import re
import socket

from ansible_collections.gh200.sglang.plugins.module_utils import _evidence

KEY_RE = re.compile(r"^[a-z][a-z0-9_]*\Z")

# Run as ``python3 -c PARSER_PROBE <request JSON>``; prints one JSON object. The request is {"args": {field:
# value}, "extra": [raw flags]}; it never holds the API key (added at launch only). The answer has the SGLang
# version, the argv in SGLang's flag names, the parsed values the role checks, whether the model path is a
# directory in the container, one problem per bad key or flag, and whether this SGLang reads a ``--config`` file (the
# way the API key reaches it).
PARSER_PROBE = r"""
import argparse, difflib, json, os, sys
request = json.loads(sys.argv[1])
try:
    import sglang
    from sglang.srt.server_args import ServerArgs
except Exception as exc:
    print(json.dumps(dict(error="cannot import sglang.srt.server_args with %s: %s: %s" % (sys.executable, type(exc).__name__, exc))))
    sys.exit(0)
class Refused(Exception):
    pass
def refuse(message):
    raise Refused(message)
parser = argparse.ArgumentParser(prog="sglang.launch_server", add_help=False)
parser.error = refuse
ServerArgs.add_cli_args(parser)
actions, by_flag = dict(), dict()
for action in parser._actions:
    if action.option_strings and action.dest not in actions:
        actions[action.dest] = action
    for option in action.option_strings:
        by_flag[option] = action
def action_of(key):
    # A field is its flag's dest, or (tp_size and the other sizes) names one of the flag's spellings.
    return actions.get(key) or by_flag.get("--" + key.replace("_", "-"))
problems, argv = [], []
for key, value in request["args"]:
    action = action_of(key)
    if action is None:
        close = difflib.get_close_matches(key, list(actions), 1)
        problems.append("%s: not a server argument of SGLang %s%s" % (key, sglang.__version__, " (did you mean %s?)" % close[0] if close else ""))
        continue
    flag = [s for s in action.option_strings if s.startswith("--")][0]
    kind = type(action).__name__
    if kind in ("_StoreTrueAction", "_StoreFalseAction", "BooleanOptionalAction"):
        if not isinstance(value, bool):
            problems.append("%s: %s is a switch: give true or false, not %r" % (key, flag, value))
        elif kind == "BooleanOptionalAction":
            argv.append(flag if value else "--no-" + flag[2:])
        elif value == (kind == "_StoreTrueAction"):
            argv.append(flag)
        continue
    if value is None:
        continue
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and action.nargs in (None, "?"):
        values = [json.dumps(value)]
    argv.append(flag)
    argv.extend(json.dumps(v) if isinstance(v, (dict, list, bool)) else str(v) for v in values)
values, model_dir = dict(), None
try:
    namespace, unknown = parser.parse_known_args(argv + list(request["extra"]))
    for flag in unknown:
        if flag.startswith("-"):
            close = difflib.get_close_matches(flag, [s for a in parser._actions for s in a.option_strings], 1)
            problems.append("%s: not a flag of SGLang %s%s" % (flag, sglang.__version__, " (did you mean %s?)" % close[0] if close else ""))
        else:
            problems.append("%r: a value no flag takes" % flag)
    for name in ("model_path", "served_model_name", "host", "port", "context_length", "enable_metrics", "tp_size", "api_key",
                 "attention_backend", "enable_torch_compile", "torch_compile_max_bs"):
        values[name] = getattr(namespace, action_of(name).dest, None) if action_of(name) else None
    values["api_key"] = values["api_key"] is not None
    model_dir = os.path.isdir(namespace.model_path or "")
except Refused as exc:
    problems.append("server args: %s" % exc)
import importlib.util
config_file = importlib.util.find_spec("sglang.srt.server_args_config_parser") is not None
print(json.dumps(dict(version=sglang.__version__, argv=argv, values=values, model_dir=model_dir, problems=problems,
                      config_file=config_file)))
"""


def merge(defaults, overrides):
    """The server args: ``defaults`` (the JSON file) with ``overrides`` (inventory) on top, as sorted
    (key, value) pairs; a key that is not a ServerArgs-style field name raises ValueError naming it."""
    merged = dict(defaults or {})
    merged.update(overrides or {})
    for key in merged:
        if not KEY_RE.match(str(key)):
            raise ValueError("%r: server argument keys are SGLang's ServerArgs field names (lower_case_with_underscores)" % (key,))
    return sorted(merged.items())


def config_yaml(argv):
    """The YAML that SGLang's ``--config`` reads for ``argv``: one ``flag-name: value`` line per flag (a switch is
    ``true``, several values a list), quoted as JSON strings, which YAML reads as they are."""
    lines, i = [], 0
    while i < len(argv):
        flag = argv[i]
        values = []
        i += 1
        while i < len(argv) and not argv[i].startswith("--"):
            values.append(argv[i])
            i += 1
        key = flag[2:]
        if not values:
            lines.append("%s: true" % key)
        elif len(values) == 1:
            lines.append("%s: %s" % (key, json.dumps(values[0])))
        else:
            lines.append("%s: [%s]" % (key, ", ".join(json.dumps(v) for v in values)))
    return "\n".join(lines) + "\n"


def context_problem(context_length, max_position_embeddings):
    """One line when the context length is above the model's max_position_embeddings (SGLang refuses it), else None."""
    if context_length is None or max_position_embeddings is None:
        return None
    if int(context_length) > int(max_position_embeddings):
        return ("context_length: %s is above the model's max_position_embeddings (%s); SGLang refuses it"
                % (context_length, max_position_embeddings))
    return None


def exposure_problem(host, api_key):
    """One line when the server would listen beyond loopback without an API key (an open endpoint on every
    interface the host has), else None."""
    if _evidence.is_loopback(host) or api_key:
        return None
    return "host: %s is not a loopback address and no api_key is set: the server would answer anyone who reaches it " \
           "(set inference_api_key, or keep host on 127.0.0.1)" % (host or "0.0.0.0")


def port_problem(host, port, key="port"):
    """One line when ``port`` cannot be bound on ``host`` (something listens there), else None. The probe binds
    with SO_REUSEADDR, as servers do, so the TIME_WAIT connections a stopped server leaves do not count."""
    problem = port_number_problem(port, key)
    if problem:
        return problem
    number = int(port)
    family = socket.AF_INET6 if ":" in (host or "") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host or "0.0.0.0", number))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return "%s: %s is in use on %s" % (key, port, host)
        return "%s: cannot bind %s:%s: %s" % (key, host, port, exc.strerror or exc)
    finally:
        sock.close()
    return None


def port_number_problem(port, key="port"):
    """One line when ``port`` is not a TCP port number (1-65535), else None."""
    try:
        number = int(port)
    except (TypeError, ValueError):
        return "%s: %r is not a port number" % (key, port)
    if isinstance(port, bool) or not 0 < number < 65536 or str(number) != str(port).strip():
        return "%s: %s is not a port between 1 and 65535" % (key, port)
    return None


def model_problem(values, model_dir, models_root="/models"):
    """One line when the model path is not a directory under ``models_root`` in the container, else None."""
    path = values.get("model_path") or ""
    if not path.startswith(models_root.rstrip("/") + "/"):
        return "model_path: %r is not under %s" % (path, models_root)
    if not model_dir:
        return "model_path: %s does not exist in the container" % path
    return None


# The problem with an API key given in the server arguments instead of the module's no_log option.
SECRET_IN_ARGS = ("api_key: a key in the server arguments would be written to the run's records; "
                  "pass it with the api_key option (no_log) instead")


# The problem with an API key for an SGLang that reads no --config file: the key could only go on its command line.
NO_CONFIG_FILE = ("api_key: SGLang %s reads no --config file, so the key could only go on its command line, where every "
                  "user of the host sees it in ps; use an image with SGLang 0.5 or later, or serve on 127.0.0.1 without a key")


def redact(argv, secret_flags=("--api-key",)):
    """argv with each secret flag's value replaced (``--api-key KEY`` and ``--api-key=KEY``), for what is shown."""
    out, hide = [], False
    for item in argv:
        flag = item.split("=", 1)[0]
        out.append("********" if hide else "%s=********" % flag if flag in secret_flags and "=" in item else item)
        hide = item in secret_flags
    return out


# Run as ``python3 -c LAUNCHER <log file> <argv...>`` (as the server's user): starts argv detached in a session of
# its own (so its PID is its process group), stdout and stderr appended to the log, and prints {"pid", "start"}
# (start: the process's start time in clock ticks, /proc/<pid>/stat field 22, so a reused PID is never taken
# for it). The API key, when set, is all the launcher reads on its stdin (nothing there: no key), so it is in no
# process's environment, not even the launcher's, and reaches the server through a FIFO in a 0700 folder on /dev/shm,
# passed as ``--config``: SGLang reads it once at start-up and the relay removes it, so the key is
# in no process's argv or environment and never on disk. The relay (RELAY, started with a clean environment, the key
# on a pipe) then carries the server's output into the log with the key masked, as SGLang prints its server_args.
LAUNCHER = r"""
import json, os, subprocess, sys, tempfile
env = dict(os.environ)
key = sys.stdin.buffer.read().decode("utf-8")
argv = sys.argv[2:]
if key:
    open(sys.argv[1], "ab").close()  # the log is there when the launcher returns, as without a key
    private = tempfile.mkdtemp(prefix="gh200-server-", dir="/dev/shm" if os.access("/dev/shm", os.W_OK) else None)
    fifo = os.path.join(private, "api-key.yaml")
    os.mkfifo(fifo, 0o600)
    key_r, key_w = os.pipe()
    out_r, out_w = os.pipe()
    subprocess.Popen([sys.executable, "-c", RELAY_SOURCE, sys.argv[1], fifo, str(key_r)], stdin=out_r,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, pass_fds=(key_r,), start_new_session=True)
    os.close(key_r)
    os.close(out_r)
    os.write(key_w, key.encode("utf-8"))
    os.close(key_w)
    proc = subprocess.Popen(argv + ["--config", fifo], stdout=out_w, stderr=out_w, stdin=subprocess.DEVNULL, env=env,
                            start_new_session=True)
    os.close(out_w)
else:
    with open(sys.argv[1], "ab") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True)
with open("/proc/%d/stat" % proc.pid) as handle:
    start = handle.read().rsplit(")", 1)[1].split()[19]
print(json.dumps(dict(pid=proc.pid, start=start)))
"""

# Run as ``python3 -c RELAY <log file> <FIFO> <key fd>`` by the launcher: reads the key from the fd, hands SGLang its
# ``api-key`` through the FIFO (a YAML line; the FIFO and its folder go once it is read, or when the server ends), and
# appends the server's output (its stdin) to the log with every occurrence of the key replaced by ********; only bytes
# that may begin the key are held back, so a line is in the log as soon as the server prints it.
RELAY = r"""
import json, os, sys, threading
log_path, fifo, key_fd = sys.argv[1], sys.argv[2], int(sys.argv[3])
chunks = []
while True:
    chunk = os.read(key_fd, 65536)
    if not chunk:
        break
    chunks.append(chunk)
os.close(key_fd)
key = b"".join(chunks)
def remove_fifo():
    for step in (os.unlink, os.rmdir):
        try:
            step(fifo if step is os.unlink else os.path.dirname(fifo))
        except OSError:
            pass
def feed():
    try:
        fd = os.open(fifo, os.O_WRONLY)
        os.write(fd, ("api-key: %s\n" % json.dumps(key.decode("utf-8"))).encode("utf-8"))
        os.close(fd)
    finally:
        remove_fifo()
threading.Thread(target=feed, daemon=True).start()
def held(data):
    for size in range(min(len(key) - 1, len(data)), 0, -1):
        if key.startswith(data[-size:]):
            return size
    return 0
with open(log_path, "ab") as log:
    pending = b""
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        data = (pending + chunk).replace(key, b"********")
        keep = held(data)
        pending = data[len(data) - keep:] if keep else b""
        log.write(data[:len(data) - keep])
        log.flush()
    log.write(pending.replace(key, b"********"))
remove_fifo()
"""
LAUNCHER = LAUNCHER.replace("RELAY_SOURCE", repr(RELAY))


# Run as ``python3 -c PROCESS_PROBE <pid> <start> <signal or "none"> <seconds>``: whether the recorded process still
# runs (same PID and start time, not a zombie); with a signal, sends it to the process group and waits up to
# <seconds> for the process to end. Prints {"alive": bool, "ended": bool}.
PROCESS_PROBE = r"""
import json, os, signal, sys, time
pid, start, sig, wait = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
names = [n for n in (sys.argv[5] if len(sys.argv) > 5 else "").split(",") if n]
def alive():
    try:
        with open("/proc/%d/stat" % pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == start and fields[0] != "Z"
was = alive()
env, env_error = {}, None
if was and names:  # only the variables asked for, from the process's own environment (its user reads it)
    try:
        with open("/proc/%d/environ" % pid, "rb") as handle:
            pairs = [item.split(b"=", 1) for item in handle.read(1 << 20).split(b"\0") if b"=" in item]
        held = dict((k.decode("utf-8", "replace"), v.decode("utf-8", "replace")) for k, v in pairs)
        env = dict((n, held.get(n)) for n in names)
    except OSError as exc:
        env_error = "%s: %s" % (exc.filename, exc.strerror)
if was and sig != "none":
    try:
        os.killpg(pid, getattr(signal, sig))
    except ProcessLookupError:
        pass
    deadline = time.time() + wait
    while alive() and time.time() < deadline:
        time.sleep(0.2)
print(json.dumps(dict(alive=was, ended=not alive(), env=env, env_error=env_error)))
"""


def server_record(name, pid, start, argv, host, port, log, run_id, version, api_key, started_at, cache_env=None):
    """What the host tree keeps about a started server: never the API key, only whether one is set; the cache
    variables it was started with (paths), so that a later status reads them back from the process."""
    return {"name": name, "pid": pid, "start": start, "argv": list(argv), "host": host, "port": port, "log": log,
            "run_id": run_id, "sglang_version": version, "api_key": bool(api_key), "started_at": started_at,
            "cache_env": dict(cache_env or {})}


# What a server record must hold, and of which type, before a PID from it is signalled or a log path read.
RECORD_FIELDS = (("name", str), ("pid", int), ("start", (int, float, str)), ("argv", list), ("host", str), ("port", int),
                 ("log", str), ("run_id", str))


def record_problem(record):
    """Why ``record`` (parsed from the host tree, where anything may have been written) is not a server record this
    module wrote, as one phrase, or None."""
    if not isinstance(record, dict):
        return "it holds %s, not a server record" % type(record).__name__
    for key, kind in RECORD_FIELDS:
        if key not in record:
            return "it has no %s" % key
        if not isinstance(record[key], kind) or isinstance(record[key], bool):
            return "its %s is %r" % (key, record[key])
    if not 0 < record["port"] < 65536 or record["pid"] <= 1:
        return "its pid %r or port %r is out of range" % (record["pid"], record["port"])
    env = record.get("cache_env", {})
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) and "," not in k for k, v in env.items()):
        return "its cache_env is not a map of variable names to paths"
    return None


def validation_key(request, parser_python, user, container_id, started_at):
    """The digest of everything SGLang's parser's answer depends on: the request, the Python and user that parse it,
    and the container run (another run may have another SGLang installed). A start given a validation with this key
    takes its answer instead of asking the parser again."""
    blob = json.dumps([request, parser_python, user, container_id, started_at], sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def reusable_answer(validation, key):
    """The parser's answer a validation result carries, when its key is ``key`` and the answer has what a start needs;
    else None (the parser is asked again)."""
    if not isinstance(validation, dict) or validation.get("validation_key") != key:
        return None
    answer = validation.get("parser_answer")
    if not isinstance(answer, dict) or answer.get("problems") or answer.get("error"):
        return None
    if not isinstance(answer.get("argv"), list) or not isinstance(answer.get("values"), dict) or "version" not in answer:
        return None
    return answer


def same_server(record, argv, run_id, api_key, cache_env=None):
    """Whether the recorded server was started with this argv and cache environment in this container run (and an API
    key when one is set)."""
    return bool(record) and record.get("argv") == list(argv) and record.get("run_id") == run_id \
        and record.get("api_key") == bool(api_key) and record.get("cache_env", {}) == dict(cache_env or {})


def log_evidence(text, error_regex, request_regex, limit=5, ignore_regex=""):
    """What a server log shows: its line count, the first ``limit`` lines matching ``error_regex`` (a CLI or
    context-length refusal, a traceback) and not ``ignore_regex`` (lines a healthy start prints), how many lines match
    ``request_regex`` (requests served), and its last lines."""
    lines = (text or "").splitlines()
    requests = re.compile(request_regex)
    return {"lines": len(lines), "errors": _evidence.error_lines(lines, error_regex, limit, ignore_regex),
            "requests": sum(1 for line in lines if requests.search(line)), "tail": lines[-limit:]}
