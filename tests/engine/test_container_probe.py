"""container_probe on the real engine: a probe that hangs in the container ends at its limit with one line."""
import time


def test_a_probe_that_hangs_fails_at_its_limit_naming_the_program(module, container):
    started = time.monotonic()
    rc, result = module("container_probe", {"name": container.name, "argv": ["sleep", "300"], "timeout": 2})
    took = time.monotonic() - started
    assert rc != 0 and result["msg"] == "container %s: sleep did not answer in 2 s" % container.name, result
    assert took < 2 + 5 + 20, took  # the limit, the KILL grace, ansible's own start-up
    rc, result = module("container_probe", {"name": container.name, "argv": ["true"], "timeout": 2})
    assert rc == 0 and result["exit_code"] == 0, result
