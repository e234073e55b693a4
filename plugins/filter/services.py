# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over what the dev image's entrypoint runs (gh200_container_services)."""

from __future__ import annotations

# What an entrypoint may run, each with the checks that judge it: its ready line in the container log, this run's
# own log directory, the node exporter and Prometheus on loopback.
SERVICES = ("ready_line", "run_log", "node_exporter", "prometheus")
NOT_RUN = "not run by this image"


def service_skip(service, services):
    """'' when the image runs ``service`` (it is in ``services``), else the reason its checks are skipped."""
    if service not in SERVICES:
        raise ValueError("service %r is not one of %s" % (service, ", ".join(SERVICES)))
    return "" if service in (services or []) else NOT_RUN


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


class FilterModule(object):
    """gh200.sglang service filters."""

    def filters(self):
        return {"service_skip": service_skip, "services_waiting": services_waiting}
