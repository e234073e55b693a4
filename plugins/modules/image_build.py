#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: image_build
short_description: Build the dev image when its Dockerfile or build context changed
version_added: 0.1.0
description:
  - Computes a content hash of what the build reads (every file of O(context) that C(.dockerignore)
    keeps, with its executable bit, plus the Dockerfile's name, O(build_args), O(target), and the local
    image id of every image the Dockerfile builds C(FROM), a C(${VAR}) resolved from O(build_args) or the
    default of its C(ARG), so a rebuilt base image rebuilds this one) and
    compares it with the hash recorded in the image's label C(org.gh200.sglang.build-hash).
  - When they differ, or the image is missing, or O(force=true), it builds O(name) through the Docker
    SDK with that label. Otherwise it does nothing and reports C(changed=false).
  - The build's output is written to C(<root>/<log_dir>/image-build-<UTC time>.log), owned by the host
    user. A failed build fails the module with one line naming the image, the step that failed, the
    error and the last lines of output.
  - A container running an older image is recreated by M(gh200.sglang.container_run)'s drift detection
    on its next start.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.docker
  - gh200.sglang.docker.host_tree
options:
  name:
    description: The image to build, as C(repository:tag).
    type: str
    required: true
  context:
    description: Absolute path of the build context on the host, for example the repository's C(.devcontainer) folder.
    type: path
    required: true
  dockerfile:
    description: The Dockerfile, relative to O(context).
    type: str
    default: Dockerfile
  build_args:
    description: Build arguments (C(ARG) values). They are part of the content hash; never put a secret here.
    type: dict
    default: {}
  target:
    description: The build stage to stop at.
    type: str
  network_mode:
    description: Network of the C(RUN) steps, for example V(none) or V(host); unset leaves the engine's default.
    type: str
  pull:
    description: Pull a newer base image first.
    type: bool
    default: false
  force:
    description: Build even when the hash matches.
    type: bool
    default: false
  log_dir:
    description: Directory of the build log, relative to O(root).
    type: str
    default: telemetry/logs
  build_timeout:
    description: Seconds the engine may stay silent during the build before the module gives up.
    type: int
    default: 3600
attributes:
  check_mode:
    support: full
    description: Computes the hash and reports whether a build would run; builds nothing.
  diff_mode:
    support: full
    description: Shows the recorded build hash before and the one the build would record.
"""

EXAMPLES = r"""
- name: Rebuild the dev image when its Dockerfile changed.
  gh200.sglang.image_build:
    name: sglang-dev:gh200
    context: /home/ubuntu/sglang/.devcontainer
    host_user: ubuntu
    build_args:
      CUDA_VERSION: "12.8.1"
  register: image
"""

RETURN = r"""
built:
  description: Whether the image was built (false in check mode).
  returned: always
  type: bool
reason:
  description: Why it was built or not, V(current), V(missing), V(changed) or V(forced).
  returned: always
  type: str
build_hash:
  description: The content hash of the Dockerfile and its context now.
  returned: always
  type: str
  sample: sha256:5d41402abc4b2a76b9719d911017c592ae8f1e3b0f3d3a4f1c1d5e4b3a2f1e0d
previous_hash:
  description: The hash the image recorded before, or null when it had none.
  returned: always
  type: str
image:
  description: The image as the engine reports it after the run (before it, in check mode); null when missing.
  returned: always
  type: dict
  sample: {"name": "sglang-dev:gh200", "id": "sha256:1f2e...", "build_hash": "sha256:5d41..."}
log:
  description: The build log written by this run, or null when nothing was built.
  returned: always
  type: str
summary:
  description: One line naming the image, its id, what the run did and the hash.
  returned: always
  type: str
  sample: sglang-dev:gh200 (1f2e3d4c5b6a) built by this run (the Dockerfile or its context changed), sha256:5d41402abc4b
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _docker, _files, _image, _tree

try:
    from docker.utils.build import exclude_paths
except ImportError:  # reported by _docker.client
    exclude_paths = None


def describe(cli, name):
    image = _docker.get_image(cli, name)
    if image is None:
        return None
    return {"name": name, "id": image.id, "build_hash": (image.labels or {}).get(_image.LABEL_BUILD_HASH)}


def build(module, cli, context, dockerfile, content_hash, log_path, account, root):
    p = module.params
    log = _image.BuildLog()
    cli.api.timeout = p["build_timeout"]
    try:
        for message in cli.api.build(path=context, dockerfile=dockerfile, tag=p["name"], buildargs=p["build_args"],
                                     target=p["target"], network_mode=p["network_mode"], pull=p["pull"], rm=True,
                                     forcerm=True, labels={_image.LABEL_BUILD_HASH: content_hash}, decode=True):
            log.feed(message)
    except _docker.DockerException as exc:
        log.error = "the engine stopped the build: %s" % exc
    finally:
        _files.atomic_write(log_path, log.text().encode("utf-8"), mode=0o644, uid=account.pw_uid, gid=account.pw_gid, root=root)
    if log.error:
        module.fail_json(msg=log.failure(p["name"], log_path), log=log_path)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        context=dict(type="path", required=True),
        dockerfile=dict(type="str", default="Dockerfile"),
        build_args=dict(type="dict", default={}),
        target=dict(type="str"),
        network_mode=dict(type="str"),
        pull=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        log_dir=dict(type="str", default="telemetry/logs"),
        build_timeout=dict(type="int", default=3600),
    )
    argument_spec.update(_docker.DOCKER_ARGS)
    argument_spec.update(_tree.HOST_TREE_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    try:
        account, root = _tree.resolve_root(p["host_user"], p["root"])
        dockerfile = _tree.relative_option("dockerfile", p["dockerfile"])
        log_dir = _tree.confine(root, "log_dir", p["log_dir"])[0]
    except _tree.OptionProblem as exc:
        module.fail_json(msg="image %s: %s" % (p["name"], exc))
    context = p["context"]
    if not os.path.isabs(context) or not os.path.isdir(context):
        module.fail_json(msg="image %s: build context %s is not a directory" % (p["name"], context))
    if not os.path.isfile(os.path.join(context, dockerfile)):
        module.fail_json(msg="image %s: Dockerfile %s is missing" % (p["name"], os.path.join(context, dockerfile)))
    build_args = dict((k, str(v)) for k, v in p["build_args"].items())
    p["build_args"] = build_args
    cli = _docker.client(module)
    try:
        ignore = _files.read_bytes(os.path.join(context, ".dockerignore")) or b""
        files = exclude_paths(context, _image.dockerignore_patterns(ignore.decode("utf-8")), dockerfile)
        text = (_files.read_bytes(os.path.join(context, dockerfile)) or b"").decode("utf-8", "replace")
        bases = dict((ref, getattr(_docker.get_image(cli, ref), "id", None)) for ref in _image.base_refs(text, build_args))
        content_hash = _image.content_hash(context, files, dockerfile, build_args, p["target"], bases)
        before = describe(cli, p["name"])
        previous = before["build_hash"] if before else None
        reason = "forced" if p["force"] else "missing" if before is None else "changed" if previous != content_hash else "current"
        result = dict(changed=reason != "current", built=False, reason=reason, build_hash=content_hash,
                      previous_hash=previous, image=before, log=None,
                      diff=dict(before="build-hash: %s\n" % previous, after="build-hash: %s\n" % content_hash))
        if reason != "current" and not module.check_mode:
            result["log"] = os.path.join(log_dir, "image-build-%s.log" % _files.utc_stamp(time.time()))
            build(module, cli, context, dockerfile, content_hash, result["log"], account, root)
            result.update(built=True, image=describe(cli, p["name"]))
        result["summary"] = _image.summary(p["name"], (result["image"] or {}).get("id"), reason, content_hash,
                                           module.check_mode)
    except (_docker.DockerException, OSError, _files.PathProblem) as exc:
        module.fail_json(msg="image %s: %s" % (p["name"], exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
