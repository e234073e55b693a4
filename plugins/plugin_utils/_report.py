# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verification report: per-host, per-phase verdicts as JSON, JUnit XML, Markdown and HTML.

Pure functions (controller side): build() turns each host's recorded facts into the report data;
the render_* functions turn that data into the four files.
"""

from __future__ import annotations

import datetime
import html
import json
import os
from xml.etree import ElementTree

from ansible_collections.gh200.sglang.plugins.module_utils import _files
from ansible_collections.gh200.sglang.plugins.plugin_utils import _checks, _fleet

# report.json's format: 3 holds each host's checks grouped by phase, each with at_s (seconds from the host's start)
# for its time; 2 held them in one list, each with its phase and its ISO time (still read by a merge).
FORMAT = 3
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
    """The report data for ``hosts`` (in order), given {host: ansible_facts}: each check once, under its host, and
    the fleet view (each check over the hosts, the facts that differ, what to do)."""
    data = {"format": FORMAT, "generated": generated, "run_started": run_started, "phases": list(phases)}
    hosts_data = {}
    for name in hosts:
        checks, run = _checks.host_record(facts.get(name))
        entry = host_entry(name, checks, run, phases, run_started)
        entry["gpu"] = gpu_line(facts.get(name)) if entry["checks"] else ""
        entry["facts"] = _fleet.host_facts(facts.get(name)) if entry["checks"] else {}
        hosts_data[name] = entry
    return _with_hosts(data, hosts_data)


def _with_hosts(data, hosts):
    """``data`` with its hosts, the hosts by verdict and the fleet view made from them."""
    data["summary"] = dict((v, sorted(h for h, e in hosts.items() if e["verdict"] == v)) for v in VERDICTS)
    data["fleet"] = _fleet.summary(hosts)
    data["hosts"] = hosts
    return data


MERGE_MAX_BYTES = 256 * 1024 * 1024


def for_merge(raw, source):
    """A report.json's data, checked before a merge trusts it; ValueError naming ``source`` and the cause."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError("%s: not JSON (%s)" % (source, exc))
    hosts = data.get("hosts") if isinstance(data, dict) else None
    if not isinstance(hosts, dict) or not isinstance(data.get("phases"), list):
        raise ValueError("%s: not a gh200.sglang report (no hosts and phases)" % source)
    for name, entry in hosts.items():
        if not (isinstance(entry, dict) and entry.get("verdict") in VERDICTS and isinstance(entry.get("phases"), dict)
                and isinstance(entry.get("checks"), (list, dict))):
            raise ValueError("%s: host %s has no verdict, phases and checks" % (source, name))
        try:
            _checks.parse_iso(entry.get("started"))
        except (TypeError, ValueError):
            raise ValueError("%s: host %s has a started that is no ISO time: %r" % (source, name, entry.get("started")))
        grouped = entry["checks"].values() if isinstance(entry["checks"], dict) else [entry["checks"]]
        if not all(isinstance(group, list) and all(isinstance(c, dict) and isinstance(c.get("at_s", 0), (int, float))
                                                   for c in group) for group in grouped):
            raise ValueError("%s: host %s has checks that are not records" % (source, name))
    data = loaded(data)
    try:
        _checks.parse_iso(data.get("generated"))
    except (TypeError, ValueError):
        raise ValueError("%s: its generated time is no ISO time: %r" % (source, data.get("generated")))
    return data


def _moment(entry, report):
    return _checks.parse_iso(entry.get("started") or report.get("generated")) or _checks.parse_iso("1970-01-01T00:00:00+00:00")


def merge(reports, generated):
    """One fleet report from several (``[(source, report data)]``: job slices, ``--limit`` reruns): each host's newest
    verdict wins (its run's start, or for a host never reached the report's time), and its older ones are kept as its
    ``history``, newest first; the phases in the order they first appear; the summary and the fleet view made again."""
    phases, entries = [], {}
    for source, report in reports:
        for phase in report.get("phases") or []:
            if phase not in phases:
                phases.append(phase)
        for name, entry in (report.get("hosts") or {}).items():
            entries.setdefault(name, []).append((_moment(entry, report), source, report.get("generated"), entry))
    hosts = {}
    for name, found in entries.items():
        found.sort(key=lambda item: item[0], reverse=True)
        newest = dict(found[0][3], source=found[0][1])
        newest["phases"] = dict(newest.get("phases") or {})
        newest["history"] = [{"source": source, "generated": gen, "started": e.get("started"), "verdict": e.get("verdict"),
                              "detail": e.get("detail") or ""} for dummy, source, gen, e in found[1:]]
        for phase in phases:
            newest["phases"].setdefault(phase, {"verdict": NOT_RUN, "reason": "", "title": "", "duration_s": None})
        hosts[name] = newest
    data = {"format": FORMAT, "generated": generated, "run_started": None, "phases": phases,
            "merged_from": [source for source, dummy in reports]}
    return _with_hosts(data, dict(sorted(hosts.items())))


def summary_lines(data):
    """One line per host: '<host>: <verdict> (phase0 passed, phase1 failed, ...)'."""
    lines = []
    for name, entry in data["hosts"].items():
        phases = ", ".join("%s %s" % (p, i["verdict"]) for p, i in entry["phases"].items() if i["verdict"] != NOT_RUN)
        warned = ", %d warning(s)" % entry["warnings"] if entry.get("warnings") else ""
        lines.append("%s: %s%s%s" % (name, entry["verdict"], " (%s%s)" % (phases, warned) if phases else "",
                                     " - %s" % entry["detail"] if entry["detail"] and entry["verdict"] != _checks.PASSED else ""))
    return lines


def _seconds(delta):
    seconds = round(delta.total_seconds(), 3)
    return int(seconds) if seconds == int(seconds) else seconds


def stored(entry):
    """A host's entry as report.json holds it: its checks grouped by phase, each without its phase, and its time as
    ``at_s``, the seconds from the host's start (a check without a time, or a host without a start, keeps ``time``)."""
    started = _checks.parse_iso(entry.get("started"))
    grouped = {}
    for check in entry.get("checks") or []:
        out = dict((k, v) for k, v in check.items() if k != "phase")
        moment = _checks.parse_iso(check.get("time"))
        if moment and started:
            del out["time"]
            out["at_s"] = _seconds(moment - started)
        grouped.setdefault(check.get("phase"), []).append(out)
    return dict(entry, checks=grouped)


def loaded(data):
    """report.json's data (either format) as build() makes it: each host's checks in one list, each with its phase
    and its ISO time. Readers of report.json (a merge, the tests) call this rather than walk the grouped form."""
    hosts = {}
    for name, entry in (data.get("hosts") or {}).items():
        grouped = entry.get("checks")
        if isinstance(grouped, dict):
            started = _checks.parse_iso(entry.get("started"))
            checks = []
            for phase, group in grouped.items():
                for check in group:
                    check = dict(check, phase=phase)
                    if "at_s" in check and started:
                        check["time"] = _checks.iso(started + datetime.timedelta(seconds=check.pop("at_s")))
                    checks.append(check)
            entry = dict(entry, checks=checks)
        hosts[name] = entry
    return dict(data, hosts=hosts)


def render_json(data):
    """One line per host (and per fleet section): readable with jq or a pager, compact at fleet size. Each host's
    checks are grouped by phase, each with its time as seconds from the host's start (stored(); loaded() reverses it)."""
    def members(section):
        return ",\n".join("%s:%s" % (json.dumps(k), json.dumps(v, separators=(",", ":"))) for k, v in section.items())

    head = dict((k, v) for k, v in data.items() if k not in ("fleet", "hosts"))
    lines = ["{" + json.dumps(head, separators=(",", ":"))[1:-1] + ","]
    lines.append('"fleet":{' + members(data["fleet"]) + "},")
    lines.append('"hosts":{' + members(dict((name, stored(entry)) for name, entry in data["hosts"].items())) + "}}")
    return "\n".join(lines) + "\n"


def render_junit(data):
    """One <testsuite> per host and phase, one <testcase> per check; unreachable hosts are errors."""
    suites = ElementTree.Element("testsuites", name="gh200.sglang verify")
    for name, entry in data["hosts"].items():
        checks = _fleet.judged(entry)
        groups = [(p, [c for c in checks if c["phase"] == p]) for p in data["phases"] + ["run"]]
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


# Up to this many hosts, the page also shows each passed check's evidence (collapsed); past it, report.json has it.
PASSED_DETAIL_HOSTS = 16
_SEVERITY = (_checks.UNREACHABLE, _checks.FAILED, _checks.SKIPPED, _checks.PARTIAL, _checks.PASSED)


def hosts_in_order(data):
    """The report's hosts, failures first (unreachable, failed, skipped, partial, passed), the run's order within each."""
    return sorted(data["hosts"].items(), key=lambda item: _SEVERITY.index(item[1]["verdict"]) if item[1]["verdict"] in _SEVERITY else 0)


def shown(entry, phase):
    """(checks shown one by one, {skip reason: [names]}, the passed checks) of a host's phase: what did not pass is
    shown whole, skipped checks by name under their reason, passed checks counted (or, on a small fleet's page, one
    click away)."""
    checks = [c for c in entry["checks"] if c["phase"] == phase]
    full = [c for c in checks if c["status"] != _checks.PASSED and not _checks.is_skipped(c["status"])]
    skipped = {}
    for c in checks:
        if _checks.is_skipped(c["status"]):
            skipped.setdefault(c["status"], []).append(c["name"])
    return full, skipped, [c for c in checks if c["status"] == _checks.PASSED]


def _counts(data):
    """'2 passed, 1 failed': the hosts by verdict, in one phrase."""
    return ", ".join("%d %s" % (len(data["summary"][v]), v) for v in VERDICTS if data["summary"][v]) or "none"


def _few(hosts, limit=8):
    return ", ".join(hosts[:limit]) + (" and %d more" % (len(hosts) - limit) if len(hosts) > limit else "")


def render_markdown(data):
    phases, fleet, ordered = data["phases"], data["fleet"], hosts_in_order(data)
    out = ["# GH200 verification report", "", "Generated %s. %d host(s): %s." % (data["generated"], len(data["hosts"]), _counts(data)), ""]
    bad = _fleet.failing(fleet)
    if fleet["actions"]:
        out += ["## What to do", "", "| action | hosts | checks |", "|---|---|---|"]
        out += ["| %s | %d: %s | %s |" % (_md(a["action"]), len(a["hosts"]), _md(_few(a["hosts"])), _md("; ".join(a["checks"])))
                for a in fleet["actions"]]
        out.append("")
    if bad:
        out += ["## Checks that failed or warned", "", "| phase | check | failed | warned | passed | hosts that failed |", "|---|---|---|---|---|---|"]
        out += ["| %s | %s | %d | %d | %d | %s |" % (r["phase"], _md(r["name"]), r["failed"], r["warning"], r["passed"], _md(_few(r["failed_hosts"])))
                for r in bad]
        out.append("")
    if fleet["drift"]:
        out += ["## Facts that differ between hosts", "", "| fact | values |", "|---|---|"]
        for d in fleet["drift"]:
            values = "; ".join("%s (%d: %s)" % (v["value"], len(v["hosts"]), _few(v["hosts"], 4)) for v in d["values"])
            out.append("| %s | %s |" % (_md(d["fact"]), _md(values)))
        out.append("")
    out += ["## Hosts", "", "| host | verdict | duration (s) | " + " | ".join(phases) + " |", "|---|---|---|" + "---|" * len(phases)]
    for name, entry in ordered:
        out.append("| %s | **%s** | %s | %s |" % (_md(name), entry["verdict"], _md(entry["duration_s"]),
                                                  " | ".join(entry["phases"][p]["verdict"] for p in phases)))
    for name, entry in ordered:
        out += ["", "### %s: %s" % (name, entry["verdict"]), ""]
        if entry["detail"]:
            out += [_md(entry["detail"]), ""]
        if entry.get("warnings"):
            out += ["%d warning(s): reported, not failed." % entry["warnings"], ""]
        if entry.get("gpu"):
            out += ["GPU: " + _md(entry["gpu"]), ""]
        rows, passed = [], 0
        for p in phases:
            full, skipped, ok = shown(entry, p)
            rows += ["| %s | %s | %s | %s |" % (c["phase"], _md(c["name"]), _md(c["status"]), _md(c.get("detail"))) for c in full]
            rows += ["| %s | %s | %s | |" % (p, _md(", ".join(names)), _md(status)) for status, names in skipped.items()]
            passed += len(ok)
        if rows:
            out += ["| phase | check | status | detail |", "|---|---|---|---|"] + rows + [""]
        if passed:
            out.append("%d check(s) passed (each with its evidence in report.json)." % passed)
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
details.host{margin:.3em 0}details.host>summary{font-size:1.1em}
p.ok{color:#555}
"""


def _cls(status):
    status = str(status)
    if status == NOT_RUN:
        return "not-run"
    return _checks.SKIPPED if _checks.is_skipped(status) else status


def _hosts_html(hosts, limit=12):
    """Host names linked to their sections; past ``limit``, the rest one click away."""
    e = html.escape
    links = ['<a href="#%s">%s</a>' % (e(h), e(h)) for h in hosts]
    if len(links) <= limit:
        return ", ".join(links)
    return "%s <details><summary>and %d more</summary>%s</details>" % (", ".join(links[:limit]), len(links) - limit, ", ".join(links[limit:]))


def _fleet_html(data):
    """The fleet summary: hosts by verdict, what to do, the checks that failed or warned, the facts that differ."""
    e, fleet = html.escape, data["fleet"]
    parts = ['<table id="verdicts"><tr><th>verdict</th><th>hosts</th></tr>']
    for v in VERDICTS:
        hosts = data["summary"][v]
        if hosts:
            parts.append('<tr><td class="%s">%s: %d</td><td>%s</td></tr>' % (v, e(v), len(hosts), _hosts_html(hosts)))
    parts.append("</table>")
    if fleet["actions"]:
        parts.append('<h2>What to do</h2><table id="actions"><tr><th>action</th><th>hosts</th><th>checks</th></tr>')
        parts += ['<tr><td>%s</td><td>%d: %s</td><td>%s</td></tr>' % (e(a["action"]), len(a["hosts"]), _hosts_html(a["hosts"]),
                                                                      e("; ".join(a["checks"]))) for a in fleet["actions"]]
        parts.append("</table>")
    bad = _fleet.failing(fleet)
    if bad:
        parts.append('<h2>Checks that failed or warned</h2><table id="failed-checks"><tr><th>phase</th><th>check</th>'
                     '<th>failed</th><th>warned</th><th>passed</th><th>skipped</th><th>hosts that failed</th></tr>')
        parts += ['<tr class="check %s"><td>%s</td><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%s</td></tr>' % (
            _checks.FAILED if r["failed"] else _checks.WARNING, e(r["phase"]), e(r["name"]), r["failed"], r["warning"], r["passed"],
            r["skipped"], _hosts_html(r["failed_hosts"])) for r in bad]
        parts.append("</table>")
    if fleet["drift"]:
        parts.append('<h2>Facts that differ between hosts</h2><table id="drift"><tr><th>fact</th><th>value</th><th>hosts</th></tr>')
        for d in fleet["drift"]:
            for n, v in enumerate(d["values"]):
                parts.append("<tr>%s<td>%s</td><td>%d: %s</td></tr>" % (
                    '<th rowspan="%d">%s</th>' % (len(d["values"]), e(d["fact"])) if n == 0 else "", e(v["value"]), len(v["hosts"]),
                    _hosts_html(v["hosts"])))
        parts.append("</table>")
    return "\n".join(parts)


def _host_html(name, entry, phases, with_passed):
    """A host's section, collapsed: each check that did not pass in full, the passed ones counted (and, with
    ``with_passed``, one click away with their evidence)."""
    e = html.escape
    parts = ['<details class="host" id="%s"><summary>%s: <span class="%s">%s</span>%s</summary>' % (
        e(name), e(name), _cls(entry["verdict"]), e(entry["verdict"]), " - %s" % e(entry["detail"]) if entry["detail"] else "")]
    if entry.get("warnings"):
        parts.append('<p class="warning">%d warning(s): reported, not failed.</p>' % entry["warnings"])
    if entry.get("gpu"):
        parts.append('<p class="gpu">GPU: %s</p>' % e(entry["gpu"]))
    for p in phases:
        info = entry["phases"][p]
        full, skipped, passed = shown(entry, p)
        parts.append('<h3 id="%s">%s <span class="%s">%s</span></h3>' % (
            e("%s-%s" % (name, p)), e(p + (" " + info["title"] if info["title"] else "")), _cls(info["verdict"]), e(info["verdict"])))
        if full or skipped:
            parts.append("<table><tr><th>check</th><th>status</th><th>detail</th><th>s</th></tr>")
            for c in full:
                detail = e(c.get("detail") or "")
                if c["status"] == _checks.FAILED:
                    detail = "<pre>%s</pre>" % detail
                parts.append('<tr class="check %s"><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>' % (
                    _cls(c["status"]), e(c["name"]), e(c["status"]), detail, e("%.2f" % (c.get("duration_s") or 0.0))))
            for status, names in skipped.items():
                parts.append('<tr class="check skipped"><td>%s</td><td>%s</td><td></td><td></td></tr>' % (e(", ".join(names)), e(status)))
            parts.append("</table>")
        if passed and with_passed:
            parts.append('<details><summary>%d check(s) passed</summary><table>%s</table></details>' % (len(passed), "".join(
                '<tr class="check passed"><td>%s</td><td>%s</td><td>%s</td></tr>' % (e(c["name"]), e(c.get("detail") or ""),
                                                                                     e("%.2f" % (c.get("duration_s") or 0.0)))
                for c in passed)))
        elif passed:
            parts.append('<p class="ok">%d check(s) passed (each with its evidence in report.json).</p>' % len(passed))
    parts.append("</details>")
    return "\n".join(parts)


def render_html(data):
    """A self-contained page for one host or a fleet: the fleet summary first (hosts by verdict, what to do, each check
    that failed with its number of hosts, the facts that differ), then the host x phase matrix, failures first, each
    cell a link to its host's section, then each host's section, collapsed. Passed checks are counted; their evidence is
    one click away on a fleet of at most PASSED_DETAIL_HOSTS hosts, and in report.json always."""
    e = html.escape
    phases = data["phases"]
    rows, sections = [], []
    for name, entry in hosts_in_order(data):
        cells = []
        for p in phases:
            info = entry["phases"][p]
            title = info["reason"] or info["title"]
            cells.append('<td class="v %s" data-host="%s" data-phase="%s" title="%s"><a href="#%s">%s</a></td>' % (
                _cls(info["verdict"]), e(name), e(p), e(title), e("%s-%s" % (name, p)), e(info["verdict"])))
        rows.append('<tr><th><a href="#%s">%s</a></th><td class="v %s" data-host="%s" data-phase="host">%s</td><td>%s</td>%s</tr>' % (
            e(name), e(name), _cls(entry["verdict"]), e(name), e(entry["verdict"]),
            "" if entry["duration_s"] is None else "%.1f" % entry["duration_s"], "".join(cells)))
        sections.append(_host_html(name, entry, phases, len(data["hosts"]) <= PASSED_DETAIL_HOSTS))
    return """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>GH200 verification report</title><style>%s</style></head>
<body>
<h1>GH200 verification report</h1>
<p>Generated %s. %d host(s): %s.</p>
%s
<h2>Hosts</h2>
<table id="matrix"><tr><th>host</th><th>verdict</th><th>duration (s)</th>%s</tr>
%s
</table>
%s
</body></html>
""" % (_CSS, e(data["generated"]), len(data["hosts"]), e(_counts(data)), _fleet_html(data),
       "".join("<th>%s</th>" % e(p) for p in phases), "\n".join(rows), "\n".join(sections))


def render_limit(data):
    """The hosts that failed or were unreachable, one per line, for ``ansible-playbook --limit @failed.limit``
    (empty when every host passed)."""
    hosts = sorted(set(data["summary"][_checks.FAILED] + data["summary"][_checks.UNREACHABLE]))
    return "".join("%s\n" % host for host in hosts)


def new_report_dir(dest, moment):
    """<dest>/<UTC timestamp>, made here and now; a second report in the same second gets a suffix."""
    os.makedirs(dest, mode=0o755, exist_ok=True)
    base = os.path.join(dest, moment.strftime("%Y%m%dT%H%M%SZ"))
    path, n = base, 1
    while True:
        try:
            os.mkdir(path, 0o755)
            return path
        except FileExistsError:
            n += 1
            path = "%s-%d" % (base, n)


def write(dest, data, moment):
    """Every file of the report in a new folder under ``dest``, each written atomically; the folder's path."""
    path = os.path.realpath(new_report_dir(dest, moment))
    for name, render in RENDERERS:
        _files.atomic_write(os.path.join(path, name), render(data).encode("utf-8"), mode=0o644)
    return path


def outcome(data, path, fail_on_failed):
    """The action's result once the report is written in ``path``: one line per host, and a failure naming the hosts
    that failed or were unreachable when ``fail_on_failed``."""
    summary = summary_lines(data)
    page = os.path.join(path, "report.html")
    out = dict(changed=True, path=path, files=[os.path.join(path, n) for n, dummy in RENDERERS], summary=summary,
               hosts=data["summary"], _ansible_verbose_always=True, msg=summary + ["report: %s" % page])
    bad = data["summary"][_checks.FAILED] + data["summary"][_checks.UNREACHABLE]
    if bad and fail_on_failed:
        out.update(failed=True, msg="verification did not pass on %s; report: %s\n%s" % (", ".join(bad), page, "\n".join(summary)))
    return out


RENDERERS = (("report.json", render_json), ("junit.xml", render_junit), ("report.md", render_markdown), ("report.html", render_html),
             ("failed.limit", render_limit))
