# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check records and phase verdicts of the verification plan: pure functions (controller side).

A host's record lives in two facts that the ``check`` and ``phase`` action plugins keep:

- ``gh200_checks``: a list of ``{phase, name, status, detail, duration_s, time}``, where ``status``
  is ``passed``, ``failed``, ``warning`` (reported, not failed: a clock event, an aggregate ECC count) or
  ``skipped: <reason>``;
- ``gh200_run``: ``{started, finished, unreachable, phases: {<phase>: {started, ended, duration_s,
  verdict, reason}}}``.
"""

from __future__ import annotations

import datetime

PASSED = "passed"
FAILED = "failed"
WARNING = "warning"
SKIPPED = "skipped"
UNREACHABLE = "unreachable"
# A host whose phases that ran passed, but not every phase of the plan ran and passed (tags, skips).
PARTIAL = "partial"

CHECKS_FACT = "gh200_checks"
RUN_FACT = "gh200_run"


def now():
    """The current time, UTC, with its offset."""
    return datetime.datetime.now(datetime.timezone.utc)


def iso(moment):
    return moment.isoformat(timespec="seconds")


def parse_iso(text):
    return datetime.datetime.fromisoformat(text) if text else None


def host_record(facts):
    """(checks, run): copies of a host's gh200_checks and gh200_run facts, empty when not recorded yet."""
    facts = facts or {}
    return list(facts.get(CHECKS_FACT) or []), dict(facts.get(RUN_FACT) or {})


def skipped(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a skipped check needs a reason")
    return "%s: %s" % (SKIPPED, reason)


def is_skipped(status):
    return str(status).startswith(SKIPPED)


def status_of(results, skip=None):
    """The status of a check from its conditions' results (a list of bools), or its skip reason.

    No condition at all is refused: a check that tests nothing cannot fail."""
    if skip:
        return skipped(skip)
    if not results:
        raise ValueError("a check needs at least one condition")
    return PASSED if all(results) else FAILED


def record(phase, name, status, detail, moment, previous):
    """One check record. ``duration_s`` is the time since ``previous`` (the phase's start or the
    check before it in the phase): the time spent gathering this check's evidence."""
    duration = max(0.0, (moment - previous).total_seconds()) if previous else 0.0
    return {"phase": phase, "name": name, "status": status, "detail": "" if detail is None else str(detail),
            "duration_s": round(duration, 3), "time": iso(moment)}


def last_time(checks, run, phase):
    """When the last check of ``phase`` was recorded, or when the phase began."""
    times = [parse_iso(c.get("time")) for c in checks if c.get("phase") == phase and c.get("time")]
    began = parse_iso(((run.get("phases") or {}).get(phase) or {}).get("started"))
    candidates = [t for t in times + [began] if t is not None]
    return max(candidates) if candidates else None


def phase_verdict(checks):
    """failed when any check failed; passed when any passed (or only warned) and none failed; else skipped."""
    statuses = [c.get("status") for c in checks]
    if FAILED in statuses:
        return FAILED
    if PASSED in statuses or WARNING in statuses:
        return PASSED
    return SKIPPED


def given_status(status):
    """A status handed over ready-made (gh200.sglang.checks): passed, failed, warning or skipped: <reason>;
    anything else is refused with ValueError (a typo must never read as a verdict)."""
    text = str(status or "").strip()
    if text in (PASSED, FAILED, WARNING):
        return text
    if is_skipped(text) and text.partition(":")[2].strip():
        return skipped(text.partition(":")[2])
    raise ValueError("status %r is not passed, failed, warning or 'skipped: <reason>'" % (status,))


def failed_lines(checks, phase=None, prefix=None):
    """'<name>: <detail>' for every failed check, optionally of one phase and one name prefix."""
    return ["%s: %s" % (c.get("name", ""), c.get("detail", "")) for c in checks or []
            if c.get("status") == FAILED and (phase is None or c.get("phase") == phase)
            and (prefix is None or str(c.get("name", "")).startswith(prefix))]


def one_line(text):
    """``text`` with every run of whitespace, line breaks included, made one space: a connection's message (ssh
    prints its own lines, ending in CR LF) becomes the one line a report's detail is."""
    return " ".join(str(text or "").split())


def earlier_failure(run, phase):
    """The first phase other than ``phase`` whose verdict is failed, or None."""
    for name, info in (run.get("phases") or {}).items():
        if name != phase and (info or {}).get("verdict") == FAILED:
            return name
    return None


def begin_phase(checks, run, phase, title, moment, skip=None, lost=None):
    """(checks, run, skip_reason) at the start of ``phase``.

    Records of an earlier attempt at this phase are dropped. When an earlier phase failed on this host,
    or ``skip`` gives a reason, the phase is recorded as skipped with one record and not run. ``lost``: why the host
    cannot be reached now (it was lost since the run began); the run is recorded unreachable from this phase on, the
    phases it completed kept."""
    checks = [c for c in checks if c.get("phase") != phase]
    run = dict(run)
    phases = dict(run.get("phases") or {})
    if lost and not run.get("unreachable"):
        run["unreachable"] = "lost before %s: %s" % (phase, one_line(lost))
    failed = earlier_failure(run, phase)
    reason = ("the host was lost: unreachable" if run.get("unreachable") else None) or skip or (
        "%s failed on this host" % failed if failed else None)
    info = {"started": iso(moment), "title": title}
    if reason:
        info.update(ended=iso(moment), duration_s=0.0, verdict=SKIPPED, reason=reason)
        checks.append(record(phase, title, skipped(reason), "", moment, None))
    phases[phase] = info
    run["phases"] = phases
    return checks, run, reason


def end_phase(checks, run, phase, moment, error=None):
    """(checks, run, verdict, failures) at the end of ``phase``; ``error`` is a task failure that ended it early.

    A task failure that is not one of the phase's failed checks becomes a failed check of its own,
    '<title> completed', so the report names it."""
    run = dict(run)
    phases = dict(run.get("phases") or {})
    info = dict(phases.get(phase) or {"started": iso(moment)})
    checks = list(checks)
    if error:
        checks.append(record(phase, "%s completed" % info.get("title", phase), FAILED, error, moment,
                             last_time(checks, run, phase)))
    mine = [c for c in checks if c.get("phase") == phase]
    verdict = phase_verdict(mine)
    began = parse_iso(info.get("started")) or moment
    info.update(ended=iso(moment), duration_s=round((moment - began).total_seconds(), 3), verdict=verdict)
    phases[phase] = info
    run["phases"] = phases
    return checks, run, verdict, failed_lines(mine)


def failed_hosts(hosts, runs, active=None):
    """The hosts (in order) that count as failed, given {host: gh200_run}: a failed phase, unreachable at the start,
    or, given the hosts still ``active`` in the play, lost since (unreachable, or failed outside a phase)."""
    def failed(host):
        run = runs.get(host) or {}
        return (any((p or {}).get("verdict") == FAILED for p in (run.get("phases") or {}).values()) or bool(run.get("unreachable"))
                or (active is not None and host not in active))
    return [h for h in hosts if failed(h)]


def fleet_stop_reason(hosts, runs, max_fail_percentage, active=None):
    """Why the fleet run stops early, or '' while the share of failed (or unreachable) hosts is within the limit."""
    if max_fail_percentage is None or not hosts:
        return ""
    failed = failed_hosts(hosts, runs, active)
    share = 100.0 * len(failed) / len(hosts)
    if share > float(max_fail_percentage):
        return "fleet run stopped: %d of %d hosts failed or unreachable (%.0f%%), over gh200_max_fail_percentage=%g" % (
            len(failed), len(hosts), share, float(max_fail_percentage))
    return ""
