# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run manifests and container drift for container_run: pure functions (private to the collection)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import shlex

LABEL_MANAGED = "org.gh200-sglang.managed"
LABEL_RUN_ID = "org.gh200-sglang.run-id"
LABEL_ENV_KEYS = "org.gh200-sglang.env-keys"
LABEL_SECRET_KEYS = "org.gh200-sglang.secret-env-keys"

POINTER = "telemetry/container_run_meta.env"
HISTORY = "telemetry/container_runs"

# Docker accepts [a-zA-Z0-9][a-zA-Z0-9_.-]+ for container names.
NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+\Z")
_SIZE_RE = re.compile(r"^\s*(\d+)\s*([bkmg]?)b?\s*$", re.IGNORECASE)
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")


class SpecError(ValueError):
    """An option value that cannot describe a container."""


def name_problem(name):
    if not NAME_RE.match(name or ""):
        return "container name %r is invalid: Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]+" % (name,)
    return None


def size_to_bytes(size):
    """Docker's size syntax ('16g', '512m', '1073741824') -> bytes."""
    match = _SIZE_RE.match(str(size))
    if not match:
        raise SpecError("shm_size %r is invalid: use a number with an optional b, k, m or g suffix" % (size,))
    return int(match.group(1)) * {"": 1, "b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[match.group(2).lower()]


def normalize_gpus(gpus):
    """'all' | 'none' | '0,1' (or a list of ids) -> the device request as compared with inspect data."""
    if isinstance(gpus, (list, tuple)):
        ids = [str(g).strip() for g in gpus if str(g).strip()]
    else:
        value = (gpus or "none").strip().lower()
        if value == "none":
            return None
        if value == "all":
            return {"driver": "nvidia", "count": -1, "device_ids": None}
        ids = [g.strip() for g in value.split(",") if g.strip()]
    if not ids:
        return None
    return {"driver": "nvidia", "count": 0, "device_ids": ids}


def gpus_from_inspect(device_requests):
    for req in device_requests or []:
        if [c for caps in (req.get("Capabilities") or []) for c in caps if c == "gpu"] or req.get("Driver") == "nvidia":
            ids = req.get("DeviceIDs") or None
            return {"driver": "nvidia", "count": 0 if ids else req.get("Count", 0), "device_ids": ids}
    return None


def check_env_keys(env, what):
    bad = sorted(k for k in env if not _KEY_RE.match(k))
    if bad:
        raise SpecError("%s has invalid variable names: %s" % (what, ", ".join(bad)))


def check_secret_names(env, secret_env, secret_files):
    """SpecError when a name is given twice across env, secret_env and secret_files, or a secret file's <NAME>_PATH
    variable is also set in env or secret_env (one would silently win over the other)."""
    clashes = sorted((set(env) & set(secret_env)) | (set(env) & set(secret_files)) | (set(secret_env) & set(secret_files))
                     | ((set(env) | set(secret_env)) & set("%s_PATH" % n for n in secret_files)))
    if clashes:
        raise SpecError("each variable may be set once across env, secret_env and secret_files (with <NAME>_PATH for a "
                        "secret file): %s" % ", ".join(clashes))


_CAPABILITY_RE = re.compile(r"^(CAP_)?[A-Z][A-Z_]*\Z")


def capability_problems(cap_drop):
    """One line for each cap_drop entry that is not a capability name (NET_RAW, CAP_SYS_ADMIN, ALL)."""
    return ["cap_drop %r is not a capability name (such as NET_RAW or ALL)" % c for c in cap_drop or []
            if not _CAPABILITY_RE.match(str(c).upper())]


def security_from(no_new_privileges, cap_drop):
    """The container's hardening, as compared: no-new-privileges (a setuid binary in the container gains nothing)
    and the capabilities dropped, upper case and sorted."""
    return {"no_new_privileges": bool(no_new_privileges),
            "cap_drop": sorted(set(str(c).upper().replace("CAP_", "", 1) for c in cap_drop or []))}


def desired_spec(image, env, secret_keys, mounts, network_mode, ipc_mode, shm_size, gpus, no_new_privileges=True,
                 cap_drop=(), init=False):
    """The configuration a container must have, in the form spec_from_inspect() produces."""
    return {
        "init": bool(init),
        "security": security_from(no_new_privileges, cap_drop),
        "image": image,
        "env": dict((k, str(v)) for k, v in env.items()),
        "secret_env_keys": sorted(secret_keys),
        "mounts": sorted(({"source": m["source"], "target": m["target"], "read_only": bool(m["read_only"])} for m in mounts),
                         key=lambda m: m["target"]),
        "network_mode": network_mode,
        "ipc_mode": ipc_mode,
        "shm_size": size_to_bytes(shm_size),
        "gpus": normalize_gpus(gpus),
    }


def spec_from_inspect(attrs):
    """The same shape as desired_spec(), read from `docker inspect` data of a container."""
    config = attrs.get("Config") or {}
    host = attrs.get("HostConfig") or {}
    labels = config.get("Labels") or {}
    all_env = dict(e.split("=", 1) if "=" in e else (e, "") for e in config.get("Env") or [])
    managed = [k for k in (labels.get(LABEL_ENV_KEYS) or "").split(",") if k]
    secret_keys = [k for k in (labels.get(LABEL_SECRET_KEYS) or "").split(",") if k]
    options = [str(o) for o in host.get("SecurityOpt") or []]
    return {
        "init": bool(host.get("Init")),
        "security": security_from(any(o.replace("=", ":") in ("no-new-privileges", "no-new-privileges:true") for o in options),
                                  host.get("CapDrop") or []),
        "image": config.get("Image"),
        "env": dict((k, all_env[k]) for k in managed if k in all_env),
        "secret_env_keys": sorted(secret_keys),
        "mounts": sorted(({"source": m.get("Source"), "target": m.get("Destination"), "read_only": not m.get("RW", True)}
                          for m in attrs.get("Mounts") or [] if m.get("Type") == "bind"), key=lambda m: m["target"]),
        "network_mode": host.get("NetworkMode"),
        "ipc_mode": host.get("IpcMode"),
        "shm_size": host.get("ShmSize"),
        "gpus": gpus_from_inspect(host.get("DeviceRequests")),
        "_all_env": all_env,
    }


def drift(desired, actual, secret_env, image_id=None, actual_image_id=None):
    """What differs between the desired and the running configuration.

    Returns a list of {key, before, after}; secret values never appear (shown as '<hidden>').
    """
    changes = []
    for key in ("image", "env", "mounts", "network_mode", "ipc_mode", "shm_size", "gpus", "secret_env_keys", "security", "init"):
        if desired[key] != actual.get(key):
            changes.append({"key": key, "before": actual.get(key), "after": desired[key]})
    if image_id and actual_image_id and image_id != actual_image_id and desired["image"] == actual.get("image"):
        changes.append({"key": "image_id", "before": actual_image_id, "after": image_id})
    running_env = actual.get("_all_env", {})
    changed_secrets = sorted(k for k, v in secret_env.items() if running_env.get(k) != str(v))
    if changed_secrets and desired["secret_env_keys"] == actual.get("secret_env_keys"):
        changes.append({"key": "secret_env", "before": "<hidden>", "after": "<hidden: %s changed>" % ", ".join(changed_secrets)})
    return changes


def new_run_id(now, token):
    """'20251011T120000Z-1a2b3c' from a UTC datetime and a short random token."""
    return "%s-%s" % (now.strftime("%Y%m%dT%H%M%SZ"), token)


def manifest_items(run_id, container, image, host_user, inventory_host, root, mounts, env, started_at):
    """Ordered (key, value) pairs of a run manifest. Only non-secret env; never secret values or names."""
    items = [
        ("RUN_ID", run_id),
        ("RUN_MANIFEST", "%s/%s/%s.env" % (root, HISTORY, run_id)),
        ("CONTAINER_NAME", container.get("name", "")),
        ("CONTAINER_ID", container.get("id", "")),
        ("IMAGE", image.get("name", "")),
        ("IMAGE_ID", image.get("id", "")),
        ("IMAGE_DIGEST", image.get("digest") or ""),
        ("STARTED_AT", started_at),
        ("HOST_USER", host_user),
        ("ANSIBLE_HOST", inventory_host or ""),
        ("HOST_ROOT", root),
        ("MOUNTS", ";".join("%s:%s:%s" % (m["source"], m["target"], "ro" if m["read_only"] else "rw")
                            for m in sorted(mounts, key=lambda m: m["target"]))),
    ]
    items.extend(("ENV_%s" % k, str(env[k])) for k in sorted(env))
    return items


def render_env_file(items):
    """KEY=value lines, values shell-quoted so the file can be sourced."""
    return "".join("%s=%s\n" % (k, shlex.quote(str(v))) for k, v in items)


def parse_env_file(text):
    """Inverse of render_env_file(); ignores blank lines and comments. The file lies in the host tree, where anything
    may have been written: a value whose quotes do not close is taken as it stands, never an error."""
    out = {}
    for line in (text or "").splitlines():
        if not line.strip() or line.lstrip().startswith("#") or "=" not in line:
            continue
        key, raw = line.split("=", 1)
        try:
            parts = shlex.split(raw) if raw.strip() else [""]
        except ValueError:
            parts = [raw.strip()]
        out[key.strip()] = parts[0] if parts else ""
    return out
