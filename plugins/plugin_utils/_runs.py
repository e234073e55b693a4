# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who this playbook run is, on the controller: the identity a host's run lock records, and which runs still live.

A run is its ansible-playbook process: the controller (host name and boot id, so a reboot never revives a PID), the
PID and that process's start time (so a PID used again is another run). Read from /proc (``proc`` for the tests).
"""

from __future__ import annotations

import getpass
import os
import socket


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(65536)
    except OSError:
        return b""


def controller(proc="/proc"):
    """'<host name>/<first 8 characters of the boot id>'."""
    boot = _read(os.path.join(proc, "sys/kernel/random/boot_id")).decode("ascii", "replace").strip()
    return "%s/%s" % (socket.gethostname(), boot[:8] or "?")


def start_time(pid, proc="/proc"):
    """The process's start time in clock ticks after boot (field 22 of /proc/<pid>/stat), '' when it is gone."""
    stat = _read(os.path.join(proc, str(pid), "stat")).decode("ascii", "replace")
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def is_playbook(pid, proc="/proc"):
    """Whether the process runs ansible-playbook (its command line names it, as the script or the interpreter's argument)."""
    argv = _read(os.path.join(proc, str(pid), "cmdline")).split(b"\0")
    return any(os.path.basename(arg) == b"ansible-playbook" for arg in argv[:3])


def run_id(host, pid, proc="/proc"):
    return "%s:%d:%s" % (host, pid, start_time(pid, proc))


def this_run(proc="/proc"):
    """{run_id, controller, pid, user} of the ansible-playbook this action plugin runs under (its worker's parent)."""
    pid = os.getppid()
    if not is_playbook(pid, proc):
        pid = os.getpid()
    host = controller(proc)
    return {"run_id": run_id(host, pid, proc), "controller": host, "pid": pid, "user": getpass.getuser()}


def live_runs(host, proc="/proc"):
    """The run ids of every ansible-playbook process alive on this controller."""
    out = []
    for name in os.listdir(proc):
        if name.isdigit() and is_playbook(int(name), proc):
            out.append(run_id(host, int(name), proc))
    return sorted(out)
