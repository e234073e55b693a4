# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options of every gh200.sglang module that talks to the Docker engine."""

    DOCUMENTATION = r"""
options:
  docker_host:
    description:
      - URL of the Docker engine, for example V(unix:///var/run/docker.sock).
      - When unset, E(DOCKER_HOST) and the other Docker environment variables apply, then the local socket.
    type: str
  docker_timeout:
    description:
      - Seconds to wait for an answer from the engine.
    type: int
    default: 120
requirements:
  - docker (the Docker SDK for Python) >= 5.0 on the managed host
"""

    # The dev container a module acts on.
    CONTAINER = r"""
options:
  name:
    description: Name of the dev container.
    type: str
    default: sglang-dev
"""

    # The host tree and its owner, shared by modules that read or write it.
    HOST_TREE = r"""
options:
  root:
    description:
      - Absolute path of the host tree (models, profiles, telemetry).
      - Defaults to C(sglang-observability) in the home directory of O(host_user).
    type: path
  host_user:
    description:
      - Host user that owns the host tree and every file the module writes there.
      - Defaults to the user the module runs as. Writing for another user needs root.
    type: str
"""

    # The kernel-cache stage a module acts on (cache_stage, stage_status, stage_wait).
    STAGE = r"""
options:
  stage:
    description: The kernel-cache stage (its folder under C(/profiles) is C(flashinfer), C(inductor), C(deep_gemm) or C(moe_configs)).
    type: str
    required: true
    choices: [flashinfer, inductor, deep_gemm, moe]
"""
