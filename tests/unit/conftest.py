"""Make ``ansible_collections.gh200.sglang`` importable from this checkout (scripts/setup.sh links it)."""
import os
import sys

_COLLECTIONS = os.path.join(os.path.dirname(__file__), "..", "..", "collections")
if not os.path.isdir(os.path.join(_COLLECTIONS, "ansible_collections", "gh200", "sglang")):
    raise RuntimeError("collections/ansible_collections/gh200/sglang is missing: run scripts/setup.sh")
sys.path.insert(0, os.path.abspath(_COLLECTIONS))

import json  # noqa: E402
import subprocess  # noqa: E402

import pytest  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402


@pytest.fixture
def run_module(capsys):
    """Run a module's main() with args; return (exit code, parsed JSON result)."""

    def _run(main, args):
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exc:
                main()
        out = capsys.readouterr().out
        return exc.value.code, json.loads(out)

    return _run


_HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, ("pid %d since 2026-11-22T10:00:00Z\\n" % os.getpid()).encode())
print("locked", flush=True)
time.sleep(60)
"""


@pytest.fixture
def lock_holder():
    """Start a real process that holds an flock on a path (and writes its holder line) until the test
    ends; returns the process."""
    procs = []

    def start(path):
        proc = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "locked"
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()
