"""_docker.exec_as: a command in the container bounded by the container's coreutils timeout."""
import time
from types import SimpleNamespace

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _docker


class FakeContainer:
    """Records the argv it is asked to run and answers like docker's exec_run."""

    def __init__(self, exit_code, delay=0.0):
        self.client = SimpleNamespace(api=SimpleNamespace(timeout=120))
        self.exit_code, self.delay, self.argv = exit_code, delay, None

    def exec_run(self, argv, **kwargs):
        self.argv = argv
        time.sleep(self.delay)
        return SimpleNamespace(exit_code=self.exit_code, output=(b"out", b"err"))


def test_a_bounded_command_runs_under_timeout_and_the_connection_outwaits_it():
    container = FakeContainer(0)
    assert _docker.exec_as(container, "devuser", ["python3", "-m", "pytest"], timeout=1800) == (0, "out", "err")
    assert container.argv == ["timeout", "--kill-after=5", "1800s", "python3", "-m", "pytest"]
    assert container.client.api.timeout == 1830


def test_a_command_the_limit_ended_is_named_with_its_limit():
    with pytest.raises(_docker.ExecTimeout, match=r"^pytest did not answer in 0.2 s$"):
        _docker.exec_as(FakeContainer(124, delay=0.25), "devuser", ["/opt/venv/bin/pytest", "-q"], timeout=0.2)


def test_an_exit_code_of_124_before_the_limit_is_the_command_s_own():
    assert _docker.exec_as(FakeContainer(124), "devuser", ["sh", "-c", "exit 124"], timeout=60)[0] == 124
    assert FakeContainer(0).exec_run(["x"]) and _docker.exec_as(FakeContainer(3), "u", ["x"])[0] == 3  # unbounded
