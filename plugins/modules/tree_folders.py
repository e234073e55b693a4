#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tree_folders
short_description: Make the host tree's root and folders, owned by the host user, in one call
version_added: 0.1.0
description:
  - Ensures the host tree root and each of O(folders) is a directory owned by the host user's uid and primary gid
    with O(mode), as M(ansible.builtin.file) with C(state=directory) would for each, in one module call.
  - Reads each folder's state first, through directory handles that never follow a symbolic link, and refuses, with
    one line and before anything changes, a symlink or a non-directory at the root, at a folder or on the way to one.
    Then creates what is missing with its final owner and mode, and gives the others theirs through their own handle,
    so a folder swapped for a symlink meanwhile is refused, never followed out of the tree.
  - Only the root and the folders named; nothing below them is changed.
  - O(folders) must stay inside the tree; C(..), absolute paths and empty segments are refused with one line.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.docker.host_tree
options:
  folders:
    description: Folders relative to O(root), made in the order given (a folder's parents are made with it).
    type: list
    elements: str
    default: []
  mode:
    description: The mode of the root and of every folder, as an octal string.
    type: str
    default: "0755"
attributes:
  check_mode:
    support: full
    description: Reads the same and reports what it would change; changes nothing.
  diff_mode:
    support: full
    description: One line per folder that changes, before and after, its name, a colon, then C(absent) or C(directory <uid>:<gid> <mode>).
"""

EXAMPLES = r"""
- name: Create the host tree owned by the host user.
  gh200.sglang.tree_folders:
    host_user: ubuntu
    folders: [models, profiles, telemetry, telemetry/logs]
  register: tree
"""

RETURN = r"""
changed_folders:
  description: The folders changed (in check mode, those that would be), relative to the root (C(.) for the root).
  returned: always
  type: list
  elements: str
  sample: [".", "telemetry/logs"]
created:
  description: Those of RV(changed_folders) that were missing.
  returned: always
  type: list
  elements: str
  sample: ["telemetry/logs"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _files, _tree


def main():
    argument_spec = dict(folders=dict(type="list", elements="str", default=[]), mode=dict(type="str", default="0755"))
    argument_spec.update(_tree.HOST_TREE_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        account, root = _tree.resolve_root(module.params["host_user"], module.params["root"])
        folders = [_tree.relative_option("folders", f) for f in module.params["folders"]]
        mode = int(module.params["mode"], 8)
        if not 0 <= mode <= 0o7777:
            raise ValueError()
    except _tree.OptionProblem as exc:
        module.fail_json(msg="tree_folders: %s" % exc)
    except ValueError:
        module.fail_json(msg="tree_folders: mode %r is not an octal file mode" % module.params["mode"])
    uid, gid = account.pw_uid, account.pw_gid
    try:
        plan = _files.folder_plan([(rel, _files.folder_state(root, rel)) for rel in [""] + folders], uid, gid, mode)
        if plan and not module.check_mode:
            _files.ensure_folders(root, plan, uid, gid, mode)
    except _files.PathProblem as exc:
        module.fail_json(msg="tree_folders: %s" % exc)
    except OSError as exc:
        module.fail_json(msg="tree_folders: %s: %s" % (getattr(exc, "filename", None) or root, exc.strerror or exc))
    plan = [(rel or ".", before, after) for rel, before, after in plan]
    module.exit_json(changed=bool(plan), changed_folders=[name for name, before, after in plan],
                     created=[name for name, before, after in plan if before == "absent"],
                     diff=dict(before="".join("%s: %s\n" % (name, before) for name, before, after in plan),
                               after="".join("%s: %s\n" % (name, after) for name, before, after in plan)))


if __name__ == "__main__":
    main()
