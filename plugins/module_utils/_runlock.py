# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host's run lock: one verify run at a time on a host, as a lease file that names its run.

A playbook run outlives every module it calls, so no flock can be held for it: the lock is a small JSON file (the
run's id (its controller, the ansible-playbook PID there and that process's start time), the controller, the PID, the
user, when it was taken and until when it holds),
written atomically while a short flock (a guard file beside it) serializes every decision on the host. A lease held
by another run is honoured until it expires, unless that run's controller is this one and its ansible-playbook is
gone (a killed controller's lock is taken over at once). Pure functions here; the module does the I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

MAX_BYTES = 4096
FIELDS = ("run_id", "controller", "pid", "user", "taken", "expires")
TAKE, KEEP, BUSY, REFUSE = "take", "keep", "busy", "refuse"


def utc(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def parse(raw):
    """(holder dict, problem): the holder a lock file names, or why it is no lock this collection wrote."""
    if raw is None:
        return None, ""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return None, "not JSON (%s)" % exc
    if not isinstance(data, dict) or any(k not in data for k in FIELDS):
        return None, "not a run lock: it needs %s" % ", ".join(FIELDS)
    if not isinstance(data["pid"], int) or not all(isinstance(data[k], (int, float)) for k in ("taken", "expires")):
        return None, "not a run lock: pid, taken and expires must be numbers"
    if not all(isinstance(data[k], str) and 0 < len(data[k]) <= 200 for k in ("run_id", "controller", "user")):
        return None, "not a run lock: run_id, controller and user must be short strings"
    return data, ""


def describe(holder):
    """One line naming the run that holds a lock."""
    return "run %s of %s on controller %s (ansible-playbook pid %d), taken %s, held until %s" % (
        holder["run_id"], holder["user"], holder["controller"], holder["pid"], utc(holder["taken"]), utc(holder["expires"]))


def judge(holder, problem, me, now, live_runs):
    """(decision, why) for run ``me`` ({run_id, controller, pid, user}) that wants the lock, given the run ids of the
    ansible-playbook processes alive on this controller (``live_runs``):

    TAKE (free, expired, or its controller's run is gone: this controller, and that run's process no longer lives),
    KEEP (this run holds it: renew), BUSY (another run holds it: wait or refuse), REFUSE (the file is no lock this
    collection wrote: named, never removed)."""
    if problem:
        return REFUSE, problem
    if holder is None:
        return TAKE, "free"
    if holder["run_id"] == me["run_id"]:
        return KEEP, "held by this run"
    if holder["expires"] <= now:
        return TAKE, "the lease of %s expired" % describe(holder)
    if holder["controller"] == me["controller"] and holder["run_id"] not in live_runs:
        return TAKE, "%s is gone (its ansible-playbook no longer runs on this controller)" % describe(holder)
    return BUSY, "held by %s" % describe(holder)


def lease(me, now, seconds, taken=None):
    """The lock file's content for run ``me``, held for ``seconds`` from ``now``."""
    data = dict((k, me[k]) for k in ("run_id", "controller", "pid", "user"))
    data.update(taken=int(taken if taken is not None else now), expires=int(now + seconds))
    return (json.dumps(data, sort_keys=True) + "\n").encode("utf-8")
