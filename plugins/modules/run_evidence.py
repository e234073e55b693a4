#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: run_evidence
short_description: Gather, in one call, the evidence that a dev container run is the current one and healthy
version_added: 0.1.0
description:
  - Reads what the phase 1 and phase 4 checks judge about the dev container's current run. It returns
    the container's state, restart count, run-id label and the GPUs it actually got
    (C(HostConfig.DeviceRequests)). It reads the manifest pointer (kind, mode, owner, C(RUN_ID)) and
    the run history.
  - It lists the files in the run's own log directory C(telemetry/logs/container-run-<run_id>/) and
    says which were written since the container started.
  - It asks Prometheus for C(/-/ready) and the node exporter for C(/metrics) on loopback, and reports
    whether the Prometheus TSDB under C(telemetry/prometheus) was written since the start (C(snapshots/) and
    C(targets/), which this collection writes there, are not the TSDB).
  - It returns the last lines of the container log that match an error pattern.
  - It reads only. A missing container is evidence (C(container.exists=false)), not a failure.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.attributes.read_only
  - gh200.sglang.docker
  - gh200.sglang.docker.container
  - gh200.sglang.docker.host_tree
options:
  gpus:
    description: The GPU request the container was started with (V(all), V(none) or ids like V(0,1)); compared in RV(gpus).
    type: str
    default: none
  probe_services:
    description: Ask Prometheus and the node exporter on loopback. Off, both are reported as not asked.
    type: bool
    default: true
  prometheus_port:
    description: Port of Prometheus on 127.0.0.1. Defaults to the container's E(PROMETHEUS_PORT), else 9090.
    type: int
  node_exporter_port:
    description: Port of the node exporter on 127.0.0.1. Defaults to the container's E(NODE_EXPORTER_PORT), else 9100.
    type: int
  http_timeout:
    description: Seconds to wait for each HTTP answer.
    type: int
    default: 5
  logs_tail:
    description: Lines of the container log to read.
    type: int
    default: 200
  log_error_regex:
    description: Python regular expression of a container log line that is an error.
    type: str
    default: '(?i)\b(error|fatal|traceback|panic)\b'
  log_ignore_regex:
    description:
      - Python regular expression of container log lines that are never errors; empty ignores nothing.
      - The default passes what a healthy start prints (SGLang's C(Ignore import error when loading sglang.srt.models...)
        and pip's dependency-resolver notice).
    type: str
    default: "Ignore import error when loading sglang\\.|pip's dependency resolver does not currently take into account all the packages"
  wait_services:
    description:
      - Services the image runs whose evidence to wait for after a start. C(run_log) is O(run_log_name) written in
        this run's log directory since the start, C(node_exporter) answers C(/metrics), C(prometheus) is ready and
        its TSDB written since the start. C(ready_line) is waited for by M(gh200.sglang.container_probe), and is
        ignored here.
      - The module gathers the evidence at once, then again after a pause that doubles from 0.25 s to 2 s, until
        every one is in, the container is not running, or O(wait_timeout) has passed; one module call, not one per
        look. What is still missing is data (RV(wait)), not a failure; the evidence returned is the last gathered.
    type: list
    elements: str
    choices: [ready_line, run_log, node_exporter, prometheus]
    default: []
  run_log_name:
    description: The file the entrypoint writes in this run's log directory, waited for with C(run_log).
    type: str
    default: init-run.log
  wait_timeout:
    description: Seconds O(wait_services) may be waited for, 0 to 86400; V(0) gathers once.
    type: float
    default: 0
"""

EXAMPLES = r"""
- name: Gather the evidence of the current run.
  gh200.sglang.run_evidence:
    name: sglang-dev
    host_user: ubuntu
    gpus: all
  register: evidence

- name: Wait up to 60 s after a start for this run's log, Prometheus and the node exporter, then gather the evidence.
  gh200.sglang.run_evidence:
    name: sglang-dev
    host_user: ubuntu
    wait_services: [run_log, node_exporter, prometheus]
    wait_timeout: 60
  register: evidence

- name: Check that the pointer names the running container's run.
  gh200.sglang.check:
    phase: phase1
    name: pointer names the current run
    that:
      - evidence.container.run_id | length > 0
      - evidence.pointer.run_id == evidence.container.run_id
"""

RETURN = r"""
container:
  description: The container's state; C(exists=false) when there is none.
  returned: always
  type: dict
  sample: {"exists": true, "status": "running", "running": true, "restart_count": 0, "run_id": "20261122T120000Z-1a2b3c",
           "started_at": "2026-11-22T12:00:00.5Z", "started_epoch": 1795348800.5, "gpus": null, "image": "sglang-dev:gh200"}
pointer:
  description: The manifest pointer, never followed through a symlink, with its C(RUN_ID).
  returned: always
  type: dict
  sample: {"path": "/home/ubuntu/sglang-observability/telemetry/container_run_meta.env", "exists": true, "is_file": true,
           "mode": "0600", "uid": 1000, "gid": 1000, "run_id": "20261122T120000Z-1a2b3c"}
history:
  description: Names of the run manifests in C(telemetry/container_runs), sorted.
  returned: always
  type: list
  elements: str
run_log:
  description: The current run's log directory, its files, and those written since the container started.
  returned: always
  type: dict
  sample: {"dir": "/home/ubuntu/sglang-observability/telemetry/logs/container-run-20261122T120000Z-1a2b3c", "exists": true,
           "files": ["init-run.log", "node-exporter.log", "prometheus.log"], "fresh": ["init-run.log", "node-exporter.log", "prometheus.log"]}
prometheus:
  description: Prometheus's answer to C(/-/ready) on loopback and whether its TSDB was written since the start.
  returned: always
  type: dict
  sample: {"url": "http://127.0.0.1:9090/-/ready", "asked": true, "ready": true, "status": 200, "answer": "Prometheus Server is Ready.",
           "tsdb_entries": 7, "tsdb_newest_mtime": 1795348805.1, "tsdb_fresh": true}
node_exporter:
  description: The node exporter's answer to C(/metrics) on loopback.
  returned: always
  type: dict
  sample: {"url": "http://127.0.0.1:9100/metrics", "asked": true, "up": true, "status": 200, "samples": 40}
logs:
  description: How many container log lines were read, and the first that match O(log_error_regex).
  returned: always
  type: dict
  sample: {"lines": 12, "errors": []}
gpus:
  description: The GPUs requested and those the container got, normalized, and whether they match.
  returned: always
  type: dict
  sample: {"requested": null, "actual": null, "match": true}
wait:
  description:
    - How the wait for O(wait_services) ended (V(done), V(timeout), or why it stopped early, such as the container
      not running), the seconds it took, and the services still missing at the end.
  returned: always
  type: dict
  sample: {"ended": "done", "waited": 3.75, "missing": []}
"""

import os
from re import compile as re_compile, error as re_error

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _docker, _evidence, _files, _manifest, _tree, _wait


def services(p, container, root):
    """Prometheus and node exporter answers on loopback, and the TSDB's freshness."""
    since = container["started_epoch"]
    prom_port = p["prometheus_port"] or _evidence.port_from_env(container["env"], "PROMETHEUS_PORT", 9090)
    node_port = p["node_exporter_port"] or _evidence.port_from_env(container["env"], "NODE_EXPORTER_PORT", 9100)
    newest, entries = _evidence.newest_mtime(os.path.join(root, "telemetry", "prometheus"), _evidence.NOT_TSDB)
    prom = {"url": "http://%s:%d/-/ready" % (_evidence.LOOPBACK, prom_port), "asked": False, "ready": False, "status": None,
            "answer": "", "tsdb_entries": entries, "tsdb_newest_mtime": newest,
            "tsdb_fresh": newest is not None and since is not None and newest >= since}
    node = {"url": "http://%s:%d/metrics" % (_evidence.LOOPBACK, node_port), "asked": False, "up": False, "status": None, "samples": 0}
    if p["probe_services"] and container["running"]:
        status, body, error = _evidence.http_get(prom["url"], p["http_timeout"])
        prom.update(asked=True, status=status, ready=status == 200, answer=(body.strip() or error or "")[:200])
        status, body, error = _evidence.http_get(node["url"], p["http_timeout"])
        node.update(asked=True, status=status, samples=_evidence.metric_samples(body), error=error)
        node["up"] = status == 200 and node["samples"] > 0
    return prom, node


def gather(p, cli, root, requested):
    """The evidence of the run, gathered once."""
    found = _docker.get_container(cli, p["name"])
    container = _evidence.container_facts(found.attrs if found is not None else None)
    log_lines = _docker.log_lines(found, p["logs_tail"]) if found is not None and p["logs_tail"] > 0 else []
    pointer = _evidence.file_facts(os.path.join(root, _manifest.POINTER))
    raw = _files.read_bytes(pointer["path"]) if pointer["is_file"] else None
    pointer["run_id"] = _manifest.parse_env_file((raw or b"").decode("utf-8", "replace")).get("RUN_ID")
    history_dir = os.path.join(root, _manifest.HISTORY)
    history = sorted(n for n in os.listdir(history_dir) if n.endswith(".env")) if os.path.isdir(history_dir) else []
    run_log = _evidence.run_log_facts(os.path.join(root, "telemetry", "logs"), container["run_id"], container["started_epoch"])
    prom, node = services(p, container, root)
    return dict(
        container=container, pointer=pointer, history=history, run_log=run_log, prometheus=prom, node_exporter=node,
        logs={"lines": len(log_lines), "errors": _evidence.error_lines(log_lines, p["log_error_regex"], ignore=p["log_ignore_regex"])},
        gpus={"requested": requested, "actual": container["gpus"], "match": _evidence.gpus_match(requested, container["gpus"])},
    )


def settled(p, evidence):
    """True when every service waited for is in; why the wait ends early (no container running); else ''."""
    if not evidence["container"]["running"]:
        return "the container is %s" % (evidence["container"]["status"] if evidence["container"]["exists"] else "absent")
    return not _evidence.services_waiting(evidence, p["wait_services"], p["run_log_name"])


def main():
    argument_spec = dict(
        gpus=dict(type="str", default="none"),
        probe_services=dict(type="bool", default=True),
        prometheus_port=dict(type="int"),
        node_exporter_port=dict(type="int"),
        http_timeout=dict(type="int", default=5),
        logs_tail=dict(type="int", default=200),
        log_error_regex=dict(type="str", default=_evidence.CONTAINER_ERROR_REGEX),
        log_ignore_regex=dict(type="str", default=_evidence.BENIGN_LOG_LINES),
        wait_services=dict(type="list", elements="str", default=[], choices=list(_evidence.SERVICES)),
        run_log_name=dict(type="str", default="init-run.log"),
        wait_timeout=dict(type="float", default=0),
    )
    argument_spec.update(_docker.DOCKER_ARGS, **dict(_docker.CONTAINER_ARGS, **_tree.HOST_TREE_ARGS))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    for option in ("log_error_regex", "log_ignore_regex"):
        try:
            re_compile(p[option])
        except re_error as exc:
            module.fail_json(msg="%s %r is not a valid regular expression: %s" % (option, p[option], exc))
    try:
        _wait.check_wait("wait_timeout", p["wait_timeout"])
        dummy, root = _tree.resolve_root(p["host_user"], p["root"])
    except _tree.OptionProblem as exc:
        module.fail_json(msg=str(exc))
    except ValueError as exc:
        module.fail_json(msg="run_evidence: %s" % exc)
    try:
        requested = _manifest.normalize_gpus(p["gpus"])
        cli = _docker.client(module)
        evidence, waited, ended = _wait.until(lambda: gather(p, cli, root, requested), lambda e: settled(p, e), p["wait_timeout"])
    except _docker.DockerException as exc:
        module.fail_json(msg="container %s: Docker engine error: %s" % (p["name"], exc))
    except (OSError, _files.PathProblem, _manifest.SpecError) as exc:
        module.fail_json(msg="container %s: %s" % (p["name"], exc))
    wait = {"ended": ended, "waited": waited, "missing": _evidence.services_waiting(evidence, p["wait_services"], p["run_log_name"])}
    module.exit_json(changed=False, wait=wait, **evidence)


if __name__ == "__main__":
    main()
