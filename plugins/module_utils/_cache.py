# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the kernel-cache modules share (private to the collection): a stage's paths and argv from the
module's options, the inputs its signature covers, whether the stage is kept, run or skipped, and the
evidence on disk that the caches role's checks read. ``cache_stage`` acts on one stage with it;
``cache_plan`` asks it of every stage at once, with one probe of the container.

It reads the host tree and writes nothing; ``probe`` runs one short read-only command in the container.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import math
import os
import time

from ansible_collections.gh200.sglang.plugins.module_utils import _docker, _files, _prep, _signature, _stages, _tree

# What a stage can be asked to do: build unless its signature holds, always build, or record it as skipped.
STATES = ("ensure", "rebuild", "skip")

# Options of the modules that judge a stage's signature (documented in doc_fragments/docker.py, STAGE_INPUTS).
STAGE_INPUT_ARGS = dict(
    model=dict(type="str", required=True),
    reset=dict(type="bool", default=False),
    stage_args=dict(type="dict", default={}),
    env=dict(type="dict", default={}),
    user=dict(type="str", default="devuser"),
    python=dict(type="str", default="python3"),
    timeout=dict(type="int", default=3600),
    profiles_mount=dict(type="str", default="/profiles"),
    models_mount=dict(type="str", default="/models"),
    **_tree.MODEL_STORE_ARGS
)


def limits_problem(timeout, lock_wait=None, retries=None, quiet=None):
    """One line when a stage's limits cannot bound it, else None: ``timeout`` of 0 would switch the command's limit
    off (coreutils timeout), a NaN or infinite ``lock_wait`` would wait for ever; ``quiet`` (seconds with no output
    before the command is stopped) is 0 (no such bound) or more."""
    if timeout is None or timeout < 1:
        return "timeout must be 1 second or more (0 would run the command without a limit), got %r" % (timeout,)
    if lock_wait is not None and (math.isnan(lock_wait) or math.isinf(lock_wait) or lock_wait < 0):
        return "lock_wait must be a finite number of seconds, 0 or more, got %r" % (lock_wait,)
    if retries is not None and retries < 0:
        return "timeout_retries must be 0 or more, got %r" % (retries,)
    if quiet is not None and quiet < 0:
        return "quiet_timeout must be 0 (no bound) or more seconds, got %r" % (quiet,)
    return None


def plan_problem(stages, commands):
    """The first problem with a plan's ``stages`` ({stage: state}) and ``commands`` ({stage: argv}), as one line
    naming it, or None. A command's items are checked when it is rendered (_stages.render_argv)."""
    for stage in list(stages) + list(commands):
        if stage not in _stages.STAGE_NAMES:
            return "stage %r is not one of %s" % (stage, ", ".join(_stages.STAGE_NAMES))
    for stage, state in stages.items():
        if state not in STATES:
            return "stage %s: state %r is not one of %s" % (stage, state, ", ".join(STATES))
    return None


def layout(root, stage, model, command=None, stage_args=None, env=None, timeout=3600, profiles_mount="/profiles",
           models_mount="/models", model_store=""):
    """Where the stage's files are and what it runs: a dict of model_dir, stage_dir, cache_dir (as the container
    sees it), argv, server_args (the server arguments its kernels are for), env, log, sig and prep (paths on the
    host). The model is read from ``model_store`` when one is named, else from the tree's models/. Raises
    _tree.OptionProblem for a path that leaves the tree (or the store) and _stages.StageProblem for an argument or
    command that cannot be used. The MoE stage reads the model's config.json (a regular file, never through a
    symlink) for its dtype; nothing else is read."""
    if model_store:
        model_dir = _tree.confine(_tree.store_path(model_store, root), "model directory", model)[0]
    else:
        model_dir = _tree.confine(root, "model directory", "models/" + model)[0]
    stage_dir = _tree.confine(root, "stage folder", "profiles/" + _stages.STAGES[stage]["dir"])[0]
    cache_dir = _stages.cache_dir(stage, profiles_mount)
    values = dict(_stages.DEFAULT_ARGS, **_stages.check_args(stage_args or {}))
    if stage == "moe":  # tuned for the weights the server runs: FP8 or INT8 from the model's quantization_config
        config = _files.read_json(os.path.join(model_dir, "config.json"), quarantine=False)[0]
        values["dtype"] = _stages.moe_dtype(values["dtype"], config)
    values.update(model_path="%s/%s" % (models_mount.rstrip("/"), model), cache_dir=cache_dir, timeout=str(timeout))
    return dict(model_dir=model_dir, stage_dir=stage_dir, cache_dir=cache_dir,
                argv=_stages.render_argv(stage, command or _stages.DEFAULT_COMMANDS[stage], values),
                server_args=_stages.kernel_args(stage, values),
                env=_stages.stage_env(stage, profiles_mount, env), log=os.path.join(stage_dir, "compile.log"),
                sig=os.path.join(stage_dir, "signature.json"), prep=os.path.join(root, "profiles", "prep_result.json"))


def model_digest(model_dir):
    """("sha256:<hex>" of the model's config.json, None) or (None, the problem as one phrase)."""
    if not os.path.isdir(model_dir):
        return None, "model directory %s does not exist" % model_dir
    config = _files.read_bytes(os.path.join(model_dir, "config.json"))
    if config is None:
        return None, "model directory %s has no config.json" % model_dir
    return "sha256:" + hashlib.sha256(config).hexdigest(), None


def probe(container, user, python):
    """(the versions and GPU the container reports, None) or (None, the problem as one phrase): one ``docker exec``
    of _stages.VERSIONS_PROBE, which imports nothing heavy."""
    rc, out, err = _docker.exec_as(container, user, [python, "-c", _stages.VERSIONS_PROBE])
    lines = out.strip().splitlines()
    if rc == 0 and lines:
        try:
            return json.loads(lines[-1]), None
        except ValueError:
            pass
    return None, "the version probe failed (rc=%d): %s" % (rc, ((err or out).strip().splitlines() or ["no output"])[-1])


def inputs(stage, where, config_digest, facts, image_id):
    """What the stage's signature covers: the stage, its argv and cache environment, the model's config.json
    (``config_digest``, from model_digest), the library versions and GPU the container reports (``facts``, from
    _stages.VERSIONS_PROBE), the image id."""
    return dict(stage=stage, argv=where["argv"], env=recorded_env(stage, where["env"]), model_config=config_digest,
                versions=facts["versions"], gpu=facts["gpu"], image_id=image_id)


def recorded_env(stage, env):
    """The stage's environment as its signature records it (signature.json is 0644 on the host tree): the stage's own
    cache variables as they are, every other value (what the user added: it may be a token) as its sha256 digest, so a
    changed value still changes the signature and is named as changed, and no value is written."""
    own = _stages.STAGES[stage]["env"]
    return dict((key, value if key in own else "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest())
                for key, value in env.items())


def vouched(root, stage_rel):
    """Paths relative to the stage folder ``stage_rel`` (``profiles/<folder>``) that its sealed signature vouches
    for: its artifacts of their recorded sizes and the folders holding them, and compile.log (_tree.signed_caches,
    the rule phase 0 judges the folder by)."""
    allowed = _tree.signed_caches(root, [stage_rel.split("/", 1)[1]])[0]
    return set(path[len(stage_rel) + 1:] for path in allowed if path.startswith(stage_rel + "/"))


def assess(state, reset, stage_inputs, where):
    """Whether the stage runs, is kept or skipped, compared with its stored signature record:
    dict(action ('run' | 'keep' | 'skip'), reason, changed_inputs, signature (of these inputs), stored (the
    recorded signature, or None))."""
    stored = _files.read_json(where["sig"], quarantine=False)[0]
    found, changed = _signature.verdict(stored, stage_inputs)
    recorded = ((stored or {}).get("artifacts") or []) if found == "match" else []
    missing = _stages.damaged(where["stage_dir"], stored) if found == "match" else []
    action, reason = _stages.decide("rebuild" if reset and state != "skip" else state, found, changed, missing, len(recorded))
    return dict(action=action, reason="reset=true" if reset and action == "run" else reason, changed_inputs=changed,
                signature=_signature.signature(stage_inputs), stored=(stored or {}).get("signature"))


def decision(action, old_entry, check_mode):
    """(decision, changed) when the stage needs nothing written, or when check mode only predicts; None when
    the stage must run or be recorded as skipped. A kept stage and a skip already recorded change nothing."""
    if action == "keep":
        return "kept", False
    if action == "skip" and (old_entry or {}).get("status") == "skipped":
        return "skipped", False
    if check_mode:
        return ("would run" if action == "run" else "would skip"), True
    return None


def evidence(stage, state, where, uid, begun, pending=None, found=None, recorded=None):
    """What is on disk now, for the role's checks: the stage's entry in prep_result.json (from ``recorded``, the
    stages the caller has just read from it, or read here), its artifacts (``found`` when the caller has just walked
    the folder), the seconds since ``begun``, and why a check cannot judge them (the stage is not enabled, or
    ``pending``: why check mode would have run it)."""
    found = found or _prep.artifacts(where["stage_dir"], uid)
    recorded = _prep.read(where["prep"]) if recorded is None else recorded
    skip = ("stage not enabled (state=skip)" if state == "skip" else
            "check mode: the stage would run (%s)" % pending if pending else "")
    return dict(check_skip=skip, recorded=recorded.get(stage), elapsed_s=round(time.time() - begun, 3),
                artifacts=dict(count=found["count"], bytes=found["bytes"], wrong_owner=found["wrong_owner"][:10],
                               wrong_owner_count=len(found["wrong_owner"])))
