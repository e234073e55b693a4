# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the recorded checks of the verification phases."""

from __future__ import annotations

import re

from ansible_collections.gh200.sglang.plugins.plugin_utils import _checks


def failed_checks(checks, phase=None, prefix=None):
    """'<name>: <detail>' for every check whose status is 'failed', in order (optionally of one phase
    and one name prefix)."""
    return _checks.failed_lines(checks, phase=phase, prefix=prefix)


def fleet_stop_reason(hosts, hostvars, max_fail_percentage=None, active=None):
    """Why the fleet run stops before the next phase ('' to go on): more than max_fail_percentage of ``hosts`` have a
    failed phase, were unreachable at the start, or (given the play's ``active`` hosts) were lost since. None (or an
    empty string) never stops."""
    if max_fail_percentage in (None, ""):
        return ""
    runs = {}
    for host in hosts:
        facts = hostvars[host].get("ansible_facts") or {}
        runs[host] = facts.get(_checks.RUN_FACT) or {}
    return _checks.fleet_stop_reason(list(hosts), runs, float(max_fail_percentage), None if active is None else list(active))


def file_changes(before, after, ignore=None):
    """'<path> (lost)' or '<path> (<n> -> <m> bytes)' for each file of ``before`` ({path: size}) that is not
    in ``after`` with the same size, sorted; paths matching the regex ``ignore`` are left out."""
    pattern = re.compile(ignore) if ignore else None
    out = []
    for path in sorted(before or {}):
        if pattern and pattern.search(path):
            continue
        if path not in (after or {}):
            out.append("%s (lost)" % path)
        elif after[path] != before[path]:
            out.append("%s (%d -> %d bytes)" % (path, before[path], after[path]))
    return out


class FilterModule(object):
    """gh200.sglang check filters."""

    def filters(self):
        return {"failed_checks": failed_checks, "fleet_stop_reason": fleet_stop_reason,
                "file_changes": file_changes}
