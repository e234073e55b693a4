"""Bad input to container_run: one clear error each, and nothing changes (on gh200-c)."""
import pytest

from helpers import history, module_args, run

testinfra_hosts = ["ansible://gh200-c"]

BAD = {
    "missing image": ({"image": "gh200-testbed-no-such-image:latest"}, "image gh200-testbed-no-such-image:latest is not present on the engine"),
    "missing root": ({"root": "/var/tmp/gh200-molecule/default/gh200-c/no-such-root"}, "no-such-root does not exist"),
    "relative root": ({"root": "relative/sglang-observability"}, "is not an absolute path"),
    "bad name": ({"name": "sglang dev!"}, "container name 'sglang dev!' is invalid"),
    "bad env name": ({"env": {"BAD-KEY": "x"}}, "env has invalid variable names: BAD-KEY"),
    "bad shm size": ({"shm_size": "lots"}, "size 'lots' is invalid"),
    # Refused before the running container is stopped or removed for a recreate (the old one stays).
    "unknown network": ({"network_mode": "gh200-no-such-network", "recreate": "always"},
                        "network_mode 'gh200-no-such-network' is not host, none, bridge, container:<name> or a network"),
    "bad ipc mode": ({"ipc_mode": "everything", "recreate": "always"}, "ipc_mode 'everything' is not one of host, private"),
    "bad capability": ({"cap_drop": ["NET RAW"], "recreate": "always"}, "cap_drop 'NET RAW' is not a capability name"),
}


@pytest.fixture(scope="module")
def baseline(host, gh200, engine):
    return history(host, gh200), engine.containers.get(gh200["gh200_container_name"]).id


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_fails_with_one_clear_line_and_changes_nothing(host, gh200, engine, baseline, case):
    override, expected = BAD[case]
    result = run(host, "gh200.sglang.container_run", module_args(gh200, **override))
    assert result.get("failed") is True
    assert expected in result["msg"] and "\n" not in result["msg"]
    assert (history(host, gh200), engine.containers.get(gh200["gh200_container_name"]).id) == baseline


def test_root_owned_by_another_user(host, gh200, engine, baseline):
    other = "/var/tmp/gh200-molecule/default/gh200-c/other-root"
    host.check_output("mkdir -p %s/models %s/profiles %s/telemetry/logs %s/telemetry/container_runs" % ((other,) * 4))
    result = run(host, "gh200.sglang.container_run", module_args(gh200, root=other))
    host.check_output("rm -rf %s" % other)
    assert result["failed"] is True
    assert "other-root is owned by uid 0, not by the host user ubuntu" in result["msg"]
    assert (history(host, gh200), engine.containers.get(gh200["gh200_container_name"]).id) == baseline


def test_mount_source_symlink_leaving_the_root(host, gh200, engine, baseline):
    root = gh200["gh200_root"]
    host.check_output("mv %s/profiles %s/profiles.real && ln -s /etc %s/profiles" % (root, root, root))
    try:
        result = run(host, "gh200.sglang.container_run", module_args(gh200, state="validated"))
    finally:
        host.check_output("rm %s/profiles && mv %s/profiles.real %s/profiles" % (root, root, root))
    assert result["failed"] is True
    assert "profiles is a symlink to /etc, outside the host tree root" in result["msg"]
    assert (history(host, gh200), engine.containers.get(gh200["gh200_container_name"]).id) == baseline
