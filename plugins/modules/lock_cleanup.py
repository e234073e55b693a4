#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: lock_cleanup
short_description: Remove the lock files under the host tree that no live process holds
version_added: 0.1.0
description:
  - Finds every regular file named C(*.lock) under O(path) in the host tree, never following a
    symbolic link, and tests each with a non-blocking C(flock). A lock that some live process holds
    is left alone and reported with its holder (the C(pid N since T) line the holder wrote, and the
    PIDs in the kernel's lock table where they are visible). A lock that nobody holds is an orphan,
    left by a stage that was killed, and is removed while this module holds it, so no process can take
    it in between.
  - Never decides by age or by PID alone. A symlink or a directory named C(*.lock) is reported and
    left alone.
  - O(path) must stay inside the host tree; C(..), absolute paths, empty segments and symlinks leading
    out are refused with one line, before anything is read.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.docker.host_tree
options:
  path:
    description: The directory to search, relative to O(root).
    type: str
    default: profiles
attributes:
  check_mode:
    support: full
    description: Tests every lock the same way and reports the orphans it would remove; removes nothing.
  diff_mode:
    support: full
    description: The lock files before and after, one path per line.
"""

EXAMPLES = r"""
- name: Remove the kernel-cache locks that no stage holds any more.
  gh200.sglang.lock_cleanup:
    host_user: ubuntu
  register: locks

- name: Fail while a stage still holds a lock.
  ansible.builtin.assert:
    that: locks.held | length == 0
    fail_msg: "{{ locks.held | map(attribute='path') | join(', ') }} still held"
"""

RETURN = r"""
removed:
  description: The orphaned lock files removed (in check mode, those that would be).
  returned: always
  type: list
  elements: str
held:
  description: The lock files a live process holds, each with what is known of its holder.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/home/ubuntu/sglang-observability/profiles/inductor/.lock", "holder": "pid 812 since 2026-11-22T10:00:00Z", "pids": [812]}]
left_alone:
  description: Entries named C(*.lock) that are not regular files, as C(<path> (<kind>)).
  returned: always
  type: list
  elements: str
summary:
  description: One line for a check detail.
  returned: always
  type: str
  sample: "1 orphaned lock removed (profiles/moe_configs/.lock); 1 held: profiles/inductor/.lock by pid 812 since 2026-11-22T10:00:00Z"
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _files, _locks, _tree


def summary(root, removed, held, check_mode):
    def rel(path):
        return os.path.relpath(path, root)
    parts = []
    if removed:
        parts.append("%d orphaned lock%s %s (%s)" % (len(removed), "" if len(removed) == 1 else "s",
                                                     "would be removed" if check_mode else "removed",
                                                     ", ".join(rel(p) for p in removed)))
    if held:
        parts.append("%d held: %s" % (len(held), ", ".join("%s by %s" % (rel(h["path"]), h["holder"]) for h in held)))
    return "; ".join(parts) or "no lock files"


def main():
    argument_spec = dict(path=dict(type="str", default="profiles"))
    argument_spec.update(_tree.HOST_TREE_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if "\x00" in module.params["path"]:
        module.fail_json(msg="lock_cleanup: path %r holds a NUL byte" % module.params["path"])
    try:
        dummy, root = _tree.resolve_root(module.params["host_user"], module.params["root"])
        top = _tree.confine(root, "path", module.params["path"])[0]
    except _tree.OptionProblem as exc:
        module.fail_json(msg="lock_cleanup: %s" % exc)
    try:
        files, others = _locks.find(top)
        removed, found = _locks.clean(top, remove=not module.check_mode, root=root)
    except _files.PathProblem as exc:
        module.fail_json(msg="lock_cleanup: %s" % exc)
    except OSError as exc:
        module.fail_json(msg="lock_cleanup: %s: %s" % (getattr(exc, "filename", None) or top, exc.strerror or exc))
    held = [dict(zip(("path", "holder", "pids"), (path,) + _locks.describe_holder(path, line))) for path, line in found]
    after = [p for p in files if p not in removed]
    module.exit_json(changed=bool(removed), removed=removed, held=held, left_alone=others,
                     summary=summary(root, removed, held, module.check_mode),
                     diff=dict(before="".join(p + "\n" for p in files), after="".join(p + "\n" for p in after)))


if __name__ == "__main__":
    main()
