#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: metrics_compare
short_description: Write the serving figures before and after, server by server, side by side as a Markdown table
version_added: 0.1.0
description:
  - Takes, for each server scraped, the RV(gh200.sglang.prometheus_scrape#module:key) summaries before and after a
    soak, and writes one Markdown table with a row per figure (requests, tokens, running and queued requests, and
    each latency histogram's count, mean and p99) and, per server, its value before, after and the change.
  - Written atomically to O(dest), mode 0644; unchanged content is not rewritten.
author:
  - gh200.sglang maintainers (@gh200-sglang)
options:
  servers:
    description: One entry per server, C(label), C(before) and C(after) (the key summaries).
    type: list
    elements: dict
    required: true
  dest:
    description: The Markdown file to write. Its directory must exist.
    type: path
    required: true
  title:
    description: The heading above the table.
    type: str
    default: Serving figures before and after the soak
attributes:
  check_mode:
    support: full
    description: Renders the table and reports whether the file would change; writes nothing.
  diff_mode:
    support: none
    description: The table is returned whole.
"""

EXAMPLES = r"""
- name: Write the comparison table on the controller.
  gh200.sglang.metrics_compare:
    servers:
      - {label: gh200-a sglang-30000, before: "{{ before.key }}", after: "{{ after.key }}"}
    dest: reports/metrics-20261123T040000Z.md
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
table:
  description: The Markdown table.
  returned: always
  type: str
dest:
  description: The file written.
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _files, _metrics


def main():
    module = AnsibleModule(
        argument_spec=dict(
            servers=dict(type="list", elements="dict", required=True),
            dest=dict(type="path", required=True),
            title=dict(type="str", default="Serving figures before and after the soak"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    columns = []
    for index, server in enumerate(p["servers"]):
        missing = [k for k in ("label", "before", "after") if k not in server]
        if missing:
            module.fail_json(msg="servers[%d] has no %s" % (index, ", ".join(missing)))
        wrong = [k for k in ("before", "after") if server[k] is not None and not isinstance(server[k], dict)]
        if wrong:
            module.fail_json(msg="servers[%d].%s is %r, not the key summaries of prometheus_scrape (a dict)"
                             % (index, wrong[0], server[wrong[0]]))
        columns.append((str(server["label"]), server["before"] or {}, server["after"] or {}))
    table = _metrics.markdown_table(columns)
    text = "# %s\n\n%s" % (p["title"], table)
    if not os.path.isdir(os.path.dirname(p["dest"]) or "."):
        module.fail_json(msg="dest %s: its directory does not exist" % p["dest"])
    try:
        current = _files.read_bytes(p["dest"])
    except _files.PathProblem as exc:
        module.fail_json(msg=str(exc))
    changed = current != text.encode("utf-8")
    if changed and not module.check_mode:
        _files.atomic_write(p["dest"], text.encode("utf-8"), mode=0o644)
    module.exit_json(changed=changed, table=table, dest=p["dest"])


if __name__ == "__main__":
    main()
