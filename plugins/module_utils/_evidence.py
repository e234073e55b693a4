# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evidence of one container run: pure functions over inspect data, files and HTTP answers
(private to the collection)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import ipaddress
import os
import re
import stat
import time

from ansible.module_utils.urls import open_url
from ansible.module_utils.six.moves.urllib.error import URLError
from ansible.module_utils.six.moves.urllib.parse import urlparse

from ansible_collections.gh200.sglang.plugins.module_utils import _manifest

LOOPBACK = "127.0.0.1"
# What a dev image's entrypoint may run (gh200_container_services), each judged by its own checks: its ready line in the
# container log, this run's own log directory, the node exporter and Prometheus on loopback.
SERVICES = ("ready_line", "run_log", "node_exporter", "prometheus")
_DOCKER_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def docker_time_to_epoch(text):
    """'2026-11-22T11:01:57.123456789Z' (Docker's RFC 3339 with nanoseconds) -> epoch seconds; None if unset."""
    match = _DOCKER_TIME.match(text or "")
    if not match or match.group(1).startswith("0001-"):
        return None
    base = calendar.timegm(time.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S"))
    fraction = float("0." + match.group(2)) if match.group(2) else 0.0
    zone = match.group(3)
    offset = 0 if zone == "Z" else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return base + fraction - offset


def container_facts(attrs):
    """Status, restarts, run id, env ports and GPUs of a container from its inspect data ({} -> absent)."""
    if not attrs:
        return {"exists": False, "status": None, "running": False, "restart_count": None, "exit_code": None, "oom_killed": None,
                "started_at": None, "started_epoch": None, "run_id": None, "image": None, "gpus": None, "env": {}}
    state = attrs.get("State") or {}
    config = attrs.get("Config") or {}
    env = dict(e.split("=", 1) if "=" in e else (e, "") for e in config.get("Env") or [])
    return {
        "exists": True,
        "status": state.get("Status"),
        "running": bool(state.get("Running")) and not state.get("Restarting"),
        "restart_count": attrs.get("RestartCount", 0),
        "exit_code": state.get("ExitCode"),
        "oom_killed": state.get("OOMKilled"),
        "started_at": state.get("StartedAt"),
        "started_epoch": docker_time_to_epoch(state.get("StartedAt")),
        "run_id": (config.get("Labels") or {}).get(_manifest.LABEL_RUN_ID),
        "image": config.get("Image"),
        "gpus": _manifest.gpus_from_inspect((attrs.get("HostConfig") or {}).get("DeviceRequests")),
        "env": dict((k, v) for k, v in env.items() if k.endswith("_PORT")),
    }


def found_line(attrs):
    """What a start found before it acted, in a few words: 'no container', or its state, run and restarts, with the
    exit code, OOM kill and finish time of one that stopped (an engine restart, a host reboot, a crash)."""
    facts = container_facts(attrs)
    if not facts["exists"]:
        return "no container"
    line = "%s, run %s, restarts %s" % (facts["status"], facts["run_id"] or "unlabelled", facts["restart_count"])
    if not facts["running"]:
        state = attrs.get("State") or {}
        line += ", exit code %s%s, finished %s" % (facts["exit_code"], " (OOM killed)" if facts["oom_killed"] else "",
                                                   state.get("FinishedAt") or "?")
    return line


def gpus_match(requested, actual):
    """Whether the container got the GPUs requested: both normalized with _manifest.normalize_gpus."""
    if requested is None or actual is None:
        return requested is None and actual is None
    if requested["device_ids"]:
        return sorted(requested["device_ids"]) == sorted(actual.get("device_ids") or [])
    return not actual.get("device_ids") and actual.get("count") == requested["count"]


def file_facts(path):
    """Kind, mode ('0600'), owner and mtime of ``path`` without following a symlink."""
    try:
        info = os.lstat(path)
    except OSError:
        return {"path": path, "exists": False, "is_file": False, "is_symlink": False, "mode": None, "uid": None, "gid": None, "mtime": None}
    return {"path": path, "exists": True, "is_file": stat.S_ISREG(info.st_mode), "is_symlink": stat.S_ISLNK(info.st_mode),
            "mode": "%04o" % stat.S_IMODE(info.st_mode), "uid": info.st_uid, "gid": info.st_gid, "mtime": info.st_mtime}


def run_log_facts(log_root, run_id, since):
    """The files in <log_root>/container-run-<run_id>/: names, and those written at or after ``since``."""
    out = {"dir": None, "exists": False, "files": [], "fresh": [], "uid": None}
    if not run_id:
        return out
    path = os.path.join(log_root, "container-run-%s" % run_id)
    out["dir"] = path
    try:
        info = os.lstat(path)
    except OSError:
        return out
    if not stat.S_ISDIR(info.st_mode):
        return out
    out.update(exists=True, uid=info.st_uid)
    for name in sorted(os.listdir(path)):
        entry = os.lstat(os.path.join(path, name))
        if stat.S_ISREG(entry.st_mode):
            out["files"].append(name)
            if since is None or entry.st_mtime >= since:
                out["fresh"].append(name)
    return out


# What the collection itself writes under telemetry/prometheus (scrape snapshots, file-SD targets): not the TSDB.
NOT_TSDB = ("snapshots", "targets")


def newest_mtime(top, skip=()):
    """The newest mtime of any entry under ``top`` (not following symlinks) outside its top-level folders ``skip``,
    and how many entries; (None, 0) if empty."""
    newest, count = None, 0
    for dirpath, dirnames, filenames in os.walk(top):
        if dirpath == top:
            dirnames[:] = [d for d in dirnames if d not in skip]
        for name in dirnames + filenames:
            try:
                mtime = os.lstat(os.path.join(dirpath, name)).st_mtime
            except OSError:
                continue
            count += 1
            newest = mtime if newest is None or mtime > newest else newest
    return newest, count


def http_get(url, timeout, limit=4096):
    """(status, the body's first ``limit`` bytes as text, error) of a GET; status None when nothing answered."""
    try:
        response = open_url(url, timeout=timeout, use_proxy=False, validate_certs=False)
        try:
            return response.getcode(), response.read(limit).decode("utf-8", "replace"), None
        finally:
            response.close()
    except URLError as exc:
        code = getattr(exc, "code", None)
        return code, "", str(getattr(exc, "reason", exc))
    except (OSError, ValueError) as exc:
        return None, "", str(exc)


def metric_samples(text):
    """How many sample lines a Prometheus text exposition has (lines that are not blank or comments)."""
    return sum(1 for line in (text or "").splitlines() if line.strip() and not line.startswith("#"))


# Lines a healthy start prints that an error pattern would catch: SGLang's model registry skipping a model module
# whose optional dependency is missing, and pip's dependency-resolver notice (printed with an "ERROR:" prefix).
BENIGN_LOG_LINES = (r"Ignore import error when loading sglang\.|"
                    r"pip's dependency resolver does not currently take into account all the packages")
# What counts as an error in a server log, and in the container log.
SERVER_ERROR_REGEX = r"(?i)(error\b|traceback|exception|unrecognized arguments)"
CONTAINER_ERROR_REGEX = r"(?i)\b(error|fatal|traceback|panic)\b"


def http_url(url):
    """(the parsed ``url``, its port or None, None) when it is an http(s) URL with a host and a valid port, else
    (None, None, one line naming the URL and the cause)."""
    try:
        parsed = urlparse(url)
        port = parsed.port  # raises for a port out of range or not a number
    except ValueError as exc:  # an unclosed [ in an IPv6 host, a bad port
        return None, None, "url %r is not an http(s) URL: %s" % (url, exc)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None, None, "url %r is not an http(s) URL" % url
    return parsed, port, None


def is_loopback(host):
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) is this machine's loopback:
    localhost, 127.0.0.0/8 or ::1."""
    name = (host or "").strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def port_from_env(env, name, default):
    """The port a container's environment names (PROMETHEUS_PORT=9090), or ``default``; SpecError in one line when it
    is not a port number."""
    raw = str((env or {}).get(name) or default).strip()
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise _manifest.SpecError("the container's %s=%r is not a port number" % (name, raw))
    return int(raw)


def error_lines(lines, pattern, limit=5, ignore=""):
    """The first ``limit`` lines matching ``pattern`` and not ``ignore`` (Python regexes; empty ignores nothing)."""
    regex = re.compile(pattern)
    skip = re.compile(ignore) if ignore else None
    return [line for line in lines if regex.search(line) and not (skip and skip.search(line))][:limit]


def services_waiting(evidence, services, run_log_name):
    """The services of ``services`` whose evidence (run_evidence's answer) is not in yet, in SERVICES order: run_log
    (``run_log_name`` written in this run's log directory since the start), node_exporter (answers /metrics),
    prometheus (ready, its TSDB written since the start). The ready line is waited on by itself, in the container log."""
    evidence = evidence or {}
    prometheus = evidence.get("prometheus") or {}
    up = {
        "run_log": run_log_name in ((evidence.get("run_log") or {}).get("fresh") or []),
        "node_exporter": bool((evidence.get("node_exporter") or {}).get("up")),
        "prometheus": bool(prometheus.get("ready") and prometheus.get("tsdb_fresh")),
    }
    return [s for s in SERVICES if s in up and s in (services or []) and not up[s]]
