# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over what the dev image's entrypoint runs (gh200_container_services)."""

from __future__ import annotations

from ansible_collections.gh200.sglang.plugins.module_utils._evidence import SERVICES, services_waiting

NOT_RUN = "not run by this image"


def service_skip(service, services):
    """'' when the image runs ``service`` (it is in ``services``), else the reason its checks are skipped."""
    if service not in SERVICES:
        raise ValueError("service %r is not one of %s" % (service, ", ".join(SERVICES)))
    return "" if service in (services or []) else NOT_RUN


class FilterModule(object):
    """gh200.sglang service filters."""

    def filters(self):
        return {"service_skip": service_skip, "services_waiting": services_waiting}
