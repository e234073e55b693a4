# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the recorded checks of the verification phases."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def failed_checks(checks):
    """'<name>: <detail>' for every check whose status is 'failed', in order."""
    return ["%s: %s" % (c.get("name", ""), c.get("detail", "")) for c in checks or [] if c.get("status") == "failed"]


class FilterModule(object):
    """gh200.sglang check filters."""

    def filters(self):
        return {"failed_checks": failed_checks}
