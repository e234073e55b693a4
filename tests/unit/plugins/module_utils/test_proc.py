"""_proc.run: a bounded external command (argv only), and its one-line time-out."""
import time

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _proc


def test_output_and_exit_code_come_back_as_text():
    rc, out, err = _proc.run(["sh", "-c", "printf 'caf\\303\\251'; echo oops >&2; exit 3"], 5)
    assert (rc, out, err) == (3, "café", "oops\n")


def test_a_command_that_hangs_is_killed_with_its_children_and_named():
    started = time.monotonic()
    with pytest.raises(_proc.Timeout) as exc:
        _proc.run(["sh", "-c", "sleep 300 & sleep 300"], 0.5)
    assert str(exc.value) == "sh did not answer in 0.5 s"
    assert time.monotonic() - started < 0.5 + _proc.GRACE_S + 10  # the commands sleep 300 s


@pytest.mark.parametrize("value", [0, -2, "nan", float("inf"), "x", None])
def test_time_limits_must_be_positive_and_finite(value):
    with pytest.raises(ValueError) as exc:
        _proc.check_timeout("timeout", value)
    assert str(exc.value).startswith("timeout must be")


def test_a_missing_program_is_an_oserror_not_a_hang():
    with pytest.raises(OSError):
        _proc.run(["/nonexistent/nvidia-smi"], 1)
