"""cache_stage's output pump: the timeout wrapper's PID read off the command's first line (never written to the
log), the rest of the output written whole however the engine splits it, and the time of the last byte kept for
the quiet bound."""
import io

import pytest

from ansible_collections.gh200.sglang.plugins.modules import cache_stage

MARK = cache_stage.PID_MARK


def pumped(chunks):
    log = io.BytesIO()
    pump = cache_stage.Pump(iter(chunks), log, True)
    pump.run()  # in this thread: the stream is a list
    return pump, log.getvalue()


@pytest.mark.parametrize("chunks", [
    [MARK + b"57\ncompiling\n", b"done\n"],
    [MARK[:5], MARK[5:] + b"5", b"7\n", b"compiling\ndone\n"],
    [MARK + b"57\n", b"compiling\n", b"done\n"],
])
def test_the_wrappers_pid_is_read_off_the_first_line_and_the_rest_is_logged_whole(chunks):
    pump, log = pumped(chunks)
    assert pump.pid == 57 and log == b"compiling\ndone\n"


@pytest.mark.parametrize("chunks, log", [
    ([b"no marker here\n", b"more\n"], b"no marker here\nmore\n"),  # a shell that printed something else first
    ([MARK + b"x7\nrest\n"], MARK + b"x7\nrest\n"),  # not a number: kept as output
    ([b"partial line, then the end"], b"partial line, then the end"),
    ([b"y" * 300, b"\nz\n"], b"y" * 300 + b"\nz\n"),  # no newline in the first 256 bytes: no marker to wait for
])
def test_output_without_the_marker_is_logged_as_it_came_and_no_pid_is_invented(chunks, log):
    pump, written = pumped(chunks)
    assert pump.pid is None and written == log


def test_the_last_byte_moves_the_quiet_clock_and_a_lost_engine_is_kept():
    def stream():
        yield MARK + b"9\n"
        raise cache_stage._docker.ENGINE_LOST[0]("connection aborted")

    pump = cache_stage.Pump(stream(), io.BytesIO(), True)
    before = pump.last
    pump.run()
    assert pump.pid == 9 and pump.last >= before and isinstance(pump.lost, Exception)
