# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded waits inside one module call.

A wait written as a task's ``until``/``retries`` costs a whole module call per look (the controller's task, the
target's interpreter, the Docker SDK imported again). Here a module looks, in its own process, until the answer is in
or the time is up: at once, then after a short pause that doubles up to a cap, the last look at the deadline.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

# The longest wait a module accepts (seconds): a day, so that every wait is bounded and no sane timeout is refused.
MAX_WAIT = 86400.0


def check_wait(name, value):
    """The wait ``value`` (seconds) as a float; ValueError naming ``name`` when it is negative, not a number or longer
    than MAX_WAIT."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError("%s must be a number of seconds, not %r" % (name, value))
    if not 0 <= seconds <= MAX_WAIT:
        raise ValueError("%s must be 0 to %d seconds, not %s" % (name, MAX_WAIT, value))
    return seconds


def until(look, done, timeout, first=0.25, cap=2.0, clock=time.monotonic, sleep=time.sleep):
    """Call ``look()`` until ``done(value)`` is true or ``timeout`` seconds have passed since the first look.

    Returns ``(value, waited, ended)``: the last look's value, the seconds from the first look to the last, and why it
    ended: ``done`` (the answer is in) or ``timeout``. A timeout of 0 looks once. ``done`` may also return a string,
    which ends the wait early with that string as the reason (a container that exited will not log its ready line).
    """
    start = clock()
    deadline = start + max(0.0, float(timeout))
    pause = float(first)
    while True:
        value = look()
        now = clock()
        verdict = done(value)
        if verdict:
            return value, round(now - start, 3), verdict if isinstance(verdict, str) else "done"
        if now >= deadline:
            return value, round(now - start, 3), "timeout"
        sleep(max(0.0, min(pause, deadline - now)))
        pause = min(pause * 2, float(cap))
