#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: run_lock
short_description: Take or release a host's run lock, so that two playbook runs never work on one host at once
version_added: 0.1.0
description:
  - A lease file at O(path), outside the host tree (the container cannot plant it), naming the run that holds it
    (its id, its controller, the C(ansible-playbook) PID there, the user, when it was taken and until when it holds).
    Every decision is taken under a short C(flock) of a guard file beside it, and the file is written atomically.
  - Taken by C(playbooks/verify.yml) after it reaches a host and released at its end; while another run holds it,
    the run's first phase on that host fails with the check C(no other run holds this host), naming that run.
  - With O(state=present), a free lock, an expired lease, or a lease whose run is gone (the same controller, and its
    C(ansible-playbook) no longer runs) is taken; this run's own lease is renewed for O(lease) seconds; a lease held
    by another live run is waited for, polling every O(poll) seconds, for at most O(wait) seconds, then the task
    fails with one line naming that run. A file at O(path) that is no lock this collection wrote (not JSON, another
    shape, a symlink, a FIFO, larger than 4 KiB) is named and left alone, never removed.
  - With O(state=absent), this run's lease is removed; another run's is left alone.
  - The run's identity (O(run)) is filled in by the action plugin on the controller; a task gives none of it.
author:
  - gh200.sglang maintainers (@gh200-sglang)
options:
  path:
    description: The lock file; its folder must exist (C(/run/lock) is emptied at boot, so a reboot frees the lock).
    type: path
    default: /run/lock/gh200-sglang-verify.json
  state:
    description: Take (or renew) the lock, or release it.
    type: str
    choices: [present, absent]
    default: present
  lease:
    description:
      - Seconds the lease holds from when it is taken; it should outlast the longest run. A run of another
        controller that died is waited for until then (or its lock file removed by hand); one of this controller is
        seen gone at once.
    type: int
    default: 43200
  wait:
    description: Seconds to wait for another run's lease (0 refuses at once).
    type: int
    default: 0
  poll:
    description: Seconds between two looks while waiting.
    type: int
    default: 5
  run:
    description:
      - Set by the action plugin; this run's identity, C({run_id, controller, pid, user}), and C(live_runs), the run
        ids of the C(ansible-playbook) processes alive on its controller.
    type: dict
    required: true
attributes:
  check_mode:
    support: full
    description: Reads the lock and fails the same way when another run holds it; takes, renews and removes nothing.
  diff_mode:
    support: none
    description: The lock is no file of the host's configuration; its holder is returned instead.
notes:
  - A lock taken and released within one run leaves the host as it was, so neither is reported as a change.
"""

EXAMPLES = r"""
- name: Take this host's run lock, waiting up to ten minutes for another run.
  gh200.sglang.run_lock:
    wait: 600

- name: Release it at the end of the run.
  gh200.sglang.run_lock:
    state: absent
"""

RETURN = r"""
taken:
  description: Whether this run holds the lock now (in check mode, whether it would).
  returned: always
  type: bool
holder:
  description: The lock's holder as read (null when the lock was free), with C(run_id), C(controller), C(pid), C(user),
    C(taken) and C(expires) (seconds since the epoch).
  returned: always
  type: dict
busy:
  description: One line naming the run that holds the lock when this one could not take it, else empty.
  returned: always
  type: str
  sample: >-
    held by run ctl-1/4d2a:81234:90871 of alice on controller ctl-1/4d2a (ansible-playbook pid 81234),
    taken 2026-11-30T17:02:11Z, held until 2026-11-30T19:02:11Z
msg:
  description: What was done, in one line.
  returned: always
  type: str
"""

import errno
import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _files, _locks, _runlock

GUARD_WAIT = 30


def read(path):
    """(holder, problem) of the lock file at ``path`` (never through a symlink, a FIFO never hangs the read)."""
    try:
        return _runlock.parse(_files.read_bytes(path, limit=_runlock.MAX_BYTES))
    except _files.PathProblem as exc:
        return None, str(exc)


def step(module, path, me, live, clock=time.time):
    """One decision under the guard: (decision, why, holder), having written or removed the lock as decided."""
    with _locks.acquire(path + ".guard", wait=GUARD_WAIT):
        holder, problem = read(path)
        now = clock()
        if module.params["state"] == "absent":
            mine = holder is not None and holder["run_id"] == me["run_id"]
            if mine and not module.check_mode:
                dir_fd, name = _files.parent_folder(path, None)
                try:
                    os.unlink(name, dir_fd=dir_fd)
                finally:
                    os.close(dir_fd)
            return ("released" if mine else "not held"), problem or "", holder
        decision, why = _runlock.judge(holder, problem, me, now, live)
        if decision in (_runlock.TAKE, _runlock.KEEP) and not module.check_mode:
            taken = holder["taken"] if decision == _runlock.KEEP else None
            _files.atomic_write(path, _runlock.lease(me, now, module.params["lease"], taken=taken), mode=0o644)
        return decision, why, holder


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/run/lock/gh200-sglang-verify.json"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            lease=dict(type="int", default=43200),
            wait=dict(type="int", default=0),
            poll=dict(type="int", default=5),
            run=dict(type="dict", required=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path, run = p["path"], p["run"]
    me = dict((k, run.get(k)) for k in ("run_id", "controller", "pid", "user"))
    if not (isinstance(me["pid"], int) and all(isinstance(me[k], str) and me[k] for k in ("run_id", "controller", "user"))):
        module.fail_json(msg="run_lock: run must carry run_id, controller, pid and user (the action plugin sets them)")
    if not 60 <= p["lease"] <= 7 * 86400 or not 0 <= p["wait"] <= 86400 or not 1 <= p["poll"] <= 300:
        module.fail_json(msg="run_lock: lease must be 60 to 604800 s, wait 0 to 86400 s and poll 1 to 300 s")
    if not os.path.isabs(path) or "\x00" in path:
        module.fail_json(msg="run_lock: path %r must be an absolute path" % path)
    live = [str(r) for r in run.get("live_runs") or []]
    deadline = time.time() + p["wait"]
    try:
        while True:
            decision, why, holder = step(module, path, me, live)
            if decision != _runlock.BUSY or time.time() >= deadline:
                break
            time.sleep(max(0.0, min(p["poll"], deadline - time.time())))  # never past the deadline: one last look there
    except _locks.LockHeld as exc:
        module.fail_json(msg="run_lock: the guard of %s stayed held: %s" % (path, exc))
    except (OSError, _files.PathProblem) as exc:
        where = str(getattr(exc, "filename", None) or path)
        where = where if os.path.isabs(where) else os.path.join(os.path.dirname(path), where)  # named relative to its folder
        cause = getattr(exc, "strerror", None) or str(exc)
        if getattr(exc, "errno", None) == errno.ENOENT:
            where, cause = path, "its folder %s does not exist" % os.path.dirname(path)
        module.fail_json(msg="run_lock: %s: %s" % (where, cause))
    result = dict(changed=False, holder=holder, taken=decision in (_runlock.TAKE, _runlock.KEEP), busy="")
    if p["state"] == "absent":
        result.update(taken=False, msg="run lock %s: %s" % (path, decision))
    elif decision == _runlock.REFUSE:
        result.update(busy="%s holds no run lock: %s" % (path, why))
        module.fail_json(msg="run_lock: %s is no run lock this collection wrote (%s); remove it when no run is in progress"
                         % (path, why), **result)
    elif decision == _runlock.BUSY:
        result.update(busy=why)
        module.fail_json(msg="run_lock: this host is busy%s: %s" % (" after waiting %d s" % p["wait"] if p["wait"] else "", why), **result)
    else:
        result["msg"] = "run lock %s %s (%s)%s" % (path, "kept" if decision == _runlock.KEEP else "taken", why,
                                                   " (check mode: nothing written)" if module.check_mode else "")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
