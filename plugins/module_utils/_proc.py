# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""External commands with a time limit (private).

``AnsibleModule.run_command`` waits for ever, and a GPU stuck in the driver makes ``nvidia-smi`` block in the
kernel. :func:`run` starts the command in a session of its own, waits at most ``timeout`` seconds, then kills
the whole group and gives up on it after a short grace, so the task answers within ``timeout`` + a few seconds
even when the process cannot be reaped (uninterruptible sleep).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import os
import signal
import subprocess

# How long to wait for a killed process's pipes before leaving it behind.
GRACE_S = 3.0


class Timeout(Exception):
    """The command did not finish in time; str() is the one line for the check: '<tool> did not answer in N s'."""

    def __init__(self, argv, timeout):
        self.tool = os.path.basename(str(argv[0])) if argv else "command"
        self.timeout = timeout
        Exception.__init__(self, "%s did not answer in %s s" % (self.tool, _seconds(timeout)))


def _seconds(value):
    return ("%g" % value) if isinstance(value, float) else str(value)


def check_timeout(name, value):
    """A time limit option: a positive, finite number of seconds, else ValueError naming the option."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError("%s must be a number of seconds, got %r" % (name, value))
    if math.isnan(number) or math.isinf(number) or number <= 0:
        raise ValueError("%s must be more than 0 seconds and finite, got %r" % (name, value))
    return number


def run(argv, timeout, env=None):
    """(rc, stdout, stderr) of ``argv`` (a list, never a shell string), as text; raises :class:`Timeout`.

    The command runs with LC_ALL=C (tools' messages are parsed), stdin closed, in a new session."""
    full_env = dict(os.environ if env is None else env)
    full_env.update(LC_ALL="C", LANG="C")
    proc = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=full_env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            proc.communicate(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            # Stuck in the kernel: leave it; its pipes are closed so nothing here blocks on it.
            for stream in (proc.stdout, proc.stderr):
                try:
                    stream.close()
                except OSError:
                    pass
        raise Timeout(argv, timeout)
    return proc.returncode, _text(out), _text(err)


def _text(data):
    return (data or b"").decode("utf-8", "replace")
