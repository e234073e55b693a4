"""_wait: a bounded wait inside one module call (looks at once, backs off, never past its deadline)."""
import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _wait


class Clock:
    """A fake clock: sleep() moves it, each look costs ``cost`` seconds."""

    def __init__(self, cost=0.0):
        self.now, self.cost, self.pauses = 100.0, cost, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.pauses.append(seconds)
        self.now += seconds


def looks(clock, answers):
    answers = list(answers)

    def look():
        clock.now += clock.cost
        return answers.pop(0) if len(answers) > 1 else answers[0]
    return look


def test_an_answer_already_in_is_one_look_and_no_pause():
    clock = Clock()
    assert _wait.until(looks(clock, [True]), bool, 60, clock=clock, sleep=clock.sleep) == (True, 0.0, "done")
    assert clock.pauses == []


def test_the_pauses_double_up_to_the_cap_and_the_wait_ends_with_the_answer():
    clock = Clock()
    value, waited, ended = _wait.until(looks(clock, [0, 0, 0, 0, 0, 7]), bool, 60, first=0.25, cap=1.0, clock=clock, sleep=clock.sleep)
    assert (value, ended) == (7, "done")
    assert clock.pauses == [0.25, 0.5, 1.0, 1.0, 1.0]
    assert waited == pytest.approx(3.75)


def test_the_last_look_is_at_the_deadline_never_past_it():
    clock = Clock(cost=0.1)
    value, waited, ended = _wait.until(looks(clock, [None]), bool, 3, first=1, cap=2, clock=clock, sleep=clock.sleep)
    assert (value, ended) == (None, "timeout")
    assert clock.pauses == pytest.approx([1, 1.8])  # the second pause is cut to end at the deadline
    assert waited == pytest.approx(3.1)  # the last look begins at the deadline and takes its 0.1 s


def test_a_timeout_of_zero_looks_once():
    clock = Clock()
    assert _wait.until(looks(clock, [False]), bool, 0, clock=clock, sleep=clock.sleep) == (False, 0.0, "timeout")
    assert clock.pauses == []


def test_a_reason_from_done_ends_the_wait_early_and_is_returned():
    clock = Clock()
    states = looks(clock, ["starting", "exited"])
    value, dummy, ended = _wait.until(states, lambda s: "the container exited" if s == "exited" else False, 60,
                                      clock=clock, sleep=clock.sleep)
    assert (value, ended) == ("exited", "the container exited")
    assert len(clock.pauses) == 1


@pytest.mark.parametrize("value, message", [
    (-1, "wait_timeout must be 0 to 86400 seconds, not -1"),
    (86401, "wait_timeout must be 0 to 86400 seconds, not 86401"),
    ("soon", "wait_timeout must be a number of seconds, not 'soon'"),
])
def test_a_wait_out_of_bounds_is_refused_by_name(value, message):
    with pytest.raises(ValueError) as exc:
        _wait.check_wait("wait_timeout", value)
    assert str(exc.value) == message


def test_a_wait_in_bounds_is_a_float():
    assert _wait.check_wait("wait_timeout", "60") == 60.0 and _wait.check_wait("wait_timeout", 0) == 0.0
