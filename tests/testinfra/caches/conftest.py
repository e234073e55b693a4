"""Phase 2 on the molecule/caches host: the converge left every stage built (by the stand-in image's real
compilers) and the dev container running. Tests run playbooks again against the same inventory and
compare the state they measured themselves; the host tree is bound at the same path on the machine."""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from helpers import engine, gh200  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import

REPO = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests"))
import check_coverage  # noqa: E402  pylint: disable=wrong-import-position
import report_json  # noqa: E402  pylint: disable=wrong-import-position
STAGES = {"flashinfer": "flashinfer", "inductor": "inductor", "deep_gemm": "deep_gemm", "moe": "moe_configs"}


@pytest.fixture(scope="module")
def root(gh200):
    return pathlib.Path(gh200["gh200_root"])


@pytest.fixture(scope="module")
def playbook(host):
    """Run a playbook of the repository on this host; (rc, output, report.json or None)."""
    inventory = getattr(host.backend, "ansible_inventory", None) or os.environ.get("MOLECULE_INVENTORY_FILE")

    def _run(path, *args):
        dest = tempfile.mkdtemp(prefix="gh200-caches-report-")
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"), ANSIBLE_FORCE_COLOR="0", PY_COLORS="0")
        cmd = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", inventory, "--limit", host.backend.host,
               path, "-e", "report_dir=%s" % dest] + list(args)
        proc = subprocess.run(cmd, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=1800, check=False)
        folders = sorted(pathlib.Path(dest).iterdir())
        report = report_json.load(folders[-1] / "report.json") if folders else None
        if path.endswith("verify.yml"):
            check_coverage.record(report, "caches scenario: %s %s" % (path, " ".join(args)))
        return proc.returncode, proc.stdout, report

    return _run


def prep_result(root):
    return json.loads((root / "profiles" / "prep_result.json").read_text())["stages"]


def lock_files(root):
    return sorted(os.path.join(d, n) for d, dirs, files in os.walk(str(root / "profiles")) for n in files if n.endswith(".lock"))


def tree_state(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(str(root / "profiles")):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            out.append((os.path.relpath(os.path.join(dirpath, name), str(root)), st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns))
    return sorted(out)
