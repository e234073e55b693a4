"""The simulated fleet (tests/testbed/fleet.py): exactly N hosts, ports that never collide, an inventory per host."""
import importlib.util
import pathlib
import re

import pytest
import yaml

SPEC = importlib.util.spec_from_file_location("fleet", pathlib.Path(__file__).parents[1] / "testbed" / "fleet.py")
fleet = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(fleet)


def test_plan_brings_the_fleet_to_exactly_n_and_zero_tears_it_down():
    have = {"gh200-sim-01": {}, "gh200-sim-02": {}, "gh200-sim-03": {}}
    assert fleet.plan({}, 2) == (["gh200-sim-01", "gh200-sim-02"], [])
    assert fleet.plan(have, 4) == (["gh200-sim-04"], [])
    assert fleet.plan(have, 1) == ([], ["gh200-sim-02", "gh200-sim-03"])
    assert fleet.plan(have, 0) == ([], sorted(have))
    with pytest.raises(fleet.FleetError, match="GH200_FLEET_SIZE must be 0 or more, not -1"):
        fleet.plan(have, -1)


def test_the_allocator_skips_taken_and_busy_ports_and_says_when_none_is_left():
    first = fleet.allocate([], lambda port: True)
    assert first == {"prometheus": 20100, "node_exporter": 20101, "inference": 20102, "tool": 20103, "ssh": 20104}
    assert fleet.allocate(first.values(), lambda port: True)["prometheus"] == 20110
    # A port in use on the machine (here 20112) moves the host to the next block.
    assert fleet.allocate(first.values(), lambda port: port != 20112)["prometheus"] == 20120
    with pytest.raises(fleet.FleetError, match="no block of 5 free ports left between 20100 and 20120"):
        fleet.allocate([], lambda port: False, end=20120)


def test_a_fleet_takes_ports_only_from_its_range_and_the_ssh_fleet_test_has_one_of_its_own():
    assert fleet.port_range(fleet.PORTS) == (20100, 20599)
    first, last = fleet.port_range("20600-20699")
    assert fleet.allocate([], lambda port: True, first, last)["prometheus"] == 20600
    for bad in ("20000-20100", "20600-21000", "20700-20600", "20600", "a-b", ""):
        with pytest.raises(fleet.FleetError, match="--ports must be FIRST-LAST within 20100-20999, not %r" % bad):
            fleet.port_range(bad)
    ssh_test = (pathlib.Path(__file__).parents[1] / "engine" / "test_fleet_over_ssh.py").read_text()
    ssh_first, ssh_last = fleet.port_range(re.search(r'^PORTS = "([0-9-]+)"', ssh_test, re.M).group(1))
    default_first, default_last = fleet.port_range(fleet.PORTS)
    assert ssh_last < default_first or ssh_first > default_last


def test_eight_hosts_get_eight_disjoint_blocks_and_distinct_names_and_paths():
    hosts, taken = {}, []
    for i in range(1, 9):
        ports = fleet.allocate(taken, lambda port: True)
        taken += ports.values()
        hosts[fleet.host_name(i)] = {"ports": ports}
    inv = fleet.inventory(hosts, {"gh200_host_user": "ubuntu"})["all"]["children"]["gh200"]
    assert inv["vars"] == {"gh200_host_user": "ubuntu"}
    values = list(inv["hosts"].values())
    ports = [p for v in values for p in (int(v["container_env"]["PROMETHEUS_PORT"]), int(v["container_env"]["NODE_EXPORTER_PORT"]),
                                         v["inference_server_args"]["port"], v["inference_tool_port"])]
    assert len(ports) == len(set(ports)) == 32
    for key in ("gh200_root", "gh200_workspace", "gh200_container_name", "ansible_host"):
        assert len(set(v[key] for v in values)) == 8, key
    assert inv["hosts"]["gh200-sim-08"]["gh200_container_name"] == "sglang-dev-sim-08"
    assert inv["hosts"]["gh200-sim-08"]["gh200_root"] == "/var/tmp/gh200-fleet/gh200-sim-08/sglang-observability"


def test_the_fleet_ports_stay_clear_of_the_molecule_scenarios_and_the_dry_run():
    repo = pathlib.Path(__file__).parents[2]
    text = "\n".join(p.read_text() for p in list((repo / "molecule").glob("*/molecule.yml")) + [repo / "inventory/local.yml"])
    block = range(fleet.PORT_START, fleet.PORT_END + 1)
    assert not [p for p in block if str(p) in text]


def test_the_shared_standin_settings_parse_and_name_the_standin_server():
    shared = yaml.safe_load((pathlib.Path(__file__).parents[1] / "testbed" / "standin-vars.yml").read_text())
    assert shared["inference_launch_command"] == ["/usr/local/bin/standin-sglang-server"]
    assert shared["gh200_host_user"] == fleet.HOST_USER


def test_an_ssh_fleet_is_reached_as_the_operator_with_its_key_and_becomes_the_host_user():
    ports = fleet.allocate([], lambda port: True)
    hosts = {"gh200-sim-01": {"ports": ports}}
    host = fleet.inventory(hosts, {}, base="/b", connection="ssh")["all"]["children"]["gh200"]["hosts"]["gh200-sim-01"]
    assert {k: v for k, v in host.items() if k.startswith("ansible_")} == {
        "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 20104, "ansible_user": "ops",
        "ansible_ssh_private_key_file": "/b/ssh/client_key",
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10",
        "ansible_become": True, "ansible_become_method": "ansible.builtin.sudo", "ansible_become_user": "ubuntu"}
    docker = fleet.inventory(hosts, {}, base="/b")["all"]["children"]["gh200"]["hosts"]["gh200-sim-01"]
    assert docker["ansible_connection"] == "docker" and "ansible_become" not in docker
    assert {k: v for k, v in host.items() if not k.startswith("ansible_")} == {
        k: v for k, v in docker.items() if not k.startswith("ansible_")}
    old = {"gh200-sim-01": {"ports": dict((k, v) for k, v in ports.items() if k != "ssh")}}  # made before sshd had a port
    with pytest.raises(fleet.FleetError, match="gh200-sim-01 was made without an sshd port: GH200_FLEET_SIZE=0 first"):
        fleet.inventory(old, {}, connection="ssh")
