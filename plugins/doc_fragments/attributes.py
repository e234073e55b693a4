# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Attributes shared by the gh200.sglang modules."""

    DOCUMENTATION = r"""
options: {}
"""

    # Modules that only read: the same run in check mode, nothing to diff.
    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    description: Only reads; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to diff.
"""

    # Action plugins that keep the verification record on the controller: nothing on the host changes.
    CONTROLLER = r"""
attributes:
  diff_mode:
    support: none
    description: Changes nothing on the host.
  action:
    support: full
    description: Runs as an action plugin on the controller.
"""
