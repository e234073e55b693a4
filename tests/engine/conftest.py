"""Modules run against the real Docker engine and the stand-in dev image, without Molecule: a host tree
under /var/tmp owned by the test bed's host user, and a dev container that mounts it as the real one does
(/models read-only, /profiles), with no network. scripts/setup.sh builds the image and writes the
test bed's uid/gid (.cache/testbed.env, loaded by scripts/test.sh)."""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import uuid

import docker
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from check_coverage import record  # noqa: E402  pylint: disable=wrong-import-position
import report_json  # noqa: E402  pylint: disable=wrong-import-position
IMAGE = "sglang-dev-standin:testbed"
MODEL = "standin/tiny-model"
BASE = pathlib.Path("/var/tmp/gh200-engine-tests")


def bed_ids():
    try:
        return int(os.environ["GH200_TESTBED_UID"]), int(os.environ["GH200_TESTBED_GID"])
    except KeyError:
        pytest.skip("GH200_TESTBED_UID/GID unset: run through scripts/test.sh (it loads .cache/testbed.env)")


def tree_state(root):
    """Every entry under ``root`` (relative path, mode, uid, size, mtime), sorted: what a run that changes nothing keeps."""
    out = []
    for dirpath, dirnames, filenames in os.walk(str(root)):
        for name in dirnames + filenames:
            info = os.lstat(os.path.join(dirpath, name))
            out.append((os.path.relpath(os.path.join(dirpath, name), str(root)), info.st_mode, info.st_uid, info.st_size,
                        info.st_mtime_ns))
    return sorted(out)


def chown_tree(path, uid, gid):
    for dirpath, dirnames, filenames in os.walk(str(path)):
        os.lchown(dirpath, uid, gid)
        for name in filenames:
            os.lchown(os.path.join(dirpath, name), uid, gid)


def make_tree(top, extra=None):
    """<top>/sglang-observability: the tiny model, empty stage folders and telemetry/, after ``extra(root)`` has added
    what a suite needs, everything under ``top`` owned by the host user. Returns the root."""
    uid, gid = bed_ids()
    root = top / "sglang-observability"
    shutil.copytree(str(REPO / ".cache" / "tiny-model"), str(root / "models" / MODEL))
    for stage in ("flashinfer", "inductor", "deep_gemm", "moe_configs"):
        (root / "profiles" / stage).mkdir(parents=True)
    (root / "telemetry").mkdir()
    if extra:
        extra(root)
    chown_tree(top, uid, gid)
    return root


@pytest.fixture
def tree():
    """A host tree with the tiny model and empty stage folders, owned by the host user; removed afterwards."""
    root = make_tree(BASE / uuid.uuid4().hex[:12])
    yield root
    shutil.rmtree(str(root.parent), ignore_errors=True)


@pytest.fixture
def engine():
    return docker.from_env()


def start_container(engine, tree):
    """A running dev container on the stand-in image with the tree's models and profiles mounted (the caller removes it)."""
    name = "gh200-engine-test-" + uuid.uuid4().hex[:8]
    return engine.containers.run(
        IMAGE, entrypoint=["sleep", "infinity"], name=name, detach=True, network_mode="none",
        mounts=[docker.types.Mount("/models", str(tree / "models"), type="bind", read_only=True),
                docker.types.Mount("/profiles", str(tree / "profiles"), type="bind")])


@pytest.fixture
def container(engine, tree):
    """A running dev container on the stand-in image with the tree mounted; removed afterwards."""
    c = start_container(engine, tree)
    yield c
    c.remove(force=True)


@pytest.fixture
def module():
    """Run a collection module on localhost through ansible; returns (rc, result dict)."""

    def _run(name, args, check=False, background=False):
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"), ANSIBLE_FORCE_COLOR="0",
                   ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                   ANSIBLE_STDOUT_CALLBACK="json")
        cmd = [str(pathlib.Path(sys.executable).parent / "ansible"), "localhost", "-c", "local", "-m", "gh200.sglang." + name,
               "-a", json.dumps(args)] + (["--check", "--diff"] if check else [])
        proc = subprocess.Popen(cmd, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if background:
            return proc
        return finish(proc)

    return _run


def finish(proc, timeout=600):
    out, err = proc.communicate(timeout=timeout)
    try:
        result = json.loads(out)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        raise AssertionError("no JSON result (rc=%s):\n%s\n%s" % (proc.returncode, out[-3000:], err[-3000:]))
    return proc.returncode, result


def free_port():
    """A TCP port free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dryrun_env():
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"), ANSIBLE_FORCE_COLOR="0")


def dryrun_start(*args, inventory="inventory/local.yml", quiet=False):
    """ansible-playbook on the dry-run (or ``inventory``), started from the checkout: its Popen, output piped as text
    (discarded when ``quiet``)."""
    out = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen([str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory)] + list(args),
                            cwd=str(REPO), env=_dryrun_env(), stdout=out, stderr=subprocess.STDOUT if not quiet else out,
                            text=True)


def dryrun_report(folder, host=None, source=None):
    """The report entry of ``host`` (default: the only host) in the one report a run wrote under ``folder``; with
    ``source`` (the test), a verify.yml report is recorded for the check coverage too (tests/check_coverage.py)."""
    (found,) = [p for p in pathlib.Path(folder).iterdir() if p.is_dir()]
    data = report_json.load(found / "report.json")
    if source:
        record(data, source)
    hosts = data["hosts"]
    if host is None:
        (host,) = hosts
    return hosts[host]


def dryrun_playbook(*args):
    """(rc, output) of ansible-playbook on the local dry-run inventory (this machine, the stand-in image), run from the
    checkout; skipped outside scripts/test.sh, which loads the dry-run's user from .cache/testbed.env."""
    if "GH200_DRYRUN_USER" not in os.environ:
        pytest.skip("GH200_DRYRUN_USER unset: run through scripts/test.sh (it loads .cache/testbed.env)")
    cmd = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "inventory/local.yml"] + list(args)
    proc = subprocess.run(cmd, cwd=str(REPO), env=_dryrun_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900,
                          check=False)
    return proc.returncode, proc.stdout


def descendants(pid):
    """pid and every process below it (ansible-playbook's workers, connections and become wrappers; sshd's sessions)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        out.append(todo.pop())
        todo.extend(children.get(out[-1], []))
    return out


def signal_tree(pid, sig):
    """Send ``sig`` to pid and every process below it (one gone already is left alone)."""
    for each in descendants(pid):
        try:
            os.kill(each, sig)
        except OSError:
            pass


def kill_tree(pid):
    """SIGKILL pid and every process below it at once, as a closed laptop lid or a lost network ends them."""
    signal_tree(pid, signal.SIGKILL)
