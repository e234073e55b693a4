# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verification report: per-host, per-phase verdicts as JSON, JUnit XML, Markdown and HTML.

Pure functions (controller side): build() turns each host's recorded facts into the report data;
the render_* functions turn that data into the four files.
"""

from __future__ import annotations

import html
import json
from xml.etree import ElementTree

from ansible_collections.gh200.sglang.plugins.plugin_utils import _checks

VERDICTS = (_checks.PASSED, _checks.PARTIAL, _checks.FAILED, _checks.SKIPPED, _checks.UNREACHABLE)
NOT_RUN = "not run"


def _duration(start, end):
    a, b = _checks.parse_iso(start), _checks.parse_iso(end)
    return round((b - a).total_seconds(), 3) if a and b else None


def host_entry(name, checks, run, phases, run_started=None):
    """One host of the report from its gh200_checks and gh200_run facts.

    A host with no record of this run (it was never reached, or failed before the plan began), or one
    that stopped reporting before the plan finished, is `unreachable`: a verdict of its own."""
    run = run or {}
    current = bool(run.get("started")) and (run_started is None or _checks.parse_iso(run["started"]) >= _checks.parse_iso(run_started))
    if not current:
        checks, run = [], {}
    recorded = run.get("phases") or {}
    entry = {"verdict": None, "detail": "", "started": run.get("started"), "finished": run.get("finished"),
             "duration_s": _duration(run.get("started"), run.get("finished")), "phases": {}}
    for phase in phases:
        info = recorded.get(phase)
        if info is None:
            entry["phases"][phase] = {"verdict": NOT_RUN, "reason": "", "title": "", "duration_s": None}
            continue
        verdict = info.get("verdict") or _checks.phase_verdict([c for c in checks if c.get("phase") == phase])
        entry["phases"][phase] = {"verdict": verdict, "reason": info.get("reason") or "", "title": info.get("title") or "",
                                  "duration_s": info.get("duration_s")}
    if not current:
        entry.update(verdict=_checks.UNREACHABLE,
                     detail="no result from this host in this run: it was not reached, or it failed before the plan began")
    elif run.get("unreachable"):
        entry.update(verdict=_checks.UNREACHABLE, detail=run["unreachable"])
    elif any(p["verdict"] == _checks.FAILED for p in entry["phases"].values()):
        entry["verdict"] = _checks.FAILED
        entry["detail"] = "failed: " + ", ".join(p for p, i in entry["phases"].items() if i["verdict"] == _checks.FAILED)
    elif not run.get("finished"):
        last = [p for p in phases if p in recorded]
        entry.update(verdict=_checks.UNREACHABLE, detail="stopped reporting during %s (unreachable, or a task failed outside a phase)"
                     % (last[-1] if last else "the set-up"))
    elif any(p["verdict"] == _checks.SKIPPED and p["reason"] for p in entry["phases"].values()):
        # A phase skipped whole (the fleet run stopped) leaves the host unverified: never passed.
        entry.update(verdict=_checks.SKIPPED, detail=next(p["reason"] for p in entry["phases"].values() if p["reason"]))
    elif all(p["verdict"] == _checks.PASSED for p in entry["phases"].values()):
        entry["verdict"] = _checks.PASSED
    elif any(p["verdict"] == _checks.PASSED for p in entry["phases"].values()):
        # Only a host on which every phase of the plan ran and passed is passed; tags or skips leave it partial.
        entry.update(verdict=_checks.PARTIAL, detail="not verified in full: " + ", ".join(
            "%s %s" % (p, i["verdict"]) for p, i in entry["phases"].items() if i["verdict"] != _checks.PASSED))
    else:
        entry.update(verdict=_checks.SKIPPED, detail="nothing could be judged: " + ", ".join(
            "%s %s" % (p, i["verdict"]) for p, i in entry["phases"].items()))
    entry["checks"] = [dict(c) for c in checks if c.get("phase") in phases]
    entry["warnings"] = sum(c.get("status") == _checks.WARNING for c in entry["checks"])
    return entry


def gpu_line(facts):
    """The host's GPU in one line, from the facts gpu_health and gpu_facts set; empty when neither ran."""
    facts = facts or {}
    health = facts.get("gh200_gpu_health") or {}
    if health.get("summary"):
        failed = health.get("failed") or []
        return health["summary"] + ("; failed: %s" % ", ".join(failed) if failed else "")
    gpu = facts.get("gh200_gpu") or {}
    if gpu and not gpu.get("gpu_present"):
        return "no GPU (%s)" % gpu.get("reason")
    return ""


def build(hosts, facts, phases, generated, run_started=None):
    """The report data for ``hosts`` (in order), given {host: ansible_facts}."""
    data = {"generated": generated, "run_started": run_started, "phases": list(phases), "hosts": {}, "records": []}
    for name in hosts:
        checks, run = _checks.host_record(facts.get(name))
        entry = host_entry(name, checks, run, phases, run_started)
        entry["gpu"] = gpu_line(facts.get(name)) if entry["checks"] else ""
        data["hosts"][name] = entry
        for check in entry["checks"]:
            data["records"].append(dict(check, host=name))
        if not entry["checks"] and entry["verdict"] == _checks.UNREACHABLE:
            data["records"].append({"host": name, "phase": "run", "name": "host reachable", "status": _checks.UNREACHABLE,
                                    "detail": entry["detail"], "duration_s": 0.0, "time": entry["started"] or generated})
    data["summary"] = dict((v, sorted(h for h, e in data["hosts"].items() if e["verdict"] == v)) for v in VERDICTS)
    return data


def summary_lines(data):
    """One line per host: '<host>: <verdict> (phase0 passed, phase1 failed, ...)'."""
    lines = []
    for name, entry in data["hosts"].items():
        phases = ", ".join("%s %s" % (p, i["verdict"]) for p, i in entry["phases"].items() if i["verdict"] != NOT_RUN)
        warned = ", %d warning(s)" % entry["warnings"] if entry.get("warnings") else ""
        lines.append("%s: %s%s%s" % (name, entry["verdict"], " (%s%s)" % (phases, warned) if phases else "",
                                     " - %s" % entry["detail"] if entry["detail"] and entry["verdict"] != _checks.PASSED else ""))
    return lines


def render_json(data):
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def render_junit(data):
    """One <testsuite> per host and phase, one <testcase> per check; unreachable hosts are errors."""
    suites = ElementTree.Element("testsuites", name="gh200.sglang verify")
    for name, entry in data["hosts"].items():
        groups = [(p, [c for c in entry["checks"] if c["phase"] == p]) for p in data["phases"]]
        if entry["verdict"] == _checks.UNREACHABLE and not entry["checks"]:
            groups = [("run", [{"name": "host reachable", "status": _checks.UNREACHABLE, "detail": entry["detail"], "duration_s": 0.0}])]
        for phase, checks in groups:
            if not checks:
                continue
            suite = ElementTree.SubElement(suites, "testsuite", name="%s.%s" % (name, phase), tests=str(len(checks)),
                                           failures=str(sum(c["status"] == _checks.FAILED for c in checks)),
                                           errors=str(sum(c["status"] == _checks.UNREACHABLE for c in checks)),
                                           skipped=str(sum(_checks.is_skipped(c["status"]) for c in checks)),
                                           time="%.3f" % sum(c.get("duration_s") or 0.0 for c in checks))
            for check in checks:
                case = ElementTree.SubElement(suite, "testcase", classname="%s.%s" % (name, phase), name=check["name"],
                                              time="%.3f" % (check.get("duration_s") or 0.0))
                if check["status"] == _checks.FAILED:
                    ElementTree.SubElement(case, "failure", message=check.get("detail") or "failed").text = check.get("detail") or ""
                elif check["status"] == _checks.UNREACHABLE:
                    ElementTree.SubElement(case, "error", message=check.get("detail") or "unreachable")
                elif _checks.is_skipped(check["status"]):
                    ElementTree.SubElement(case, "skipped", message=check["status"].split(":", 1)[1].strip())
                elif check["status"] == _checks.WARNING:
                    # JUnit has no warning: the case passes, and says so in its output.
                    ElementTree.SubElement(case, "system-out").text = "warning: %s" % (check.get("detail") or "")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


def _md(text):
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def render_markdown(data):
    phases = data["phases"]
    out = ["# GH200 verification report", "", "Generated %s." % data["generated"], "",
           "| host | verdict | duration (s) | " + " | ".join(phases) + " |",
           "|---|---|---|" + "---|" * len(phases)]
    for name, entry in data["hosts"].items():
        out.append("| %s | **%s** | %s | %s |" % (_md(name), entry["verdict"], _md(entry["duration_s"]),
                                                  " | ".join(entry["phases"][p]["verdict"] for p in phases)))
    for name, entry in data["hosts"].items():
        out += ["", "## %s: %s" % (name, entry["verdict"]), ""]
        if entry["detail"]:
            out += [_md(entry["detail"]), ""]
        if entry.get("warnings"):
            out += ["%d warning(s): reported, not failed." % entry["warnings"], ""]
        if entry.get("gpu"):
            out += ["GPU: " + _md(entry["gpu"]), ""]
        if entry["checks"]:
            out += ["| phase | check | status | detail |", "|---|---|---|---|"]
            out += ["| %s | %s | %s | %s |" % (c["phase"], _md(c["name"]), _md(c["status"]), _md(c.get("detail")))
                    for c in entry["checks"]]
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}
td.v a{color:inherit;text-decoration:none;display:block}
.passed{background:#c8ecc8}.failed{background:#f5b5b5}.skipped{background:#eee;color:#555}
.unreachable{background:#f7d48b}.not-run{background:#fff;color:#999}
.warning{background:#fbeea8}.partial{background:#dcefc0}
details summary{cursor:pointer}
"""


def _cls(status):
    status = str(status)
    if status == NOT_RUN:
        return "not-run"
    return _checks.SKIPPED if _checks.is_skipped(status) else status


def render_html(data):
    """A self-contained page: the host x phase matrix, colour-coded, each cell a link to its checks;
    a failed check's detail is one click away (a <details> element open on failures)."""
    e = html.escape
    phases = data["phases"]
    rows = []
    for name, entry in data["hosts"].items():
        cells = []
        for p in phases:
            info = entry["phases"][p]
            title = info["reason"] or info["title"]
            cells.append('<td class="v %s" data-host="%s" data-phase="%s" title="%s"><a href="#%s">%s</a></td>' % (
                _cls(info["verdict"]), e(name), e(p), e(title), e("%s-%s" % (name, p)), e(info["verdict"])))
        rows.append('<tr><th>%s</th><td class="v %s" data-host="%s" data-phase="host">%s</td><td>%s</td>%s</tr>' % (
            e(name), _cls(entry["verdict"]), e(name), e(entry["verdict"]),
            "" if entry["duration_s"] is None else "%.1f" % entry["duration_s"], "".join(cells)))
    sections = []
    for name, entry in data["hosts"].items():
        parts = ['<h2 id="%s">%s: <span class="%s">%s</span></h2>' % (e(name), e(name), _cls(entry["verdict"]), e(entry["verdict"]))]
        if entry["detail"]:
            parts.append("<p>%s</p>" % e(entry["detail"]))
        if entry.get("warnings"):
            parts.append('<p class="warning">%d warning(s): reported, not failed.</p>' % entry["warnings"])
        if entry.get("gpu"):
            parts.append('<p class="gpu">GPU: %s</p>' % e(entry["gpu"]))
        for p in phases:
            checks = [c for c in entry["checks"] if c["phase"] == p]
            info = entry["phases"][p]
            parts.append('<h3 id="%s">%s <span class="%s">%s</span></h3>' % (
                e("%s-%s" % (name, p)), e(p + (" " + info["title"] if info["title"] else "")), _cls(info["verdict"]), e(info["verdict"])))
            if not checks:
                continue
            parts.append("<table><tr><th>check</th><th>status</th><th>detail</th><th>s</th></tr>")
            for c in checks:
                detail = e(c.get("detail") or "")
                if c["status"] == _checks.FAILED:
                    detail = "<details open><summary>why it failed</summary><pre>%s</pre></details>" % detail
                parts.append('<tr class="check %s"><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>' % (
                    _cls(c["status"]), e(c["name"]), e(c["status"]), detail, e("%.2f" % (c.get("duration_s") or 0.0))))
            parts.append("</table>")
        sections.append("\n".join(parts))
    counts = ", ".join("%d %s" % (len(data["summary"][v]), v) for v in VERDICTS if data["summary"][v])
    return """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>GH200 verification report</title><style>%s</style></head>
<body>
<h1>GH200 verification report</h1>
<p>Generated %s. Hosts: %s.</p>
<table id="matrix"><tr><th>host</th><th>verdict</th><th>duration (s)</th>%s</tr>
%s
</table>
%s
</body></html>
""" % (_CSS, e(data["generated"]), e(counts or "none"), "".join("<th>%s</th>" % e(p) for p in phases), "\n".join(rows), "\n".join(sections))


def render_limit(data):
    """The hosts that failed or were unreachable, one per line, for ``ansible-playbook --limit @failed.limit``
    (empty when every host passed)."""
    hosts = sorted(set(data["summary"][_checks.FAILED] + data["summary"][_checks.UNREACHABLE]))
    return "".join("%s\n" % host for host in hosts)


RENDERERS = (("report.json", render_json), ("junit.xml", render_junit), ("report.md", render_markdown), ("report.html", render_html),
             ("failed.limit", render_limit))
