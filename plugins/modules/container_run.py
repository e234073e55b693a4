#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: container_run
short_description: Start, stop, remove or preflight the SGLang dev container, with run manifests
version_added: 0.1.0
description:
  - Manages the GH200 SGLang dev container through the Docker SDK for Python, replacing
    C(start_observable_container.sh) and C(stop_observable_container.sh).
  - Bind-mounts C(<root>/models) at C(/models) (read-only; O(model_store) in its place when set), C(<root>/profiles) at C(/profiles),
    C(<root>/telemetry) at C(/telemetry) and O(workspace) at C(/workspaces/sglang).
  - Every start is a new run with its own run id. It writes the manifest
    C(<root>/telemetry/container_runs/<run_id>.env) and points C(<root>/telemetry/container_run_meta.env)
    at it. Both are mode 0600, owned by O(host_user), written atomically with that mode from the first
    byte. Older manifests stay as history.
  - O(state=validated) is the C(VALIDATE_ONLY=1) preflight. It checks the host tree, its owner, the
    workspace, the image and the GPU request, creates nothing, and reports every problem it finds.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.docker
  - gh200.sglang.docker.container
  - gh200.sglang.docker.host_tree
  - gh200.sglang.docker.model_store
options:
  image:
    description: Image to run.
    type: str
    default: sglang-dev:gh200
  state:
    description:
      - V(started) makes sure a container with this configuration runs. A running container that matches
        is left alone. A stopped one is replaced by a new run.
      - V(stopped) stops the container and removes the manifest pointer; the history stays.
      - V(absent) also removes the container.
      - V(validated) only runs the preflight checks.
    type: str
    choices: [started, stopped, absent, validated]
    default: started
  workspace:
    description:
      - Host path of the SGLang repository, mounted at C(/workspaces/sglang).
      - Defaults to C(sglang) in the home directory of O(host_user). Set to an empty string to mount none.
    type: path
  env:
    description: Plain environment variables for the container. They are recorded in the run manifest.
    type: dict
    default: {}
  secret_env:
    description:
      - Environment variables whose values are secret.
      - They reach the container and nothing else. No manifest, pointer, log line, diff or result
        holds them. But C(docker inspect) shows them, and every process in the container has them in its
        environment; prefer O(secret_files), for E(HF_TOKEN) above all.
    type: dict
    default: {}
  secret_files:
    description:
      - Secrets written as files into the container, each C(/run/gh200-secrets/<NAME>) (mode 0400, owned by
        the host user's uid, in a 0500 folder of the container's own, never on the host tree), with the
        environment variable C(<NAME>_PATH) pointing at it. For E(HF_TOKEN) that is E(HF_TOKEN_PATH), which
        huggingface_hub reads. C(docker inspect) and the processes' environments show the path, never the value.
      - The files are written through the engine's archive API before the container's first process starts. A
        changed value is written again in place (reported as drift C(secret_files), the value hidden) without
        recreating the container.
    type: dict
    default: {}
  pythonpath:
    description:
      - E(PYTHONPATH) in the container, so imports resolve to the bind-mounted workspace. An empty string sets none.
    type: str
    default: /workspaces/sglang/python
  init_run_hook:
    description: Script the image's entrypoint runs on every start (E(INIT_RUN_HOOK)), as the user it runs as (devuser in the stand-in).
    type: str
  gpus:
    description: V(all), V(none), or a comma-separated list of GPU ids, requested with the nvidia driver.
    type: str
    default: all
  ipc_mode:
    description: IPC namespace mode.
    type: str
    default: host
  shm_size:
    description: Size of C(/dev/shm), for example V(16g).
    type: str
    default: 16g
  network_mode:
    description: Network mode. The default V(host) keeps Prometheus and the server on the host's loopback.
    type: str
    default: host
  no_new_privileges:
    description:
      - Start the container with C(no-new-privileges), so no process in it gains privileges through a setuid or setgid
        binary (the bind-mounted tree is writable from inside). A running container without it drifts.
    type: bool
    default: true
  cap_drop:
    description: Capabilities the container drops, for example V(NET_RAW) or V(ALL); a running container that drops others drifts.
    type: list
    elements: str
    default: []
  recreate:
    description:
      - What to do with a running container whose configuration drifted from the requested one.
      - V(on-change) recreates it; V(never) leaves it and warns; V(always) recreates it on every run.
    type: str
    choices: [never, on-change, always]
    default: on-change
  init:
    description:
      - Run Docker's init (C(docker run --init)) as the container's PID 1, which forwards the stop signal to the image's
        command and reaps its children. For an image whose command ignores the signal as PID 1, such as the upstream
        SGLang image's C(sleep infinity), every stop otherwise waits O(stop_timeout) and kills it. A running
        container started otherwise drifts.
    type: bool
    default: false
  stop_timeout:
    description: Seconds to wait for the container to stop before it is killed.
    type: int
    default: 30
  inventory_host:
    description: Inventory name of the host, recorded in the manifest as E(ANSIBLE_HOST).
    type: str
attributes:
  check_mode:
    support: full
    description: Predicts the same RV(actions) as a real run, and does none of them.
  diff_mode:
    support: full
    description: Shows the container and the pointer before and after; secret values never appear.
notes:
  - Stopping or removing never deletes anything in the host tree except the pointer.
"""

EXAMPLES = r"""
- name: Preflight the dev container without creating anything.
  gh200.sglang.container_run:
    state: validated
    host_user: ubuntu

- name: Start the dev container with the editable-install hook and a token.
  gh200.sglang.container_run:
    name: sglang-dev
    image: sglang-dev:gh200
    host_user: ubuntu
    init_run_hook: /workspaces/sglang/.devcontainer/post-create.sh
    env:
      SGLANG_LOG_LEVEL: info
    secret_env:
      HF_TOKEN: "{{ vault_hf_token }}"
    inventory_host: "{{ inventory_hostname }}"

- name: Stop it; the pointer goes, the history stays.
  gh200.sglang.container_run:
    name: sglang-dev
    state: stopped
    host_user: ubuntu
"""

RETURN = r"""
actions:
  description: What the module did (or, in check mode, would do), in order.
  returned: always
  type: list
  elements: str
  sample: [remove, create, write_manifest]
drift:
  description: Configuration that differs between the running container and the request.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "image_id", "before": "sha256:1111", "after": "sha256:2222"}]
problems:
  description: Every preflight problem found (O(state=validated) and O(state=started)).
  returned: always
  type: list
  elements: str
  sample: ["/home/ubuntu/sglang-observability/models does not exist (run the host_prep role first)"]
container:
  description: The container after the run; empty when there is none.
  returned: always
  type: dict
  sample: {"id": "3f1c...", "name": "sglang-dev", "status": "running", "image": "sglang-dev:gh200", "run_id": "20251011T120000Z-1a2b3c",
           "started_at": "2025-10-11T12:00:00.5Z", "restart_count": 0}
run_id:
  description: Id of the current run (from the pointer); null when no run is current.
  returned: always
  type: str
  sample: 20251011T120000Z-1a2b3c
manifest:
  description: Path of the current run's manifest; null when no run is current.
  returned: always
  type: str
  sample: /home/ubuntu/sglang-observability/telemetry/container_runs/20251011T120000Z-1a2b3c.env
pointer:
  description: Path of the manifest pointer.
  returned: always
  type: str
  sample: /home/ubuntu/sglang-observability/telemetry/container_run_meta.env
found:
  description:
    - The container found before acting, in a few words. For one that had stopped (an engine restart, a host reboot,
      a crash) it gives its exit code, an OOM kill and when it finished.
  returned: unless O(state=validated)
  type: str
  sample: exited, run 20251011T120000Z-1a2b3c, restarts 0, exit code 0, finished 2025-10-11T12:30:00.1Z
"""

import binascii
import datetime
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import _docker, _evidence, _files, _manifest, _tree

NEW_RUN = "(new run)"
TREE = ("models", "profiles", "telemetry", "telemetry/logs", "telemetry/container_runs")


def resolve(module):
    """Host user, ids, root, workspace and mounts from the options; fails on bad input."""
    p = module.params
    try:
        account, root = _tree.resolve_root(p["host_user"], p["root"])
    except _tree.OptionProblem as exc:
        module.fail_json(msg=str(exc))
    workspace = os.path.join(account.pw_dir, "sglang") if p["workspace"] is None else p["workspace"]
    # The store's real path, so the bind names no symlink; the preflight refuses a store that is not a folder apart from
    # the tree (a relative one among them) before any start.
    models = os.path.realpath(p["model_store"]) if p["model_store"] else os.path.join(root, "models")
    mounts = [
        {"source": models, "target": "/models", "read_only": True},
        {"source": os.path.join(root, "profiles"), "target": "/profiles", "read_only": False},
        {"source": os.path.join(root, "telemetry"), "target": "/telemetry", "read_only": False},
    ]
    if workspace:
        mounts.append({"source": workspace, "target": "/workspaces/sglang", "read_only": False})
    return account, root, workspace, mounts


def namespace_problems(cli, network_mode, ipc_mode):
    """network_mode and ipc_mode values the engine would refuse, found before anything is stopped or removed."""
    problems = []
    for option, value, fixed in (("network_mode", network_mode, ("host", "none", "bridge", "default")),
                                 ("ipc_mode", ipc_mode, ("host", "private", "shareable", "none", ""))):
        if value in fixed:
            continue
        if value.startswith("container:"):
            if _docker.get_container(cli, value.split(":", 1)[1]) is None:
                problems.append("%s %s names a container that does not exist" % (option, value))
        elif option == "ipc_mode":
            problems.append("ipc_mode %r is not one of host, private, shareable, none or container:<name>" % value)
        else:
            try:
                cli.networks.get(value)
            except _docker.NotFound:
                problems.append("network_mode %r is not host, none, bridge, container:<name> or a network the engine has" % value)
    return problems


def preflight(module, cli, account, root, workspace, mounts, image):
    """Every problem that would make a start fail or write wrong files; creates nothing."""
    problems = _files.tree_problems(root, account.pw_uid, account.pw_name, TREE)
    store = module.params["model_store"]
    if store:
        try:
            _tree.store_path(store, root)
        except _tree.OptionProblem as exc:
            problems.append(str(exc))
    for mount in mounts:
        if mount["source"].startswith(root + os.sep) or (store and mount["target"] == "/models"):
            continue  # checked with the tree, or as the store
        if os.path.islink(mount["source"]):
            problems.append("mount source %s is a symlink (to %s); bind a real directory" % (mount["source"], os.path.realpath(mount["source"])))
        elif not os.path.isdir(mount["source"]):
            problems.append("mount source %s (for %s) is not an existing directory" % (mount["source"], mount["target"]))
    if os.geteuid() not in (0, account.pw_uid):
        problems.append("the module runs as uid %d and cannot write files owned by %s (uid %d): run as that user or as root"
                        % (os.geteuid(), account.pw_name, account.pw_uid))
    if image is None:
        problems.append("image %s is not present on the engine: build or pull it first" % module.params["image"])
    problems += namespace_problems(cli, module.params["network_mode"], module.params["ipc_mode"])
    problems += _manifest.capability_problems(module.params["cap_drop"])
    if _manifest.normalize_gpus(module.params["gpus"]):
        runtimes = (cli.info().get("Runtimes") or {})
        if "nvidia" not in runtimes:
            problems.append("gpus=%s was requested but the engine has no nvidia runtime (runtimes: %s): install the NVIDIA "
                            "Container Toolkit or set gpus=none" % (module.params["gpus"], ", ".join(sorted(runtimes)) or "none"))
    return problems


def container_env(module):
    """The non-secret env of the container: the same for every run (CONTAINER_RUN_ID is added at create)."""
    env = dict((k, str(v)) for k, v in module.params["env"].items())
    if module.params["pythonpath"]:
        env["PYTHONPATH"] = module.params["pythonpath"]
    if module.params["init_run_hook"]:
        env["INIT_RUN_HOOK"] = module.params["init_run_hook"]
    env.update(_docker.secret_paths(module.params["secret_files"]))  # where each secret file is: never its value
    return env


def describe(container, run_id=None):
    if container is None:
        return {}
    labels = container.labels or {}
    facts = _evidence.container_facts(container.attrs)  # as run_evidence reads them, so the two compare
    return {"id": container.id, "name": container.name, "status": container.status,
            "image": (container.attrs.get("Config") or {}).get("Image"), "run_id": run_id or labels.get(_manifest.LABEL_RUN_ID),
            "started_at": facts["started_at"], "restart_count": facts["restart_count"]}


def plan(module, container, desired, image):
    """(actions, drift) for the requested state; the same data drives check mode, diff and the real run."""
    state = module.params["state"]
    actions, drift = [], []
    running = container is not None and container.status == "running"
    if state == "started":
        if running:
            actual = _manifest.spec_from_inspect(container.attrs)
            drift = _manifest.drift(desired, actual, module.params["secret_env"], image.id, container.attrs.get("Image"))
            recreate = module.params["recreate"] == "always" or (drift and module.params["recreate"] == "on-change")
            if recreate:
                actions = ["stop", "remove", "create", "write_manifest"]
            elif drift:
                module.warn("container %s drifted (%s) and recreate=never leaves it running"
                            % (module.params["name"], ", ".join(d["key"] for d in drift)))
            if not recreate and module.params["secret_files"]:
                stale = secret_files_to_write(container, module.params["secret_files"])
                if stale:  # rewritten in place: the running container reads the new value at its next use
                    actions.append("write_secret_files")
                    drift.append({"key": "secret_files", "before": "<hidden>", "after": "<hidden: %s changed>" % ", ".join(stale)})
        else:
            actions = (["remove"] if container is not None else []) + ["create", "write_manifest"]
    elif state in ("stopped", "absent"):
        if running:
            actions.append("stop")
        if state == "absent" and container is not None:
            actions.append("remove")
    return actions, drift


def main():
    argument_spec = dict(
        image=dict(type="str", default="sglang-dev:gh200"),
        state=dict(type="str", default="started", choices=["started", "stopped", "absent", "validated"]),
        workspace=dict(type="path"),
        env=dict(type="dict", default={}),
        secret_env=dict(type="dict", default={}, no_log=True),
        secret_files=dict(type="dict", default={}, no_log=True),
        pythonpath=dict(type="str", default="/workspaces/sglang/python"),
        init_run_hook=dict(type="str"),
        gpus=dict(type="str", default="all"),
        no_new_privileges=dict(type="bool", default=True),
        cap_drop=dict(type="list", elements="str", default=[]),
        ipc_mode=dict(type="str", default="host"),
        shm_size=dict(type="str", default="16g"),
        network_mode=dict(type="str", default="host"),
        recreate=dict(type="str", default="on-change", choices=["never", "on-change", "always"]),
        init=dict(type="bool", default=False),
        stop_timeout=dict(type="int", default=30),
        inventory_host=dict(type="str"),
    )
    for shared in (_docker.DOCKER_ARGS, _docker.CONTAINER_ARGS, _tree.HOST_TREE_ARGS, _tree.MODEL_STORE_ARGS):
        argument_spec.update(shared)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    problem = _manifest.name_problem(p["name"])
    if problem:
        module.fail_json(msg=problem)
    account, root, workspace, mounts = resolve(module)
    pointer = os.path.join(root, _manifest.POINTER)
    try:
        for what in ("env", "secret_env", "secret_files"):
            _manifest.check_env_keys(p[what], what)
        _manifest.check_secret_names(p["env"], p["secret_env"], p["secret_files"])
        desired = _manifest.desired_spec(p["image"], container_env(module), p["secret_env"].keys(), mounts,
                                         p["network_mode"], p["ipc_mode"], p["shm_size"], p["gpus"],
                                         p["no_new_privileges"], p["cap_drop"], p["init"])
    except _manifest.SpecError as exc:
        module.fail_json(msg="container %s: %s" % (p["name"], exc))

    try:
        cli = _docker.client(module)
        image = _docker.get_image(cli, p["image"])
        container = _docker.get_container(cli, p["name"])
        if p["state"] in ("validated", "started"):
            problems = preflight(module, cli, account, root, workspace, mounts, image)
            if problems:
                module.fail_json(msg="container %s preflight found %d problem(s): %s" % (p["name"], len(problems), "; ".join(problems)),
                                 problems=problems)
        if p["state"] == "validated":
            module.exit_json(changed=False, actions=[], drift=[], problems=[], container=describe(container), run_id=None,
                             manifest=None, pointer=pointer)

        actions, drift = plan(module, container, desired, image)
        current = _manifest.parse_env_file((_files.read_bytes(pointer) or b"").decode("utf-8", "replace"))
        if p["state"] in ("stopped", "absent") and current:
            actions.append("remove_pointer")
        elif p["state"] == "started" and "create" not in actions and container is not None:
            label_run = (container.labels or {}).get(_manifest.LABEL_RUN_ID)
            if current.get("RUN_ID") != label_run:
                actions.append("restore_pointer")
        run_id = current.get("RUN_ID") if p["state"] == "started" else None

        before = {"container": describe(container), "pointer_run_id": current.get("RUN_ID")}
        found = _evidence.found_line(container.attrs if container is not None else None)
        if module.check_mode:
            after = predict(module, before, actions)
            run_id = after["pointer_run_id"]
        else:
            if actions:
                container, run_id = execute(module, cli, container, image, account, root, mounts, actions, current)
            after = {"container": describe(container, run_id), "pointer_run_id": run_id}
    except _docker.DockerException as exc:
        module.fail_json(msg="container %s: Docker engine error: %s" % (p["name"], exc))
    except (OSError, _files.PathProblem) as exc:
        module.fail_json(msg="container %s: %s" % (p["name"], exc))

    manifest = os.path.join(root, _manifest.HISTORY, "%s.env" % run_id) if run_id and run_id != NEW_RUN else None
    module.exit_json(changed=bool(actions), actions=actions, drift=drift, problems=[], container=after["container"],
                     run_id=run_id, manifest=manifest, pointer=pointer, found=found, diff={"before": before, "after": after})


def predict(module, before, actions):
    """The state after the actions, without doing them (check mode)."""
    container = dict(before["container"])
    run_id = before["pointer_run_id"]
    if "create" in actions:
        container = {"name": module.params["name"], "status": "running", "image": module.params["image"], "run_id": NEW_RUN}
        run_id = NEW_RUN
    elif "remove" in actions:
        container = {}
    elif "stop" in actions:
        container["status"] = "exited"
    if "restore_pointer" in actions:
        run_id = container.get("run_id")
    if "remove_pointer" in actions:
        run_id = None
    return {"container": container, "pointer_run_id": run_id}


def execute(module, cli, container, image, account, root, mounts, actions, current):
    """Carry out the planned actions; returns (container, run_id)."""
    p = module.params
    run_id = current.get("RUN_ID")
    pointer = os.path.join(root, _manifest.POINTER)
    if "stop" in actions:
        container.stop(timeout=p["stop_timeout"])
    if "remove" in actions:
        container.remove(force=True)
        container = None
    if "create" in actions:
        run_id = _manifest.new_run_id(datetime.datetime.now(datetime.timezone.utc), binascii.hexlify(os.urandom(3)).decode())
        container = create(module, cli, image, mounts, run_id, account)
        write_manifest(module, container, image, account, root, mounts, run_id)
    if "write_secret_files" in actions:
        _docker.put_secret_files(container, p["secret_files"], account.pw_uid, account.pw_gid)
    if "restore_pointer" in actions:
        run_id = (container.labels or {}).get(_manifest.LABEL_RUN_ID)
        history = os.path.join(root, _manifest.HISTORY, "%s.env" % run_id)
        data = _files.read_bytes(history)
        if data is None:
            write_manifest(module, container, image, account, root, mounts, run_id)
        else:
            _files.atomic_write(pointer, data, mode=0o600, uid=account.pw_uid, gid=account.pw_gid, root=root)
    if "remove_pointer" in actions:
        _files.unlink_under(root, _manifest.POINTER)  # through directory handles: never a swapped telemetry/ link
        run_id = None
    if container is not None:
        container.reload()
    return container, run_id


def secret_files_to_write(container, files):
    """The names of ``files`` whose file in the container is missing or holds another value, sorted."""
    found = _docker.read_secret_digests(container, list(files))
    return sorted(name for name, digest in _docker.secret_digests(files).items() if found.get(name) != digest)


def create(module, cli, image, mounts, run_id, account):
    p = module.params
    env = container_env(module)
    labels = {
        _manifest.LABEL_MANAGED: "true",
        _manifest.LABEL_RUN_ID: run_id,
        _manifest.LABEL_ENV_KEYS: ",".join(sorted(env)),
        _manifest.LABEL_SECRET_KEYS: ",".join(sorted(p["secret_env"])),
    }
    full_env = dict(env)
    full_env.update((k, str(v)) for k, v in p["secret_env"].items())
    full_env["CONTAINER_RUN_ID"] = run_id
    gpu = _docker.gpu_request(_manifest.normalize_gpus(p["gpus"]))
    container = cli.containers.create(
        p["image"], name=p["name"], environment=full_env, labels=labels,
        mounts=[_docker.bind_mount(m["source"], m["target"], m["read_only"]) for m in mounts],
        network_mode=p["network_mode"], ipc_mode=p["ipc_mode"], shm_size=p["shm_size"],
        device_requests=[gpu] if gpu else None, stop_signal="SIGTERM", init=p["init"] or None,
        security_opt=["no-new-privileges:true"] if p["no_new_privileges"] else None,
        cap_drop=_manifest.security_from(True, p["cap_drop"])["cap_drop"] or None,
    )
    if p["secret_files"]:  # in place before the first process starts, so the entrypoint's hook can read them
        _docker.put_secret_files(container, p["secret_files"], account.pw_uid, account.pw_gid)
    container.start()
    container.reload()
    if container.status != "running":
        logs = container.logs(tail=5).decode("utf-8", "replace").strip().replace("\n", " | ")
        module.fail_json(msg="container %s exited right after start (status %s): %s" % (p["name"], container.status, logs or "no output"))
    return container


def write_manifest(module, container, image, account, root, mounts, run_id):
    items = _manifest.manifest_items(
        run_id,
        {"name": container.name, "id": container.id},
        {"name": module.params["image"], "id": image.id, "digest": (image.attrs.get("RepoDigests") or [None])[0]},
        account.pw_name, module.params["inventory_host"], root, mounts, container_env(module),
        (container.attrs.get("State") or {}).get("StartedAt", ""),
    )
    data = _manifest.render_env_file(items).encode("utf-8")
    history = os.path.join(root, _manifest.HISTORY, "%s.env" % run_id)
    _files.atomic_write(history, data, mode=0o600, uid=account.pw_uid, gid=account.pw_gid, root=root)
    _files.atomic_write(os.path.join(root, _manifest.POINTER), data, mode=0o600, uid=account.pw_uid, gid=account.pw_gid, root=root)


if __name__ == "__main__":
    main()
