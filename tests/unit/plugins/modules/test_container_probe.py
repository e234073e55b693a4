"""container_probe's wait for a log line: one module call, ended by the line, the container stopping, or the time."""
import re

from ansible_collections.gh200.sglang.plugins.modules import container_probe

READY = re.compile(r"init-run: ready")


class Container:
    """A container whose status and log move on at each reload()."""

    def __init__(self, states):
        self.states, self.looks = list(states), 0
        self.status, self._lines = self.states[0]

    def reload(self):
        self.status, self._lines = self.states[min(self.looks, len(self.states) - 1)]
        self.looks += 1

    def logs(self, tail):
        return "".join(line + "\n" for line in self._lines[-tail:]).encode()


def test_the_wait_ends_at_the_first_look_that_shows_the_line():
    container = Container([("running", ["starting"]), ("running", ["starting", "init-run: ready", "prometheus up"])])
    lines, wait = container_probe.wait_for_line(container, READY, 100, 30)
    assert wait["ended"] == "done" and wait["matched"] == "init-run: ready"
    assert lines == ["starting", "init-run: ready", "prometheus up"] and container.looks == 2


def test_a_container_that_stopped_ends_the_wait_at_once_and_says_so():
    container = Container([("running", ["starting"]), ("exited", ["starting", "Traceback"])])
    lines, wait = container_probe.wait_for_line(container, READY, 100, 30)
    assert wait["ended"] == "the container is exited" and wait["matched"] == ""
    assert lines == ["starting", "Traceback"] and wait["waited"] < 5


def test_no_line_in_time_is_a_timeout_not_a_failure():
    container = Container([("running", ["starting"])])
    lines, wait = container_probe.wait_for_line(container, READY, 100, 0.6)
    assert wait["ended"] == "timeout" and wait["matched"] == "" and lines == ["starting"]
    assert 0.6 <= wait["waited"] < 5 and container.looks == 3  # at once, after 0.25 s, then at the deadline


def test_only_the_last_lines_asked_for_are_searched():
    container = Container([("running", ["init-run: ready", "a", "b"])])
    lines, wait = container_probe.wait_for_line(container, READY, 2, 0)
    assert (lines, wait["ended"]) == (["a", "b"], "timeout")
