"""Phase 0 of the plan: the host tree exists and belongs to the host user; only the expected model."""
import pytest

TREE = [
    "",
    "models",
    "profiles",
    "telemetry",
    "telemetry/logs",
    "telemetry/prometheus",
    "telemetry/jaeger",
    "telemetry/container_runs",
]


@pytest.mark.parametrize("relpath", TREE)
def test_host_tree_directory_is_owned_by_host_user(host, gh200, relpath):
    path = host.file(f"{gh200['gh200_root']}/{relpath}".rstrip("/"))
    assert path.is_directory
    assert not path.is_symlink
    assert path.uid == gh200["uid"], f"{path.path} uid {path.uid} != host user uid {gh200['uid']}"
    assert path.gid == gh200["gid"]


def test_only_the_expected_model_sits_under_models(host, gh200):
    models = host.file(f"{gh200['gh200_root']}/models")
    assert models.listdir() == [gh200["gh200_model"].split("/")[0]]
    assert host.file(f"{gh200['gh200_root']}/models/{gh200['gh200_model']}/config.json").is_file
