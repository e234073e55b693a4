#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: container_probe
short_description: Read-only probe of a running container (a command as a user, and its logs)
version_added: 0.1.0
description:
  - Runs one command, given as an argument list and never as a shell string, in a running container
    as a given user. Returns its exit code and output, and optionally the last lines of the
    container's log.
  - Meant for read-only checks such as C(test -w /profiles/flashinfer) run as devuser. It never
    reports a change. Do not use it to change anything.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.docker
  - gh200.sglang.docker.container
options:
  argv:
    description: Command and arguments to run. When unset, only the status and the logs are returned.
    type: list
    elements: str
  user:
    description: User to run O(argv) as.
    type: str
    default: devuser
  workdir:
    description: Working directory for O(argv).
    type: str
  timeout:
    description:
      - Seconds O(argv) may run (under the container's C(timeout), TERM then KILL 5 s later). One that does not end
        in time fails the task with C(<program> did not answer in N s).
    type: float
    default: 600
  logs_tail:
    description: Number of lines of the container log to return; V(0) returns none.
    type: int
    default: 0
  wait_regex:
    description:
      - Python regular expression of a line to wait for in the last O(logs_tail) lines of the container log (which
        must then be above 0), such as the entrypoint's ready line. The module looks at once, then again after a
        pause that doubles from 0.25 s to 2 s, until a line matches, the container stops running, or
        O(wait_timeout) has passed; one module call, not one per look. Not finding the line is data (RV(wait)),
        not a failure. O(argv) runs after the wait.
    type: str
  wait_timeout:
    description: Seconds O(wait_regex) may be waited for, 0 to 86400; V(0) looks once.
    type: float
    default: 0
attributes:
  check_mode:
    support: full
    description: The probe only reads, so it runs in check mode too.
  diff_mode:
    support: none
    description: Nothing changes.
"""

EXAMPLES = r"""
- name: Check that devuser can write the FlashInfer cache directory.
  gh200.sglang.container_probe:
    name: sglang-dev
    argv: [test, -w, /profiles/flashinfer]
  register: writable
  failed_when: false

- name: Wait up to 60 s for the entrypoint's ready line.
  gh200.sglang.container_probe:
    name: sglang-dev
    logs_tail: 200
    wait_regex: 'init-run: ready'
    wait_timeout: 60
  register: ready

- name: Read the last 100 lines of the container log.
  gh200.sglang.container_probe:
    name: sglang-dev
    logs_tail: 100
  register: probe
"""

RETURN = r"""
status:
  description: Status of the container.
  returned: always
  type: str
  sample: running
exit_code:
  description: Exit code of O(argv); null when no command was run. (Not C(rc), so a non-zero code is data, not a task failure.)
  returned: always
  type: int
  sample: 0
stdout:
  description: Standard output of O(argv).
  returned: always
  type: str
  sample: ""
stderr:
  description: Standard error of O(argv).
  returned: always
  type: str
  sample: ""
logs:
  description: The last O(logs_tail) lines of the container log.
  returned: always
  type: list
  elements: str
  sample: ["init-run: ready"]
wait:
  description: How the wait for O(wait_regex) ended; empty when none was asked.
  returned: always
  type: dict
  contains:
    ended:
      description: V(done) (a line matched), V(timeout), or why it stopped early (the container is not running).
      type: str
      sample: done
    waited:
      description: Seconds from the first look to the last.
      type: float
      sample: 3.75
    matched:
      description: The last line of RV(logs) that matches O(wait_regex), or an empty string.
      type: str
      sample: "init-run: ready"
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _docker, _proc, _wait


def wait_for_line(container, pattern, tail, timeout):
    """Look at the container's log until a line matches ``pattern`` (compiled), the container stops running, or
    ``timeout`` s pass; (the last lines read, the wait's account)."""
    def look():
        container.reload()
        return container.status, _docker.log_lines(container, tail)

    def done(state):
        status, lines = state
        if any(pattern.search(line) for line in lines):
            return True
        return "" if status in ("created", "running", "restarting") else "the container is %s" % status

    (dummy, lines), waited, ended = _wait.until(look, done, timeout)
    matched = [line for line in lines if pattern.search(line)]
    return lines, {"ended": ended, "waited": waited, "matched": matched[-1] if matched else ""}


def main():
    argument_spec = dict(
        argv=dict(type="list", elements="str"),
        user=dict(type="str", default="devuser"),
        workdir=dict(type="str"),
        logs_tail=dict(type="int", default=0),
        timeout=dict(type="float", default=600),
        wait_regex=dict(type="str"),
        wait_timeout=dict(type="float", default=0),
    )
    argument_spec.update(_docker.DOCKER_ARGS, **_docker.CONTAINER_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    pattern = None
    try:
        _proc.check_timeout("timeout", p["timeout"])
        _wait.check_wait("wait_timeout", p["wait_timeout"])
        if p["wait_regex"] is not None:
            if p["logs_tail"] <= 0:
                raise ValueError("wait_regex needs logs_tail above 0 (the lines it is looked for in)")
            pattern = re.compile(p["wait_regex"])
    except re.error as exc:
        module.fail_json(msg="container_probe: wait_regex %r is not a valid regular expression: %s" % (p["wait_regex"], exc))
    except ValueError as exc:
        module.fail_json(msg="container_probe: %s" % exc)
    try:
        container = _docker.get_container(_docker.client(module), p["name"])
        if container is None:
            module.fail_json(msg="container %s does not exist" % p["name"])
        result = dict(changed=False, status=container.status, exit_code=None, stdout="", stderr="", logs=[], wait={})
        if pattern is not None:
            result["logs"], result["wait"] = wait_for_line(container, pattern, p["logs_tail"], p["wait_timeout"])
            result["status"] = container.status
        if p["argv"]:
            if container.status != "running":
                module.fail_json(msg="container %s is %s, not running: cannot run %s" % (p["name"], container.status, p["argv"][0]), **result)
            try:
                rc, out, err = _docker.exec_as(container, p["user"], p["argv"], workdir=p["workdir"], timeout=p["timeout"])
            except _docker.ExecTimeout as exc:
                module.fail_json(msg="container %s: %s" % (p["name"], exc), **result)
            result.update(exit_code=rc, stdout=out, stderr=err)
        if p["logs_tail"] > 0 and pattern is None:
            result["logs"] = _docker.log_lines(container, p["logs_tail"])
    except _docker.DockerException as exc:
        module.fail_json(msg="container %s: Docker engine error: %s" % (p["name"], exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
