"""Make ``ansible_collections.gh200.sglang`` importable from this checkout (scripts/setup.sh links it)."""
import os
import sys

_COLLECTIONS = os.path.join(os.path.dirname(__file__), "..", "..", "collections")
if not os.path.isdir(os.path.join(_COLLECTIONS, "ansible_collections", "gh200", "sglang")):
    raise RuntimeError("collections/ansible_collections/gh200/sglang is missing: run scripts/setup.sh")
sys.path.insert(0, os.path.abspath(_COLLECTIONS))

import json  # noqa: E402

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
