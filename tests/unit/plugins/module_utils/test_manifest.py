import datetime

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _manifest as m

MOUNTS = [
    {"source": "/r/telemetry", "target": "/telemetry", "read_only": False},
    {"source": "/r/models", "target": "/models", "read_only": True},
]


def spec(**over):
    args = dict(image="sglang-dev:gh200", env={"PYTHONPATH": "/workspaces/sglang/python"}, secret_keys=["HF_TOKEN"],
                mounts=MOUNTS, network_mode="host", ipc_mode="host", shm_size="16g", gpus="all")
    args.update(over)
    return m.desired_spec(**args)


def inspect(env=None, secret="s3cret", image="sglang-dev:gh200", mounts=None, shm=16 * 1024 ** 3, gpus=True, extra_env=()):
    mounts = MOUNTS if mounts is None else mounts
    env = {"PYTHONPATH": "/workspaces/sglang/python"} if env is None else env
    full = ["%s=%s" % kv for kv in env.items()] + ["HF_TOKEN=%s" % secret, "CONTAINER_RUN_ID=x", "PATH=/usr/bin"] + list(extra_env)
    return {
        "Config": {"Image": image, "Env": full, "Labels": {m.LABEL_ENV_KEYS: ",".join(sorted(env)), m.LABEL_SECRET_KEYS: "HF_TOKEN"}},
        "HostConfig": {"NetworkMode": "host", "IpcMode": "host", "ShmSize": shm, "SecurityOpt": ["no-new-privileges:true"],
                       "DeviceRequests": [{"Driver": "nvidia", "Count": -1, "DeviceIDs": None, "Capabilities": [["gpu"]]}] if gpus else None},
        "Mounts": [{"Type": "bind", "Source": x["source"], "Destination": x["target"], "RW": not x["read_only"]} for x in mounts]
        + [{"Type": "volume", "Source": "/var/lib/docker/volumes/v", "Destination": "/data", "RW": True}],
    }


def test_matching_container_has_no_drift():
    assert m.drift(spec(), m.spec_from_inspect(inspect()), {"HF_TOKEN": "s3cret"}, "sha256:a", "sha256:a") == []


def test_drift_names_what_changed():
    actual = m.spec_from_inspect(inspect(env={"PYTHONPATH": "/old"}, shm=64 * 1024 ** 2, gpus=False))
    keys = [d["key"] for d in m.drift(spec(), actual, {"HF_TOKEN": "s3cret"})]
    assert keys == ["env", "shm_size", "gpus"]


def test_rebuilt_image_under_the_same_tag_is_drift():
    changes = m.drift(spec(), m.spec_from_inspect(inspect()), {"HF_TOKEN": "s3cret"}, "sha256:new", "sha256:old")
    assert changes == [{"key": "image_id", "before": "sha256:old", "after": "sha256:new"}]


def test_changed_secret_is_drift_without_its_value():
    changes = m.drift(spec(), m.spec_from_inspect(inspect(secret="old-token")), {"HF_TOKEN": "new-token"})
    assert [c["key"] for c in changes] == ["secret_env"]
    assert "old-token" not in repr(changes) and "new-token" not in repr(changes)


def test_env_outside_the_managed_keys_is_ignored():
    actual = m.spec_from_inspect(inspect(extra_env=["NVIDIA_VISIBLE_DEVICES=all"]))
    assert m.drift(spec(), actual, {"HF_TOKEN": "s3cret"}) == []


@pytest.mark.parametrize("size,expected", [("16g", 16 * 1024 ** 3), ("512m", 512 * 1024 ** 2), ("1024", 1024), ("64k", 65536), ("2GB", 2 * 1024 ** 3)])
def test_size_to_bytes(size, expected):
    assert m.size_to_bytes(size) == expected


def test_bad_size_is_a_spec_error():
    with pytest.raises(m.SpecError, match="size 'lots' is invalid"):
        m.size_to_bytes("lots")


@pytest.mark.parametrize("gpus,expected", [
    ("all", {"driver": "nvidia", "count": -1, "device_ids": None}),
    ("none", None), ("", None), (None, None),
    ("0,1", {"driver": "nvidia", "count": 0, "device_ids": ["0", "1"]}),
    (["2"], {"driver": "nvidia", "count": 0, "device_ids": ["2"]}),
])
def test_normalize_gpus(gpus, expected):
    assert m.normalize_gpus(gpus) == expected


def test_gpus_from_inspect_with_ids():
    req = [{"Driver": "nvidia", "Count": 0, "DeviceIDs": ["0", "1"], "Capabilities": [["gpu"]]}]
    assert m.gpus_from_inspect(req) == m.normalize_gpus("0,1")
    assert m.gpus_from_inspect(None) is None


@pytest.mark.parametrize("name,ok", [("sglang-dev", True), ("sglang_dev.2", True), ("-bad", False), ("bad name", False), ("a", False), ("x/y", False)])
def test_name_problem(name, ok):
    assert (m.name_problem(name) is None) is ok


def test_env_keys_are_checked():
    m.check_env_keys({"HF_TOKEN": "x", "_A1": "y"}, "env")
    with pytest.raises(m.SpecError, match="env has invalid variable names: 1BAD, BAD-KEY"):
        m.check_env_keys({"BAD-KEY": "x", "1BAD": "y"}, "env")


@pytest.mark.parametrize("env, secret_env, secret_files, clash", [
    ({"HF_TOKEN": "a"}, {}, {"HF_TOKEN": "b"}, "HF_TOKEN"),
    ({}, {"HF_TOKEN": "a"}, {"HF_TOKEN": "b"}, "HF_TOKEN"),
    ({"X": "1"}, {"X": "2"}, {}, "X"),
    ({"HF_TOKEN_PATH": "/elsewhere"}, {}, {"HF_TOKEN": "b"}, "HF_TOKEN_PATH"),
])
def test_a_variable_is_set_once_across_env_secret_env_and_secret_files(env, secret_env, secret_files, clash):
    with pytest.raises(m.SpecError, match="each variable may be set once .*: %s$" % clash):
        m.check_secret_names(env, secret_env, secret_files)
    m.check_secret_names({"A": "1"}, {"B": "2"}, {"HF_TOKEN": "3"})


def test_run_id_format():
    now = datetime.datetime(2025, 10, 11, 12, 0, 0, tzinfo=datetime.timezone.utc)
    assert m.new_run_id(now, "1a2b3c") == "20251011T120000Z-1a2b3c"


def test_manifest_round_trip_keeps_values_and_quotes_them():
    items = m.manifest_items(
        "20251011T120000Z-1a2b3c", {"name": "sglang-dev", "id": "abc"}, {"name": "sglang-dev:gh200", "id": "sha256:1", "digest": None},
        "ubuntu", "gh200-node01", "/home/ubuntu/sglang-observability", MOUNTS,
        {"PYTHONPATH": "/workspaces/sglang/python", "NOTE": "two words; $(rm -rf /)"}, "2025-10-11T12:00:01Z")
    text = m.render_env_file(items)
    assert text.splitlines()[0] == "RUN_ID=20251011T120000Z-1a2b3c"
    assert "ENV_NOTE='two words; $(rm -rf /)'" in text
    assert "MOUNTS='/r/models:/models:ro;/r/telemetry:/telemetry:rw'" in text
    parsed = m.parse_env_file(text)
    assert parsed["ENV_NOTE"] == "two words; $(rm -rf /)"
    assert parsed["RUN_MANIFEST"] == "/home/ubuntu/sglang-observability/telemetry/container_runs/20251011T120000Z-1a2b3c.env"
    assert parsed["IMAGE_DIGEST"] == "" and parsed["ANSIBLE_HOST"] == "gh200-node01"
    assert not [k for k in parsed if "SECRET" in k or "TOKEN" in k]


def test_a_planted_pointer_with_open_quotes_or_stray_bytes_parses_without_a_traceback():
    assert m.parse_env_file("RUN_ID='abc\nHOST=x\n") == {"RUN_ID": "'abc", "HOST": "x"}
    assert m.parse_env_file(b"RUN_ID=\xff\n".decode("utf-8", "replace")) == {"RUN_ID": "\ufffd"}


def test_a_container_without_no_new_privileges_or_with_other_dropped_capabilities_drifts():
    bare = inspect()
    bare["HostConfig"]["SecurityOpt"] = None
    changes = m.drift(spec(), m.spec_from_inspect(bare), {"HF_TOKEN": "s3cret"})
    assert [(c["key"], c["before"], c["after"]) for c in changes] == [
        ("security", {"no_new_privileges": False, "cap_drop": []}, {"no_new_privileges": True, "cap_drop": []})]
    dropped = inspect()
    dropped["HostConfig"]["CapDrop"] = ["CAP_NET_RAW"]
    assert m.drift(spec(cap_drop=["net_raw"]), m.spec_from_inspect(dropped), {"HF_TOKEN": "s3cret"}) == []
    assert m.drift(spec(no_new_privileges=False), m.spec_from_inspect(bare), {"HF_TOKEN": "s3cret"}) == []


def test_capabilities_to_drop_must_be_capability_names():
    assert m.capability_problems(["net_raw", "CAP_SYS_ADMIN", "ALL"]) == []
    assert m.capability_problems(["NET RAW", "x;y", ""]) == [
        "cap_drop 'NET RAW' is not a capability name (such as NET_RAW or ALL)",
        "cap_drop 'x;y' is not a capability name (such as NET_RAW or ALL)",
        "cap_drop '' is not a capability name (such as NET_RAW or ALL)"]


def test_a_container_started_without_the_requested_init_or_with_one_not_requested_drifts():
    started_with = inspect()
    started_with["HostConfig"]["Init"] = True
    assert m.drift(spec(init=True), m.spec_from_inspect(started_with), {"HF_TOKEN": "s3cret"}) == []
    assert m.drift(spec(), m.spec_from_inspect(inspect()), {"HF_TOKEN": "s3cret"}) == []  # Init absent (null) is no init
    assert [(c["key"], c["before"], c["after"]) for c in m.drift(spec(init=True), m.spec_from_inspect(inspect()), {"HF_TOKEN": "s3cret"})] == [
        ("init", False, True)]
    assert [c["key"] for c in m.drift(spec(), m.spec_from_inspect(started_with), {"HF_TOKEN": "s3cret"})] == ["init"]
