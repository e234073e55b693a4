# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet view of a report: each check over the hosts, the facts that differ between hosts, and what to do.

Pure functions (controller side), given the report's host entries ({host: entry}, entries as _report.host_entry
makes them, each with its ``facts``).
"""

from __future__ import annotations

import re

from ansible_collections.gh200.sglang.plugins.module_utils import _gpu_health, _stages
from ansible_collections.gh200.sglang.plugins.plugin_utils import _checks

# The facts a fleet's hosts should share, in the drift table's order: (label, fact, key), from the minimal facts
# verify.yml gathers and the GPU facts phase 0 sets.
DRIFT_FACTS = (
    ("OS", None, "distribution"), ("OS version", None, "distribution_version"), ("kernel", None, "kernel"),
    ("CPU", None, "architecture"), ("GPU", "gh200_gpu", "gpu_name"), ("GPUs", "gh200_gpu", "gpu_count"),
    ("driver", "gh200_gpu", "driver_version"), ("CUDA", "gh200_gpu", "cuda_version"),
    ("compute capability", "gh200_gpu", "compute_capability"), ("GPU memory (GiB)", "gh200_gpu", "vram_gb"),
)
_STAGE = re.compile(r"(?:^|: )(%s): " % "|".join(_stages.STAGE_NAMES))
_HEALTH = dict((name, item) for item, name in _gpu_health.NAMES.items())

RERUN = "repair what the detail names, then run the host again: ansible-playbook -i <inventory> playbooks/verify.yml --limit <hosts>"
REACH = ("restore the controller's connection to the host (SSH or the Docker connection, its user and key), then run it again "
         "with --limit @failed.limit")
# (pattern on the check's name, action), the first match wins; a cache stage's checks and the GPU health gate's have
# their own rules (action()).
_RULES = (
    (re.compile(r"^profiles holds only"), "rebuild the stages the detail names: ansible-playbook -i <inventory> playbooks/caches.yml "
                                          "--limit <hosts> -e '{\"caches_stages\": {\"<stage>\": \"rebuild\"}}'; remove what is "
                                          "not a stage's"),
    (re.compile(r"no kernel compiled at server start$"),
     "rebuild the stages whose folders under profiles/ the detail names, with the server's arguments: ansible-playbook -i "
     "<inventory> playbooks/caches.yml --limit <hosts> -e '{\"caches_stages\": {\"<stage>\": \"rebuild\"}}'"),
    (re.compile(r"^(model |no partial model download|only the expected model)"),
     "download the model again (or fix the files the detail names) under models/, then run phase 0 again"),
    (re.compile(r"(owned by|belongs to) "), "give the paths the detail names back to the host user (chown) or remove them, "
                                            "then run the host again"),
    (re.compile(r"^dev image current"), "rebuild the dev image: run phase 0 again with host_prep_image_build set, "
                                        "or fix the Dockerfile step the detail names"),
    (re.compile(r"^host reachable$"), REACH),
    (re.compile(r"^no other run holds this host$"), "let the run the detail names end, or run again with -e gh200_run_lock_wait=<seconds>; "
                                                    "remove the lock file it names only when that run is gone"),
)


def action(check):
    """What to do about a failed (or warned) check: one sentence with the command where there is one."""
    name = str(check.get("name") or "")
    item = _HEALTH.get(name)
    if item:
        return _gpu_health.action(item, check.get("detail") or "")
    stage = _STAGE.search(name)
    if stage:
        return ("rebuild the %s cache: ansible-playbook -i <inventory> playbooks/caches.yml --limit <hosts> "
                "-e '{\"caches_stages\": {\"%s\": \"rebuild\"}}'" % (stage.group(1), stage.group(1)))
    for pattern, text in _RULES:
        if pattern.search(name):
            return text
    return RERUN


def host_facts(facts):
    """{label: value} of the drift facts a host reported (a fact it did not report is left out)."""
    facts = facts or {}
    out = {}
    for label, group, key in DRIFT_FACTS:
        source = facts.get(group) if group else facts
        value = (source or {}).get(key) if isinstance(source, dict) else None
        if value not in (None, ""):
            out[label] = value
    return out


def _bad(status):
    return status in (_checks.FAILED, _checks.UNREACHABLE)


def judged(entry):
    """A host's checks; a host never reached has one, ``host reachable``, unreachable."""
    checks = entry.get("checks") or []
    if not checks and entry.get("verdict") == _checks.UNREACHABLE:
        return [{"phase": "run", "name": "host reachable", "status": _checks.UNREACHABLE, "detail": entry.get("detail") or ""}]
    return checks


def check_table(hosts):
    """One row per check (phase, name) over the hosts: how many hosts passed, failed, warned and skipped it, the
    hosts that failed it and what to do. Failures first (most hosts first), then warnings, then the report's order."""
    rows, order = {}, []
    for host, entry in hosts.items():
        for check in judged(entry):
            key = (check.get("phase"), check.get("name"))
            if key not in rows:
                order.append(key)
                rows[key] = {"phase": key[0], "name": key[1], "passed": 0, "failed": 0, "warning": 0, "skipped": 0,
                             "failed_hosts": [], "action": ""}
            row, status = rows[key], check.get("status")
            if _bad(status):
                row["failed"] += 1
                row["failed_hosts"].append(host)
                row["action"] = row["action"] or action(check)
            elif status == _checks.WARNING:
                row["warning"] += 1
                row["action"] = row["action"] or action(check)
            elif _checks.is_skipped(status):
                row["skipped"] += 1
            else:
                row["passed"] += 1
    position = dict((key, n) for n, key in enumerate(order))
    return sorted(rows.values(), key=lambda r: (-r["failed"], -r["warning"], position[(r["phase"], r["name"])]))


def actions(hosts):
    """[{action, hosts, checks}]: each action with the hosts that need it and the failed checks that asked for it,
    the action needed by the most hosts first."""
    groups = {}
    for host, entry in hosts.items():
        for check in judged(entry):
            if not _bad(check.get("status")):
                continue
            group = groups.setdefault(action(check), {"hosts": [], "checks": []})
            if host not in group["hosts"]:
                group["hosts"].append(host)
            if check["name"] not in group["checks"]:
                group["checks"].append(check["name"])
    out = [{"action": text, "hosts": g["hosts"], "checks": g["checks"]} for text, g in groups.items()]
    return sorted(out, key=lambda g: (-len(g["hosts"]), g["action"]))


def drift(hosts):
    """[{fact, values: [{value, hosts}]}] for each drift fact on which the hosts that report it differ, the most
    common value first."""
    out = []
    for label, dummy, dummy2 in DRIFT_FACTS:
        values = {}
        for host, entry in hosts.items():
            facts = entry.get("facts") or {}
            if label in facts:
                values.setdefault(str(facts[label]), []).append(host)
        if len(values) > 1:
            out.append({"fact": label, "values": [{"value": v, "hosts": h} for v, h in
                                                  sorted(values.items(), key=lambda item: (-len(item[1]), item[0]))]})
    return out


def failing(fleet):
    """The rows of the fleet's check table that some host failed or warned."""
    return [r for r in fleet["checks"] if r["failed"] or r["warning"]]


def summary(hosts):
    """The report's ``fleet`` section."""
    return {"checks": check_table(hosts), "actions": actions(hosts), "drift": drift(hosts)}
