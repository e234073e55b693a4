# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the deploy mode (seed 002)."""

from __future__ import annotations

from ansible_collections.gh200.sglang.plugins.module_utils import _deploy


def deploy_servers(served, chat_args=None, tool_args=None, tool_port=None):
    """The host's servers, one per served model (see _deploy.servers)."""
    return _deploy.servers(served, chat_args, tool_args, tool_port)


class FilterModule(object):
    """gh200.sglang deploy filters."""

    def filters(self):
        return {"deploy_servers": deploy_servers}
