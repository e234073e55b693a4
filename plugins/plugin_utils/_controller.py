# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the action plugins that keep the verification record on the controller (check, checks, phase, report)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ControllerAction(ActionBase):
    """Runs on the controller only: no connection to the host, the same in check mode, never asynchronous."""

    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False
