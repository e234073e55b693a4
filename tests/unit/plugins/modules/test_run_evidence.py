"""run_evidence's wait: over when every service waited for is in, or at once when no container runs."""
import pytest

from ansible_collections.gh200.sglang.plugins.modules import run_evidence

P = {"wait_services": ["ready_line", "run_log", "node_exporter", "prometheus"], "run_log_name": "init-run.log"}


def evidence(running=True, exists=True, fresh=(), node=False, ready=False, tsdb=False):
    return {"container": {"exists": exists, "running": running, "status": "running" if running else "exited"},
            "run_log": {"fresh": list(fresh)}, "node_exporter": {"up": node}, "prometheus": {"ready": ready, "tsdb_fresh": tsdb}}


@pytest.mark.parametrize("found, verdict", [
    (evidence(fresh=["init-run.log"], node=True, ready=True, tsdb=True), True),
    (evidence(fresh=["init-run.log"], node=True, ready=True), False),  # Prometheus ready, its TSDB not yet written
    (evidence(), False),
    (evidence(running=False), "the container is exited"),
    (evidence(running=False, exists=False), "the container is absent"),
])
def test_the_wait_is_settled_by_every_service_or_by_a_container_that_does_not_run(found, verdict):
    assert run_evidence.settled(P, found) == verdict


def test_a_service_not_waited_for_never_holds_the_wait():
    assert run_evidence.settled(dict(P, wait_services=["run_log"]), evidence(fresh=["init-run.log"])) is True
    assert run_evidence.settled(dict(P, wait_services=[]), evidence()) is True
