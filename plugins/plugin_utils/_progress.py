# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a long-running stage shows at each poll (private to the collection): pure functions."""

from __future__ import annotations

# What async_status adds to a finished job's result, which is not the module's own.
ASYNC_KEYS = ("ansible_job_id", "started", "finished", "results_file", "erased")


def duration(seconds):
    """'45s', '12m05s', '2h03m'."""
    seconds = int(max(0, seconds))
    if seconds < 60:
        return "%ds" % seconds
    if seconds < 3600:
        return "%dm%02ds" % divmod(seconds, 60)
    return "%dh%02dm" % (seconds // 3600, seconds % 3600 // 60)


def size(count):
    """'512 B', '3.4 KiB', '2.1 MiB'."""
    for unit in ("B", "KiB", "MiB"):
        if count < 1024 or unit == "MiB":
            return ("%d %s" if unit == "B" else "%.1f %s") % (count, unit)
        count /= 1024.0


def line(stage, waited, status, began):
    """One line for a stage still running: ``waited`` seconds since the wait began, ``status`` what
    stage_status returned (or {"msg": ...} when it failed), ``began`` the host's clock when the stage was
    started (a log older than that is a previous run's)."""
    head = "%s: running %s" % (stage, duration(waited))
    if status.get("failed"):
        return "%s (no progress: %s)" % (head, status.get("msg", "stage_status failed"))
    updated = status.get("log_updated")
    if updated is None or updated < began:
        lock = status.get("lock") or {}
        held = " (lock held by %s)" % lock.get("holder") if lock.get("state") == "held" and lock.get("holder") else ""
        return "%s, no output yet%s" % (head, held)
    quiet = status.get("now", updated) - updated
    return "%s, log %s%s: %s" % (head, size(status.get("log_bytes") or 0),
                                 ", quiet for %s" % duration(quiet) if quiet >= 60 else "", status.get("last_line") or "(empty line)")


def job_result(status):
    """The module's own result from a finished async_status result."""
    return dict((k, v) for k, v in status.items() if k not in ASYNC_KEYS and not (k in ("stdout", "stderr") and not v)
                and not (k in ("stdout_lines", "stderr_lines") and not v))


def backoff(check, poll, first=0.5):
    """Seconds to wait before status check ``check`` (0 is the first): none, then doubling from ``first`` up to
    ``poll``, so a stage that skips is seen at once and a long one is still polled every ``poll`` seconds."""
    return 0.0 if check <= 0 else min(float(poll), first * 2 ** (check - 1))
