"""Bad input, table-driven (issue 23, item 6): each hostile value given to a module ends it with one line naming the
option and the cause, no traceback, and nothing changed: the host tree (every entry's mode, owner, size and time),
the engine's containers and the dev container's state are the same before and after.

The modules run as Ansible runs them on a host (the module file with its arguments), against a host tree owned by
the test bed's host user and a running dev container on the stand-in image, which each case would change if its
validation let it through (container_run is told to recreate it, cache_stage to reset its stage)."""
import json
import os
import re
import shutil
import subprocess
import sys
import uuid

import docker
import pytest

from conftest import BASE, IMAGE, MODEL, REPO, make_tree

USER = "gh200dry"  # the test bed's host user (scripts/setup.sh)
LONG = "a" * 5000


@pytest.fixture(scope="module")
def bed():
    """(root, container name): a host tree and a running dev container for every case of the table."""
    def extra(root):
        (root / "profiles" / "inductor" / "kernel.so").write_text("a cached kernel a reset would remove\n")
        (root / "telemetry" / "logs").mkdir()
        (root.parent / "image").mkdir()
        (root.parent / "image" / "Dockerfile").write_text("FROM scratch\n")  # an image_build context, beside the tree

    root = make_tree(BASE / ("bad-input-" + uuid.uuid4().hex[:8]), extra)
    engine = docker.from_env()
    name = "gh200-bad-input-" + uuid.uuid4().hex[:8]
    container = engine.containers.run(
        IMAGE, entrypoint=["sleep", "infinity"], name=name, detach=True, network_mode="none",
        mounts=[docker.types.Mount("/models", str(root / "models"), type="bind", read_only=True),
                docker.types.Mount("/profiles", str(root / "profiles"), type="bind")])
    yield str(root), name
    container.remove(force=True)
    shutil.rmtree(str(root.parent), ignore_errors=True)


def state(root):
    """Every entry under the tree (path, mode, uid, gid, size, mtime) and every container a case could create or change
    (this table's, by name: other suites may run beside it on the same engine), with its id, status and start time."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            entries.append((os.path.relpath(path, root), info.st_mode, info.st_uid, info.st_gid,
                            0 if os.path.isdir(path) else info.st_size, info.st_mtime_ns))
    containers = sorted((c.name, c.id, c.status, c.attrs["State"]["StartedAt"])
                        for c in docker.from_env().containers.list(all=True) if c.name.startswith("gh200-bad-input"))
    return sorted(entries), containers


def run_module(name, args, tmp_path):
    """The module run as Ansible runs it on a host; (its JSON answer or None, stdout, stderr)."""
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=str(REPO / "collections"))
    proc = subprocess.run([sys.executable, str(REPO / "plugins" / "modules" / ("%s.py" % name)), str(args_file)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, timeout=120, check=False)
    try:
        answer = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        answer = None
    return answer, proc.stdout, proc.stderr


def tree_args(root, **extra):
    return dict(dict(root=root, host_user=USER), **extra)


# (module, arguments given the bed's root and container, what the one line must say). At least 30 hostile values:
# the cases the security read found, and empty, very long, unicode, newline, NUL, negative, huge, wrong-type,
# relative and climbing values.
CASES = [
    # container_run: validated before the old container is stopped or removed (recreate=always would do both).
    ("container_run", lambda r, c: tree_args(r, name=c, image=IMAGE, gpus="none", recreate="always", network_mode="no-such-net"),
     r"network_mode 'no-such-net' is not host, none, bridge"),
    ("container_run", lambda r, c: tree_args(r, name=c, image=IMAGE, gpus="none", recreate="always", ipc_mode="weird"),
     r"ipc_mode 'weird' is not one of"),
    ("container_run", lambda r, c: tree_args(r, name=c, image="gh200-no-such-image:never", gpus="none", recreate="always"),
     r"gh200-no-such-image:never"),
    ("container_run", lambda r, c: tree_args(r, name="", image=IMAGE), r"container name '' is invalid"),
    ("container_run", lambda r, c: tree_args(r, name="x/../y", image=IMAGE), r"container name 'x/\.\./y' is invalid"),
    ("container_run", lambda r, c: tree_args(r, name=c, image=IMAGE, env={"BAD-KEY": "x"}), r"env has invalid variable names: BAD-KEY"),
    ("container_run", lambda r, c: tree_args(r, name=c, image=IMAGE, env={"HF_TOKEN_PATH": "/x"}, secret_files={"HF_TOKEN": "hf_" + "x" * 32}),
     r"each variable may be set once .*HF_TOKEN_PATH"),
    ("container_run", lambda r, c: tree_args(r, name=c, image=IMAGE, gpus="none", recreate="always", shm_size="lots"),
     r"shm_size 'lots' is invalid"),
    ("container_run", lambda r, c: tree_args(r, name=c, image=IMAGE, gpus="none", recreate="always", cap_drop=["not a cap"]),
     r"cap_drop 'not a cap' is not a capability name"),
    ("container_run", lambda r, c: dict(name=c, image=IMAGE, root="relative/tree", host_user=USER),
     r"root 'relative/tree' is not an absolute path"),
    ("container_run", lambda r, c: dict(name=c, image=IMAGE, gpus="none", root=r + "/../../etc", host_user=USER),
     r"/etc does not exist"),
    ("container_run", lambda r, c: tree_args(r, name=c, image=IMAGE, host_user="no-such-user-\u00e9"),
     r"host user 'no-such-user-\u00e9' does not exist"),
    # container_run: a model store that is not a folder apart from the tree, refused before the container is recreated.
    ("container_run", lambda r, c: tree_args(r, name=c, image=IMAGE, gpus="none", recreate="always", model_store=r + "/profiles"),
     r"model_store \S+/profiles \(\S+\) overlaps the host tree"),
    ("container_run", lambda r, c: tree_args(r, name=c, image=IMAGE, gpus="none", recreate="always", model_store="models"),
     r"model_store 'models' is not an absolute path"),
    # sglang_server: the engine down, ports out of range, names that climb, a bad pattern.
    ("sglang_server", lambda r, c: tree_args(r, name=c, docker_host="unix:///var/tmp/gh200-no-such-engine.sock",
                                             defaults={"model_path": "/models/" + MODEL, "port": 19999}),
     r"cannot reach the Docker engine at unix:///var/tmp/gh200-no-such-engine.sock"),
    ("sglang_server", lambda r, c: tree_args(r, name=c, defaults={"model_path": "/models/" + MODEL}, overrides={"port": 99999}),
     r"port: 99999 is not a port between 1 and 65535"),
    ("sglang_server", lambda r, c: tree_args(r, name=c, defaults={"model_path": "/models/" + MODEL}, overrides={"port": -1}),
     r"port: -1 is not a port between 1 and 65535"),
    ("sglang_server", lambda r, c: tree_args(r, name=c, defaults={"model_path": "/models/" + MODEL, "port": 19999},
                                             server_name="../escape"), r"server_name: container name '\.\./escape' is invalid"),
    ("sglang_server", lambda r, c: tree_args(r, name=c, defaults={"model_path": "/models/" + MODEL, "port": 19999},
                                             error_regex="("), r"error_regex '\(' is not a valid regular expression"),
    # image_build: the engine down.
    ("image_build", lambda r, c: tree_args(r, name="gh200-bad-input:never", context=os.path.dirname(r) + "/image",
                                           docker_host="unix:///var/tmp/gh200-no-such-engine.sock"),
     r"cannot reach the Docker engine at unix:///var/tmp/gh200-no-such-engine.sock"),
    # cache_stage: limits that would not bound it, models that are not org/name, a stage that is not one.
    ("cache_stage", lambda r, c: tree_args(r, name=c, stage="inductor", model=MODEL, reset=True, lock_wait=float("nan")),
     r"lock_wait must be a finite number of seconds, 0 or more, got nan"),
    ("cache_stage", lambda r, c: tree_args(r, name=c, stage="inductor", model=MODEL, reset=True, timeout=0),
     r"timeout must be 1 second or more"),
    ("cache_stage", lambda r, c: tree_args(r, name=c, stage="inductor", model=MODEL, reset=True, timeout_retries=-1),
     r"timeout_retries must be 0 or more"),
    ("cache_stage", lambda r, c: tree_args(r, name=c, stage="inductor", model=MODEL + "\n", reset=True),
     r"model 'standin/tiny-model\\n' is not a Hugging Face repo id"),
    ("cache_stage", lambda r, c: tree_args(r, name=c, stage="inductor", model="../../etc", reset=True),
     r"model '\.\./\.\./etc' is not a Hugging Face repo id"),
    ("cache_stage", lambda r, c: tree_args(r, name=c, stage="inductor", model=LONG + "/" + LONG, reset=True),
     r"model 'a{79}\.\.\. \(10001 characters\) is not a Hugging Face repo id"),
    ("cache_stage", lambda r, c: tree_args(r, name=c, stage="no-such-stage", model=MODEL), r"value of stage must be one of"),
    ("cache_stage", lambda r, c: tree_args(r, name=c, stage="inductor", model=MODEL, reset=True,
                                           model_store="/var/tmp/gh200-no-such-store"),
     r"model_store /var/tmp/gh200-no-such-store is not an existing directory"),
    ("cache_stage", lambda r, c: tree_args(r, name=c, stage="inductor", model=MODEL, reset=True, timeout="soon"),
     r"argument 'timeout' is of type str"),
    # lock_cleanup: a NUL, a climb, an absolute path.
    ("lock_cleanup", lambda r, c: tree_args(r, path="profiles\x00/x"), r"path .* holds a NUL byte"),
    ("lock_cleanup", lambda r, c: tree_args(r, path="../../etc"), r"path '\.\./\.\./etc' has an empty, '\.' or '\.\.' segment"),
    ("lock_cleanup", lambda r, c: tree_args(r, path="/etc"), r"path '/etc' is absolute"),
    # soak: a URL that does not parse, one off the loopback, counts below one.
    ("soak", lambda r, c: dict(url="http://[::1", model=MODEL), r"url 'http://\[::1' is not an http\(s\) URL"),
    ("soak", lambda r, c: dict(url="http://203.0.113.7:30000", model=MODEL), r"loopback"),
    ("soak", lambda r, c: dict(url="http://127.0.0.1:30000", model=MODEL, requests=0), r"requests \(0\) and concurrency"),
    ("soak", lambda r, c: dict(url="http://127.0.0.1:99999", model=MODEL), r"url 'http://127.0.0.1:99999' is not an http\(s\) URL: Port out of range"),
    # metrics_compare: a summary that is not one.
    ("metrics_compare", lambda r, c: dict(servers=[{"label": "a", "before": 5, "after": {}}], dest=r + "/telemetry/cmp.md"),
     r"servers\[0\]\.before is 5, not the key summaries"),
    # editable_install: "not root" spelt otherwise.
    ("editable_install", lambda r, c: dict(name=c, user=""), r"user '' runs as root"),
    ("editable_install", lambda r, c: dict(name=c, user="00"), r"user '00' runs as root"),
    ("editable_install", lambda r, c: dict(name=c, user=" root"), r"user ' root' runs as root"),
    # model_files: empty, climbing and very long names.
    ("model_files", lambda r, c: tree_args(r, model=""), r"deploy mode 'chat' needs a chat model"),
    ("model_files", lambda r, c: tree_args(r, model="a/b/../../c"), r"model 'a/b/\.\./\.\./c' is not a Hugging Face repo id"),
    ("model_files", lambda r, c: tree_args(r, model=MODEL, models_dir="../../etc"), r"models_dir '\.\./\.\./etc' has an empty"),
    # prometheus_scrape and gpu_facts: a URL that does not parse, a snapshot folder that climbs, limits that do not bound.
    ("prometheus_scrape", lambda r, c: tree_args(r, url="http://[::1"), r"url 'http://\[::1' is not an http\(s\) URL"),
    ("prometheus_scrape", lambda r, c: tree_args(r, url="http://127.0.0.1:9/metrics", snapshot_dir="../../etc"),
     r"snapshot_dir '\.\./\.\./etc' has an empty"),
    ("gpu_facts", lambda r, c: dict(timeout=float("inf")), r"timeout must be more than 0 seconds and finite, got inf"),
    ("gpu_facts", lambda r, c: dict(timeout=-1), r"timeout must be more than 0 seconds and finite, got -1"),
]


def case_id(case):
    return "%s-%d" % (case[0], CASES.index(case))


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_a_hostile_value_is_one_line_naming_it_and_changes_nothing(bed, case, tmp_path):
    module, make_args, expected = case
    root, container = bed
    before = state(root)
    answer, out, err = run_module(module, make_args(root, container), tmp_path)
    assert answer is not None, "no JSON answer:\n%s\n%s" % (out[-2000:], err[-2000:])
    assert "Traceback" not in out + err, (out + err)[-3000:]
    assert answer.get("failed") is True, answer
    msg = answer.get("msg", "")
    assert msg and "\n" not in msg.strip() and "exception" not in answer, answer
    assert re.search(expected, msg), msg
    after = state(root)
    assert after == before, "the case changed %s: %s" % (sorted(set(after[0]) ^ set(before[0])) or after[1], msg)


def test_the_table_holds_at_least_thirty_hostile_values():
    assert len(CASES) >= 30
