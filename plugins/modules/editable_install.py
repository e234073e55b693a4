#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: editable_install
short_description: Make the dev container import a package from the bind-mounted workspace
version_added: 0.1.0
description:
  - Ensures that the package the container's Python imports (default C(sglang)) resolves to the
    bind-mounted workspace repository (default C(/workspaces/sglang/python)), not to a wheel baked into
    the image (seed 001, the editable-install regression).
  - Reads the current state first, with E(PYTHONPATH) cleared so that it sees the install itself.
    It reads the import origin (C(<package>.__file__)) and the installed distribution's
    C(direct_url.json) (C(dir_info.editable) and the C(file://) URL). When both point at the workspace,
    it does nothing. Otherwise it runs one C(pip install -e '<workspace>/python[extras]') and reads the
    state again. pip's own report is never trusted.
  - Runs inside the running container, as O(user) and never as root, through the Docker SDK for Python.
  - O(probe) imports a callable and compares its signature with the expected text.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.docker
  - gh200.sglang.docker.container
options:
  package:
    description: Import name of the package.
    type: str
    default: sglang
  workspace:
    description: Path of the bind-mounted repository inside the container.
    type: str
    default: /workspaces/sglang
  source_subdir:
    description: Directory of the package's project (its C(pyproject.toml)) under O(workspace).
    type: str
    default: python
  extras:
    description: Extras to install with the package, in the same pip call.
    type: list
    elements: str
    default: []
  pip_args:
    description: Extra arguments for C(pip install), for example V(--no-index) on an offline mirror.
    type: list
    elements: str
    default: []
  python:
    description: Python executable in the container (on the container's E(PATH) or absolute).
    type: str
    default: python
  user:
    description: User to inspect and install as. Root is refused.
    type: str
    default: devuser
  force:
    description: Reinstall even when the install already points at the workspace (for example after changing O(extras)).
    type: bool
    default: false
  probe:
    description: A callable to import after the install and the signature it must have.
    type: dict
    suboptions:
      callable:
        description: V(module.path:callable).
        type: str
        required: true
      signature:
        description: Expected C(str(inspect.signature(callable))); white space is not significant.
        type: str
        required: true
attributes:
  check_mode:
    support: full
    description: Inspects and reports whether an install would happen, and installs nothing.
  diff_mode:
    support: full
    description: Shows the import origin and editable URL before and after.
"""

EXAMPLES = r"""
- name: Make the dev container import sglang from the workspace, with the seed's signature check.
  gh200.sglang.editable_install:
    name: sglang-dev
    extras: [all]
    probe:
      callable: sglang.srt.layers.moe.fused_moe_triton.fused_moe_triton_config:get_config_file_name
      signature: >-
        (E: int, N: int, dtype: Optional[str], block_shape: Optional[List[int]] = None,
        per_channel_quant: bool = False) -> str
"""

RETURN = r"""
origin_before:
  description: Where the package imported from before (E(PYTHONPATH) cleared); null when it did not import.
  returned: always
  type: str
  sample: /sgl-workspace/sglang/python/sglang/__init__.py
origin:
  description: Where the package imports from now.
  returned: always
  type: str
  sample: /workspaces/sglang/python/sglang/__init__.py
editable_url:
  description: Directory of the editable install now; null when the install is not editable.
  returned: always
  type: str
  sample: /workspaces/sglang/python
reasons:
  description: Why an install was (or, in check mode, would be) needed; empty when none was.
  returned: always
  type: list
  elements: str
  sample: ["the package imports from /sgl-workspace/sglang/python/sglang/__init__.py, not from /workspaces/sglang/python"]
signature:
  description: Signature of the probed callable; null without O(probe).
  returned: always
  type: str
  sample: "(E: int, N: int, dtype: Optional[str], block_shape: Optional[List[int]] = None, per_channel_quant: bool = False) -> str"
pip_output:
  description: Last lines of pip's output when it ran.
  returned: always
  type: list
  elements: str
  sample: ["Successfully installed sglang-0.5.0"]
"""

import posixpath

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _docker, _editable

# Inspect and install with PYTHONPATH cleared: the result must hold without it.
CLEAN_ENV = {"PYTHONPATH": "", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def inspect_state(module, container, source):
    p = module.params
    argv = [p["python"], "-c", _editable.INSPECT, p["package"], source]
    if p["probe"]:
        argv.append(p["probe"]["callable"])
    rc, out, err = _docker.exec_as(container, p["user"], argv, env=CLEAN_ENV, workdir="/tmp")
    if rc != 0:
        module.fail_json(msg="container %s: inspecting %s as %s failed (rc=%d): %s"
                         % (p["name"], p["package"], p["user"], rc, (err or out).strip().splitlines()[-1:] or "no output"))
    try:
        return _editable.parse_inspect(out)
    except ValueError as exc:
        module.fail_json(msg="container %s: unreadable inspection output (%s): %s" % (p["name"], exc, out[-300:]))


def main():
    argument_spec = dict(
        package=dict(type="str", default="sglang"),
        workspace=dict(type="str", default="/workspaces/sglang"),
        source_subdir=dict(type="str", default="python"),
        extras=dict(type="list", elements="str", default=[]),
        pip_args=dict(type="list", elements="str", default=[]),
        python=dict(type="str", default="python"),
        user=dict(type="str", default="devuser"),
        force=dict(type="bool", default=False),
        probe=dict(type="dict", options=dict(callable=dict(type="str", required=True), signature=dict(type="str", required=True))),
    )
    argument_spec.update(_docker.DOCKER_ARGS, **_docker.CONTAINER_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    source = posixpath.join(p["workspace"], p["source_subdir"]) if p["source_subdir"] else p["workspace"]
    try:
        _editable.check_inputs(p["package"], p["extras"], (p["probe"] or {}).get("callable"), p["user"])
    except _editable.InputError as exc:
        module.fail_json(msg="editable install in container %s: %s" % (p["name"], exc))

    try:
        container = _docker.running_container(module, _docker.client(module), p["name"], "before the editable install")
        before = inspect_state(module, container, source)
        if not before["src_is_dir"]:
            module.fail_json(msg="container %s: workspace source %s does not exist in the container (is the workspace mounted?)"
                             % (p["name"], source))
        if not before["pkg_in_src"]:
            module.fail_json(msg="container %s: package %s is not in %s, so an editable install of it cannot import it"
                             % (p["name"], p["package"], source))
        needed, reasons = _editable.decide(before, source)
        if p["force"] and not needed:
            needed, reasons = True, ["force=true"]
        after, pip_output = before, []
        if needed and not module.check_mode:
            argv = [p["python"], "-m", "pip", "install"] + p["pip_args"] + ["-e", _editable.requirement(source, p["extras"])]
            rc, out, err = _docker.exec_as(container, p["user"], argv, env=CLEAN_ENV, workdir="/tmp")
            pip_output = (out + err).strip().splitlines()[-10:]
            if rc != 0:
                module.fail_json(msg="container %s: pip install -e %s failed (rc=%d): %s"
                                 % (p["name"], source, rc, " | ".join(pip_output[-3:])), pip_output=pip_output)
            after = inspect_state(module, container, source)
            still, why = _editable.decide(after, source)
            if still:
                module.fail_json(msg="container %s: after pip install -e %s, %s" % (p["name"], source, "; ".join(why)), pip_output=pip_output)
    except _docker.DockerException as exc:
        module.fail_json(msg="container %s: Docker engine error: %s" % (p["name"], exc))

    result = dict(changed=needed, reasons=reasons if needed else [], origin_before=before.get("origin"), origin=after.get("origin"),
                  editable_url=_editable.editable_url(after.get("direct_url")), signature=after.get("signature"), pip_output=pip_output,
                  diff={"before": {"origin": before.get("origin"), "editable_url": _editable.editable_url(before.get("direct_url"))},
                        "after": {"origin": posixpath.join(source, p["package"].replace(".", "/"), "__init__.py") if needed and module.check_mode
                                  else after.get("origin"),
                                  "editable_url": source if needed and module.check_mode else _editable.editable_url(after.get("direct_url"))}})
    if p["probe"] and not (needed and module.check_mode):
        if after.get("probe_error"):
            module.fail_json(msg="container %s: probe %s does not import: %s" % (p["name"], p["probe"]["callable"], after["probe_error"]), **result)
        if not _editable.signature_matches(p["probe"]["signature"], after.get("signature")):
            module.fail_json(msg="container %s: probe %s has signature %s, expected %s (imported from %s)"
                             % (p["name"], p["probe"]["callable"], after.get("signature"), p["probe"]["signature"], after.get("probe_origin")),
                             **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
