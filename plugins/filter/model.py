# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over phase 0's model: whether it is fetched from the hub, and why not."""

from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean


def model_fetch_skip(problem_count, fetch, store="", read_only=False, check_mode=False):
    """'' when phase 0 fetches the served models (fetching is on, they live in the host tree, the run may write and
    model_files found ``problem_count`` problems), else the reason the fetch and its check are skipped. The flags are
    read as Ansible reads booleans, so 'false' from ``-e key=value`` is false."""
    fetch, read_only, check_mode = (boolean(x, strict=False) for x in (fetch, read_only, check_mode))
    if not fetch:
        return "host_prep_model_fetch is false"
    if store:
        return "the models come from the store %s, which is read-only" % store
    if read_only:
        return "a read-only run fetches nothing"
    if check_mode:
        return "check mode: nothing fetched"
    if int(problem_count) == 0:
        return "the models were complete: nothing to fetch"
    return ""


class FilterModule(object):
    """gh200.sglang model filters."""

    def filters(self):
        return {"model_fetch_skip": model_fetch_skip}
