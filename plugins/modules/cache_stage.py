#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cache_stage
short_description: Build one kernel-cache stage in the dev container, under a lock, skipped when its signature still holds
version_added: 0.1.0
description:
  - Runs one stage of phase 2 (C(flashinfer), C(inductor), C(deep_gemm) or C(moe)) inside the running
    dev container as O(user), with the stage's cache variable pointing into C(/profiles/<stage>/), and
    streams its output to C(/profiles/<stage>/compile.log).
  - The signature is a SHA-256 over a canonical JSON of what determines the artifacts, the stage, the
    exact argv and cache environment, the SHA-256 of the model's C(config.json), the versions of sglang,
    torch, triton, flashinfer and deep_gemm and the GPU as the container reports them, and the image id.
    With O(state=ensure) the stage is skipped, with C(changed=false), when C(signature.json) in the stage
    folder matches and every artifact it recorded is still there with the size it recorded.
  - The stage runs under an C(flock) on C(<root>/profiles/<stage>/.lock) (the same file the container sees
    as C(/profiles/<stage>/.lock)), tried without blocking for O(lock_wait) seconds, then refused naming its
    holder. The lock is released and its file removed on every exit path.
  - After the command, lock files that libraries leave in the stage folder (TorchInductor's FileLocks) are
    removed when no process holds them, tested with C(flock) as M(gh200.sglang.lock_cleanup) does; held
    ones are recorded in the entry.
  - Before the command runs, the batons of torch's C(FileBaton) (files named C(lock), held by existence, which the
    JIT builds of cpp_extension, FlashInfer and DeepGEMM leave behind when killed) written before the container
    started are removed, through directory handles, since no process alive in the container can hold them and the build
    would wait for them until O(timeout). Newer ones are left to their builds. The entry lists them
    (C(stale_batons_removed)).
  - Before the command runs, every file in the stage folder written before the container started that the
    stage's sealed signature does not vouch for (a half-built cache a stage killed with its controller left, or a
    planted file) is removed through directory handles, so the new signature vouches only for what a stage wrote;
    the entry counts them (C(unsigned_removed)). The signed artifacts stay for the command to build on; newer files
    may be a live process's in the container and stay too. O(reset) keeps nothing.
  - The previous signature is removed before the command runs; artifacts are counted, the stage's entry is
    merged into C(prep_result.json), and C(signature.json) is written last, only on success, as a commit marker.
  - The entry records, as C(server_args), the SGLang server arguments the stage's kernels are for (C(tp_size); the
    FlashInfer stage's C(attention_backend=flashinfer); the inductor stage's C(attention_backend), C(enable_torch_compile)
    and C(torch_compile_max_bs)), from the same stage arguments its command is rendered from. M(gh200.sglang.sglang_server)
    starts the phase-3 server with those of the stages phase 2 built. A command of your own (O(command)) must warm
    the kernels of those arguments.
  - The command is wrapped in C(timeout --kill-after=10 <timeout>), so a stage that passes O(timeout)
    ends with status C(timeout). A timeout says "run it again" (a DeepGEMM compile resumes from its cache),
    so the command runs again, still under the lock, up to O(timeout_retries) times, its log appended to.
  - For C(moe), the tuner's JSON (written into its working directory, the stage folder) is moved to
    C(configs/triton_<triton version with underscores>/), where SGLang reads it, after the container's own
    C(get_config_file_name) has given each file the same name; a different name (an older or newer SGLang
    than the tuner's, another GPU) fails the stage naming both.
  - The version probe imports nothing heavy (package metadata, torch's C(version.py), C(nvidia-smi)), so an
    O(state=ensure) that keeps its cache costs one short C(docker exec).
  - Fails with one line, before anything is written, on a model that is not a Hugging Face repo id or
    whose directory is missing, a stage argument with C(..), a leading C(-) or shell characters, a command
    naming an unknown argument, or a container that is not running.
author:
  - gh200.sglang maintainers (@gh200-sglang)
extends_documentation_fragment:
  - gh200.sglang.docker
  - gh200.sglang.docker.container
  - gh200.sglang.docker.host_tree
  - gh200.sglang.docker.stage
  - gh200.sglang.docker.stage_inputs
  - gh200.sglang.docker.model_store
options:
  state:
    description:
      - V(ensure) builds unless the signature holds, V(rebuild) always builds, V(skip) records the stage as skipped.
    type: str
    default: ensure
    choices: [ensure, rebuild, skip]
  command:
    description:
      - The stage's argv, each item a template. C({model_path}), C({cache_dir}), C({timeout}) and every
        key of O(stage_args) are substituted; an item that is only an unset placeholder is dropped.
      - >-
        Defaults to what SGLang itself does on a GPU host. C(deep_gemm) runs C(python3 -m sglang.compile_deep_gemm
        --model-path {model_path} --tp-size {tp_size} --trust-remote-code). C(inductor) and C(flashinfer) run a
        server warmed once (C(python3 -c <warm-server program> <launch_server flags>), which launches
        C(sglang.launch_server) on a free loopback port, waits for C(/health_generate), sends one C(/generate)
        request and stops the server by its PID), with C(--attention-backend {attention_backend} --enable-torch-compile
        --torch-compile-max-bs {torch_compile_max_bs}) for C(inductor) (torch.compile traces the attention backend the
        server runs) and C(--attention-backend flashinfer) for C(flashinfer).
        C(moe) runs C({sglang_repo}/benchmark/kernels/fused_moe_triton/tuning_fused_moe_triton.py --model
        {model_path} --tp-size {tp_size} --dtype {dtype} --tune).
      - >-
        The seed's C(sgl_admin caches ensure --model {model_path} --flashinfer ensure --deep-gemm skip ...) is
        the documented alternative (see README).
    type: list
    elements: str
  lock_wait:
    description: Seconds to keep trying the stage's lock before giving up.
    type: float
    default: 30
  timeout_retries:
    description: How many times a command that passed O(timeout) runs again (0 never).
    type: int
    default: 1
  quiet_timeout:
    description:
      - Seconds the command may go without a byte of output before it is stopped and the stage fails (0, no such
        bound), naming the lock files and batons in the stage folder it may wait on, with when each was written and
        who holds it, instead of waiting until O(timeout). A stopped stage is not run again.
      - Keep it above the longest silence of a real compile (one large CUDA file); the stage's progress lines say
        how long its log has been quiet.
    type: int
    default: 1200
attributes:
  check_mode:
    support: full
    description: Probes the container and reports whether the stage would run and why; runs and writes nothing.
  diff_mode:
    support: full
    description: The stage's signature before and after.
"""

EXAMPLES = r"""
- name: Ensure the DeepGEMM kernels for the model are compiled.
  gh200.sglang.cache_stage:
    stage: deep_gemm
    model: Qwen/Qwen3-Next-80B-A3B-Thinking-FP8
    stage_args: {tp_size: 1}
    host_user: ubuntu
  async: 7200
  poll: 0
  register: deep_gemm_job
"""

RETURN = r"""
decision:
  description: V(ran), V(kept) (signature held), V(skipped) (O(state=skip)), or V(would run) / V(would skip) in check mode.
  returned: always
  type: str
reason:
  description: Why the stage ran or was kept.
  returned: always
  type: str
  sample: "signature mismatch: model_config changed"
changed_inputs:
  description: The inputs that differ from the recorded signature's.
  returned: always
  type: list
  elements: str
signature:
  description: The signature of this run's inputs.
  returned: always
  type: str
status:
  description: The stage's status as recorded in C(prep_result.json) (V(ok), V(failed), V(timeout), V(skipped)); null when kept or in check mode.
  returned: always
  type: str
entry:
  description: The stage's entry written to C(prep_result.json); null when nothing was written.
  returned: always
  type: dict
argv:
  description: The command as run (before the timeout wrapper).
  returned: always
  type: list
  elements: str
log:
  description: The compile log on the host.
  returned: always
  type: str
check_skip:
  description: Why checks on this stage's evidence cannot judge it (V(stage not enabled (state=skip)), or check mode with a run pending); empty when they can.
  returned: when the options were valid and the container was running
  type: str
recorded:
  description: The stage's entry in C(prep_result.json) as it is on disk after the module (null when there is none).
  returned: when the options were valid and the container was running
  type: dict
  sample: {"status": "ok", "signature": "sha256:5d41...", "artifacts": 36, "bytes": 1843200, "duration_s": 41.2}
elapsed_s:
  description: Seconds the module took, probe and lock wait included (what a kept stage costs).
  returned: when the options were valid and the container was running
  type: float
artifacts:
  description: The stage folder's artifacts on disk after the module, and those not owned by the host user.
  returned: when the options were valid and the container was running
  type: dict
  sample: {"count": 36, "bytes": 1843200, "wrong_owner": [], "wrong_owner_count": 0}
"""

import errno
import json
import os
import threading
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gh200.sglang.plugins.module_utils import (
    _cache, _docker, _evidence, _files, _locks, _model, _prep, _signature, _stages, _tree)


class StageFailed(Exception):
    """The stage ran and did not produce a valid cache; the message is the one line to show."""


def log_write(log, data):
    """Write to the stage's log; False once the disk is full (the stage goes on, and is judged on its own)."""
    try:
        log.write(data)
        return True
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        return False


ENGINE_GONE = "the Docker engine stopped answering during the stage"
# The command's first output line, printed by the shell that then becomes the timeout wrapper: its PID in the container.
PID_MARK = b"# gh200.sglang stage pid "


class Pump(threading.Thread):
    """Streams the command's output into the log, noting when the last byte came and the wrapper's PID in the
    container (from PID_MARK); the engine lost under it is kept in ``lost``."""

    def __init__(self, stream, log, room):
        threading.Thread.__init__(self)
        self.daemon = True
        self.stream, self.log, self.room = stream, log, room
        self.last, self.pid, self.head, self.lost = time.time(), None, b"", None

    def run(self):
        try:
            for chunk in self.stream:
                self.last = time.time()
                if self.head is not None:  # the first line not yet seen
                    self.head += chunk
                    line, sep, rest = self.head.partition(b"\n")
                    if not sep and len(self.head) < 256:
                        continue
                    marked = sep and line.startswith(PID_MARK) and line[len(PID_MARK):].isdigit()
                    self.pid = int(line[len(PID_MARK):]) if marked else None
                    chunk, self.head = rest if marked else self.head, None
                self.room = self.room and log_write(self.log, chunk)
            if self.head:
                log_write(self.log, self.head)
        except _docker.ENGINE_LOST as exc:  # restarted under the stage: its command went with the container
            self.lost = exc


def stop_quiet(pump, container, p, stage_dir, root):
    """What the quiet command waits on (read before it is stopped), then SIGTERM to its timeout wrapper, as its own
    user from inside the container (the wrapper passes it to the command's process group, and SIGKILL 10 s later)."""
    waits = _locks.waited_on(stage_dir, keep=(os.path.join(stage_dir, ".lock"),), root=root)
    quiet = time.time() - pump.last
    if pump.pid:
        try:  # not stopped: the timeout wrapper still ends it at the stage's timeout
            _docker.exec_as(container, p["user"], ["sh", "-c", 'kill -TERM "$1"', "sh", str(pump.pid)], timeout=10)
        except (_docker.DockerException, _docker.ExecTimeout):
            pass
    pump.join(30)
    return _stages.quiet_line(quiet, p["quiet_timeout"], waits)


def run_command(cli, container, p, argv, env, workdir, log_path, account, root, stage_dir, attempt=0):
    """Stream the wrapped command's output into the log (appended to on a retry; never a planted symlink, FIFO or
    hard link, its folder reached from the host tree's root by handles); (exit code, elapsed, why the container is gone
    or None (it stopped, or the engine stopped answering), why the command was stopped after quiet_timeout seconds
    without output or None). A log that fills the disk stops growing: the stage runs on and is recorded as it ends."""
    wrapped = ["sh", "-c", 'echo "%s$$"; exec "$@"' % PID_MARK.decode(), "sh",
               "timeout", "--kill-after=10", str(p["timeout"])] + argv
    started, quiet = time.time(), None
    with _files.open_for_write(log_path, root, account.pw_uid, account.pw_gid, append=bool(attempt), buffered=False) as log:
        retry = "attempt %d after a timeout, " % (attempt + 1) if attempt else ""
        header = "%s%s, %s, %sargv: %s\n" % (_prep.LOG_HEADER, p["stage"], _locks.utc(started), retry, argv)
        room = log_write(log, header.encode("utf-8"))
        exec_id = cli.api.exec_create(container.id, wrapped, user=p["user"], environment=env, workdir=workdir)["Id"]
        pump = Pump(cli.api.exec_start(exec_id, stream=True), log, room)
        pump.start()
        while pump.is_alive():
            pump.join(1.0)
            if pump.is_alive() and p["quiet_timeout"] and time.time() - pump.last >= p["quiet_timeout"]:
                quiet = stop_quiet(pump, container, p, stage_dir, root)
                log_write(log, ("\ngh200.sglang: %s\n" % quiet).encode("utf-8"))
                break
        lost = pump.lost
        if lost is None:
            try:
                code = cli.api.exec_inspect(exec_id).get("ExitCode")
            except _docker.ENGINE_LOST as exc:
                lost = exc
        if lost is not None:  # restarted under the stage: its command went with the container
            log_write(log, ("\ngh200.sglang: the Docker engine stopped answering: %s\n" % _docker.first_line(lost)).encode())
            return None, time.time() - started, ENGINE_GONE, None
    elapsed = time.time() - started
    # A command ended by a signal may have gone with its container: the engine takes a moment to say so.
    try:
        for dummy in range(12 if code in (None, 137, 143) and not quiet else 1):
            container.reload()
            if container.status != "running":
                break
            time.sleep(0.25)
    except _docker.ENGINE_LOST:
        return code, elapsed, ENGINE_GONE, quiet
    return code, elapsed, None if container.status == "running" else "container %s stopped during the stage" % p["name"], quiet


def place_moe(container, p, root, stage_dir, cache_dir, facts, account):
    """Move the tuner's config JSON from the stage folder (its working directory) to
    configs/triton_<version>/, where SGLang reads it, once the container's own get_config_file_name gives
    each the same name. The problem as one phrase, or None."""
    tuned = sorted(n for n in os.listdir(stage_dir) if _stages.moe_name_params(n)
                   and os.path.isfile(os.path.join(stage_dir, n)) and not os.path.islink(os.path.join(stage_dir, n)))
    if not tuned:
        return "the tuner wrote no config named E=<experts>,N=<size>,device_name=<gpu>[,dtype=...].json in %s" % cache_dir
    triton = facts["versions"].get("triton")
    if not triton:
        return "triton is not installed in the container, and SGLang reads tuned MoE configs from configs/triton_<version>/"
    params = json.dumps([_stages.moe_name_params(n) for n in tuned])
    rc, out, err = _docker.exec_as(container, p["user"], [p["python"], "-c", _stages.MOE_NAME_PROBE, params])
    if rc != 0:
        return "the container's get_config_file_name failed (rc=%d): %s" % (rc, ((err or out).strip().splitlines() or ["?"])[-1])
    mismatches = _stages.moe_mismatches(tuned, json.loads(out.strip().splitlines()[-1]))
    if mismatches:
        return "; ".join(mismatches)
    folder = os.path.join(stage_dir, *_stages.moe_config_path("", triton, "x").strip("/").split("/")[:-1])
    try:  # folders made and files moved through handles from the root: a planted symlink is refused, never followed
        _files.ensure_dirs(root, _files.relative(root, folder), account.pw_uid, account.pw_gid)
        for name in tuned:
            _files.move_within(root, os.path.join(stage_dir, name), os.path.join(folder, name))
    except _files.PathProblem as exc:
        return str(exc)
    return None


def remove_stale_batons(stage_dir, container):
    """Remove the batons under the stage folder written before the container started; their paths, relative."""
    started = _evidence.container_facts(container.attrs).get("started_epoch")
    if not started:
        return []
    removed = []
    for path in _locks.stale_batons(stage_dir, started):
        rel = os.path.relpath(path, stage_dir)
        _files.unlink_under(stage_dir, rel)  # through directory handles: a folder swapped for a link is never followed
        removed.append(rel)
    return removed


def main():
    argument_spec = dict(
        stage=dict(type="str", required=True, choices=list(_stages.STAGE_NAMES)),
        state=dict(type="str", default="ensure", choices=list(_cache.STATES)),
        command=dict(type="list", elements="str"),
        lock_wait=dict(type="float", default=30),
        timeout_retries=dict(type="int", default=1),
        quiet_timeout=dict(type="int", default=1200),
    )
    argument_spec.update(_cache.STAGE_INPUT_ARGS, **_docker.DOCKER_ARGS)
    argument_spec.update(_docker.CONTAINER_ARGS)
    argument_spec.update(_tree.HOST_TREE_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    begun = time.time()
    p = module.params
    stage = p["stage"]
    problem = _model.policy_problem(p["model"]) or _cache.limits_problem(
        p["timeout"], p["lock_wait"], p["timeout_retries"], p["quiet_timeout"])
    if problem:
        module.fail_json(msg="stage %s: %s" % (stage, problem))
    try:
        account, root = _tree.resolve_root(p["host_user"], p["root"])
        where = _cache.layout(root, stage, p["model"], p["command"], p["stage_args"], p["env"], p["timeout"],
                              p["profiles_mount"], p["models_mount"], p["model_store"])
    except (_tree.OptionProblem, _stages.StageProblem) as exc:
        module.fail_json(msg="stage %s: %s" % (stage, exc))
    digest, problem = _cache.model_digest(where["model_dir"])
    if problem:
        module.fail_json(msg="stage %s: %s" % (stage, problem))
    argv, env, stage_dir, log_path, prep_path, sig_path = (where[k] for k in ("argv", "env", "stage_dir", "log", "prep", "sig"))
    result = dict(changed=False, argv=argv, log=log_path, status=None, entry=None)

    def evidence(found=None, recorded=None):
        pending = result.get("reason") if module.check_mode and result["changed"] else None
        return _cache.evidence(stage, p["state"], where, account.pw_uid, begun, pending, found, recorded)
    try:
        cli = _docker.client(module)
        container = _docker.running_container(module, cli, p["name"], "before the %s stage" % stage)
        facts, problem = _cache.probe(container, p["user"], p["python"])
        if problem:
            module.fail_json(msg="stage %s: %s in container %s" % (stage, problem, p["name"]))
        inputs = _cache.inputs(stage, where, digest, facts, container.attrs.get("Image"))
        verdict = _cache.assess(p["state"], p["reset"], inputs, where)
        action, signature = verdict["action"], verdict["signature"]
        result.update(reason=verdict["reason"], changed_inputs=verdict["changed_inputs"], signature=signature,
                      diff=dict(before="signature: %s\n" % verdict["stored"],
                                after="signature: %s\n" % (signature if action == "run" else verdict["stored"])))
        on_disk = _prep.read(prep_path)
        settled = _cache.decision(action, on_disk.get(stage), module.check_mode)
        if settled:  # nothing written: the entry just read is the evidence's
            result["changed"] = settled[1]
            module.exit_json(decision=settled[0], **dict(result, **evidence(recorded=on_disk)))
        result["changed"] = True
        reason = verdict["reason"]
        if action == "skip":
            now = time.time()
            entry = _prep.entry("skipped", None, now, now, {}, extra={"reason": reason})
            _prep.update(prep_path, stage, entry, uid=account.pw_uid, gid=account.pw_gid, wait=p["lock_wait"], root=root)
            result.update(status="skipped", entry=entry)
            module.exit_json(decision="skipped", **dict(result, **evidence()))
        # From here on the tree is touched only through folder handles reached from its root without following a
        # symlink: a stage folder swapped for a link to /etc while the container was probed is refused, never emptied.
        stage_rel = _files.relative(root, stage_dir)
        _files.ensure_dirs(root, stage_rel, account.pw_uid, account.pw_gid)
        with _locks.acquire(os.path.join(stage_dir, ".lock"), wait=p["lock_wait"], root=root):
            vouched = None if p["reset"] else _cache.vouched(root, stage_rel)
            _files.unlink_under(root, stage_rel + "/signature.json")  # gone or not
            if p["reset"]:
                _files.remove_contents(root, stage_rel, keep=(".lock",))
            # A build killed with an earlier container left its baton ("lock", held by existence): no process in this
            # container can hold one written before it started, and the build would wait for it for ever.
            batons = remove_stale_batons(stage_dir, container)
            # Only what the signature vouches for is built on: the rest of what was written before this container
            # started (a half-built cache of a stage killed with its controller, a planted file) goes first, so the new
            # signature never vouches for bytes no stage wrote. Newer files may be a live process's in this container.
            unvouched = 0 if p["reset"] else _files.remove_contents(
                root, stage_rel, keep=(".lock", "compile.log"), kept=vouched,
                before=_evidence.container_facts(container.attrs).get("started_epoch"))[0]
            started = time.time()  # after the lock wait: the entry's times are the command's own
            attempts = []
            while True:  # a timeout says "run it again": the caches resume where the last attempt stopped
                code, elapsed, gone, quiet = run_command(cli, container, p, argv, env, where["cache_dir"], log_path,
                                                         account, root, stage_dir, len(attempts))
                attempts.append("failed" if quiet else _stages.outcome(code, elapsed, p["timeout"], not gone))
                if attempts[-1] != "timeout" or len(attempts) > p["timeout_retries"]:
                    break
            status, finished = attempts[-1], time.time()
            # Libraries leave lock files of their own (TorchInductor's FileLocks): those nobody holds go now.
            stale, held = _locks.clean(stage_dir, keep=(os.path.join(stage_dir, ".lock"),))
            problem = place_moe(container, p, root, stage_dir, where["cache_dir"], facts, account) if status == "ok" and stage == "moe" else None
            # The engine gone: what follows reads the host only (the folder, the log), so the failure is still recorded.
            found = _prep.artifacts(stage_dir, account.pw_uid)
            log_text = (_files.read_bytes(log_path, tail=True) or b"").decode("utf-8", "replace")
            if status == "ok" and (problem or not found["count"]):
                status, log_text = "failed", problem or "the command succeeded but left no artifact in %s" % where["cache_dir"]
            extra = dict(reason=reason, exit_code=code, log="%s/compile.log" % where["cache_dir"], stale_locks_removed=len(stale),
                         attempts=len(attempts), stale_batons_removed=batons,
                         unsigned_removed=unvouched, server_args=where["server_args"])
            if held:
                extra["locks_held"] = ["%s by %s" % (path, _locks.describe_holder(path, line)[0]) for path, line in held]
            if gone:
                extra["container"] = gone
            if quiet:
                extra["quiet"] = quiet
                log_text = quiet  # the entry's first error, and the failure's one line
            if status != "ok" and (_files.NO_SPACE in log_text or _files.free_space(root, stage_rel)[0] < _files.LOW_SPACE):
                extra["disk"] = _files.space_line(root, stage_rel)
            entry = _prep.entry(status, signature, started, finished, found, log_text, extra=extra)
            _prep.update(prep_path, stage, entry, uid=account.pw_uid, gid=account.pw_gid, wait=p["lock_wait"], root=root)
            if status == "ok":
                record = dict(_signature.record(inputs, found["files"], found["sizes"]), written=_locks.utc(time.time()))
                _files.atomic_write(sig_path, _files.json_bytes(record), mode=0o644, uid=account.pw_uid, gid=account.pw_gid,
                                    root=root)
        result.update(status=status, entry=entry)
        if status != "ok":
            cause = (entry.get("errors") or ["no output"])[0]
            raise StageFailed("stage %s: %s (exit %s) after %.1fs%s: %s" % (
                stage, extra.get("container") or status, code, finished - started,
                " and %d attempts" % len(attempts) if len(attempts) > 1 else "",
                "%s; %s" % (extra["disk"], cause) if extra.get("disk") else cause))
    except StageFailed as exc:
        module.fail_json(msg=str(exc), decision="ran", **dict(result, **evidence(found)))
    except _locks.LockHeld as exc:
        module.fail_json(msg="stage %s: %s" % (stage, exc), **result)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            module.fail_json(msg="stage %s: %s" % (stage, exc), **result)
        # Every record is written atomically: a write that found no space left the one before it whole.
        module.fail_json(msg="stage %s: %s, writing %s; prep_result.json and the other stages' signatures are whole" % (
            stage, _files.space_line(root, _files.relative(root, stage_dir)), exc.filename or "its records"), **result)
    except (_docker.DockerException, _files.PathProblem) as exc:
        module.fail_json(msg="stage %s: %s" % (stage, exc), **result)
    module.exit_json(decision="ran", **dict(result, **evidence(found)))


if __name__ == "__main__":
    main()
