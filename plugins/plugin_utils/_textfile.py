# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host's verdicts in the node exporter's textfile-collector format (Prometheus text exposition 0.0.4), so that
Prometheus holds every host's last verdict and alerts on it (roles/report/files/gh200-verify.rules.yml).

Pure functions (controller side). Status values: 1 passed (a warning too), 0 failed, -1 skipped or not run; the host
verdict also -1 when partial (not every phase ran)."""

from __future__ import annotations

from ansible_collections.gh200.sglang.plugins.plugin_utils import _checks, _report

PREFIX = "gh200_verify"


def status_value(status):
    """1 passed or warning, 0 failed (or unreachable), -1 anything else (skipped, partial, not run)."""
    text = str(status or "")
    if text in (_checks.PASSED, _checks.WARNING):
        return 1
    if text in (_checks.FAILED, _checks.UNREACHABLE):
        return 0
    return -1


def escape(value):
    """A label value as the exposition format writes it: backslash, double quote and newline escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs):
    return "{%s}" % ",".join('%s="%s"' % (k, escape(v)) for k, v in pairs) if pairs else ""


def _family(name, kind, helptext, samples):
    lines = ["# HELP %s_%s %s" % (PREFIX, name, helptext), "# TYPE %s_%s %s" % (PREFIX, name, kind)]
    lines += ["%s_%s%s %s" % (PREFIX, name, _labels(labels), value) for labels, value in samples]
    return lines


def render(entry, gpu_health=None, now=None):
    """The textfile for one host's report entry (_report.host_entry) and its gh200_gpu_health fact."""
    checks = entry.get("checks") or []
    phases = entry.get("phases") or {}
    last = {}  # a name recorded twice in a phase keeps its last status (one sample per label set)
    for check in checks:
        last[(check.get("phase"), check.get("name"))] = status_value(check.get("status"))
    check_samples = [((("phase", phase), ("check", name)), value) for (phase, name), value in last.items()]
    finished = _checks.parse_iso(entry.get("finished") or "") or _checks.parse_iso(entry.get("started") or "")
    stamp = finished.timestamp() if finished else (now or 0)
    lines = []
    lines += _family("host_status", "gauge", "The host's verdict in its last verify.yml run: 1 passed, 0 failed, "
                     "-1 partial or skipped.", [((("verdict", entry.get("verdict")),), status_value(entry.get("verdict")))])
    lines += _family("phase_status", "gauge", "Each phase's verdict: 1 passed, 0 failed, -1 skipped or not run.",
                     [((("phase", p),), status_value(i.get("verdict"))) for p, i in sorted(phases.items())])
    lines += _family("check_status", "gauge", "Each check's status: 1 passed, 0 failed, -1 skipped.", check_samples)
    lines += _family("checks_failed", "gauge", "How many checks failed in the last run.",
                     [((), sum(1 for s in check_samples if s[1] == 0))])
    failed_items = list((gpu_health or {}).get("failed") or [])
    lines += _family("gpu_health_failed", "gauge", "How many items of the GPU health gate failed (0 when it passed or "
                     "did not run).", [((), len(failed_items))])
    lines += _family("last_run_timestamp_seconds", "gauge", "When the last run finished (Unix time).", [((), "%.3f" % stamp)])
    lines += _family("last_run_duration_seconds", "gauge", "How long the last run took on this host.",
                     [((), "%.3f" % float(entry.get("duration_s") or 0))])
    return "\n".join(lines) + "\n"


def host_textfile(facts, phases, run_started=None, now=None):
    """The textfile of the host whose ansible_facts are ``facts`` (its gh200_checks and gh200_run records)."""
    checks, run = _checks.host_record(facts or {})
    entry = _report.host_entry("host", checks, run, phases, run_started)
    return render(entry, (facts or {}).get("gh200_gpu_health"), now)
