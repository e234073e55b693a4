"""Playbook tests on localhost (local connection, no containers): the check/phase/report plugins and the
roles' handling of options, run through the real ansible-playbook."""
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
import report_json  # noqa: E402  pylint: disable=wrong-import-position


def playbook_command(path, extra=(), inventory=None):
    """(argv, environment) of ansible-playbook running ``path`` over the local connection, with this checkout's
    collection and ansible.cfg."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"), ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    cmd = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", inventory or "localhost,", "-c", "local",
           str(path)] + list(extra)
    return cmd, env


@pytest.fixture
def playbook(tmp_path):
    """Run a playbook text (or a repo playbook path) on localhost; returns (rc, output)."""

    def _run(text=None, path=None, extra=(), inventory=None):
        if text is not None:
            path = tmp_path / "play.yml"
            path.write_text(text)
        cmd, env = playbook_command(path, extra, inventory)
        proc = subprocess.run(cmd, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, check=False)
        return proc.returncode, proc.stdout

    return _run


def only_report(dest):
    (folder,) = list(pathlib.Path(dest).iterdir())
    return folder, report_json.load(folder / "report.json")
