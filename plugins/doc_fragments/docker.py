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

    # The shared model store, read in place of the tree's models/ (model_files, tree_audit, container_run, and the
    # stage modules, which read the model's config.json there).
    MODEL_STORE = r"""
options:
  model_store:
    description:
      - Absolute path of a shared model store outside the host tree (an NFS or Lustre export, mounted read-only), holding
        each model as C(<org>/<name>) like the tree's C(models/). Empty uses C(<root>/models).
      - The store must be an existing directory apart from the tree (neither inside the other); a symlink in a model's
        directory is followed only while its target stays in the store.
    type: str
    default: ""
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

    # What determines a kernel-cache stage's command and signature (cache_stage, cache_plan); the options are
    # defined once, in module_utils/_cache.py, STAGE_INPUT_ARGS.
    STAGE_INPUTS = r"""
options:
  model:
    description: The model as a Hugging Face repo id; the container sees it as C(<models_mount>/<model>).
    type: str
    required: true
  reset:
    description:
      - Reset the stage (the plan's reset of C(/profiles) between stages), so that it always runs.
        M(gh200.sglang.cache_stage) empties the stage folder, under the lock and without following symlinks, and
        builds from nothing; M(gh200.sglang.cache_plan) answers V(would run).
    type: bool
    default: false
  stage_args:
    description:
      - Values for the commands' placeholders. Letters, digits and C(._:=,+/@-) only, no C(..) segment, no leading C(-).
      - Merged over the defaults C(tp_size=1), C(dtype=auto), C(torch_compile_max_bs=32), C(attention_backend=flashinfer)
        and C(sglang_repo=/workspaces/sglang).
    type: dict
    default: {}
  env:
    description: More environment for the commands. The stage's cache variables always win.
    type: dict
    default: {}
  user:
    description: The container user the commands and the version probe run as.
    type: str
    default: devuser
  python:
    description: The container's Python, for the version probe.
    type: str
    default: python3
  timeout:
    description: Seconds a command may run (the C({timeout}) placeholder, part of the signature).
    type: int
    default: 3600
  profiles_mount:
    description: Where the container sees C(<root>/profiles).
    type: str
    default: /profiles
  models_mount:
    description: Where the container sees C(<root>/models) (or O(model_store)).
    type: str
    default: /models
"""
