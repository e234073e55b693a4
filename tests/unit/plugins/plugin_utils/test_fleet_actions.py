"""What the report tells an operator to do about each failed check, and the drift facts it compares."""
from ansible_collections.gh200.sglang.plugins.module_utils import _gpu_health
from ansible_collections.gh200.sglang.plugins.plugin_utils import _fleet


def failed(name, detail=""):
    return {"name": name, "status": "failed", "detail": detail}


def test_a_fatal_xid_asks_for_its_most_severe_resolution():
    xid = _gpu_health.NAMES["xid"]
    assert _fleet.action(failed(xid, "fatal XID 48, first: NVRM: Xid (PCI:0009:01:00): 48, DBE")) == _gpu_health.RESET_GPU
    both = failed(xid, "fatal XID 48, 79, first: NVRM: Xid (PCI:0009:01:00): 79, GPU has fallen off the bus")
    assert _fleet.action(both) == _gpu_health.INSPECT
    assert _fleet.action(failed(xid, "fatal XID 155, first: x")).startswith("look XID 155 up in NVIDIA's XID catalog")
    assert _fleet.action(failed(xid, "kernel log unreadable")).startswith("read the XID lines in the kernel log")


def test_each_gpu_health_item_has_an_action():
    assert set(_gpu_health.ACTIONS) | {"xid"} == set(_gpu_health.ITEMS)
    assert "host_prep_gpu_enable_persistence=true" in _fleet.action(failed(_gpu_health.NAMES["persistence"]))


def test_a_cache_stage_check_asks_for_that_stage_rebuilt_wherever_its_context():
    for name in ("inductor: prep_result.json marks the stage ok", "after restart: inductor: ensure keeps the signed cache"):
        text = _fleet.action(failed(name))
        assert text.startswith("rebuild the inductor cache: ansible-playbook -i <inventory> playbooks/caches.yml --limit <hosts>")
        assert '{"caches_stages": {"inductor": "rebuild"}}' in text


def test_other_checks_get_their_rule_or_the_rerun():
    assert _fleet.action(failed("model weights complete")).startswith("download the model again")
    assert _fleet.action(failed("restart: pointer is a 0600 file owned by ubuntu")).startswith("give the paths")
    assert _fleet.action(failed("host reachable")) == _fleet.REACH
    assert _fleet.action(failed("smoke prompt answered")) == _fleet.RERUN
    for name in ("no kernel compiled at server start", "tool server: no kernel compiled at server start"):
        assert _fleet.action(failed(name)).startswith("rebuild the stages whose folders under profiles/ the detail names")


def test_host_facts_keep_only_what_the_host_reported():
    facts = {"kernel": "6.8.0", "architecture": "aarch64", "gh200_gpu": {"gpu_present": False, "reason": "no nvidia-smi"}}
    assert _fleet.host_facts(facts) == {"kernel": "6.8.0", "CPU": "aarch64"}
    assert _fleet.host_facts(None) == {}
