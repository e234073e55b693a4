"""Phase 1 "Verify after start", on every host of the fleet after the converge started the container."""
import time

import pytest

from helpers import POINTER, log_errors, read_env, wait_ready


@pytest.fixture(scope="module")
def dev(gh200, engine):
    """The running dev container, once its start-up is done (another test may just have recreated it)."""
    container = engine.containers.get(gh200["gh200_container_name"])
    wait_ready(container)
    return container


def test_container_runs_the_requested_image(dev, gh200):
    assert dev.status == "running"
    assert dev.attrs["Config"]["Image"] == gh200["gh200_image"]
    assert dev.attrs["HostConfig"]["NetworkMode"] == "host"


def test_pointer_is_0600_owned_by_host_user_and_names_the_running_run(host, gh200, dev):
    pointer = host.file("%s/%s" % (gh200["gh200_root"], POINTER))
    assert pointer.is_file and not pointer.is_symlink
    assert pointer.mode == 0o600
    assert (pointer.uid, pointer.gid) == (gh200["uid"], gh200["gid"])
    meta = read_env(host, pointer.path)
    assert meta["RUN_ID"] == dev.labels["org.gh200-sglang.run-id"]
    assert meta["CONTAINER_ID"] == dev.id
    assert meta["HOST_USER"] == gh200["gh200_host_user"]
    assert meta["ANSIBLE_HOST"] == gh200["inventory_hostname"]
    history = host.file(meta["RUN_MANIFEST"])
    assert history.mode == 0o600 and history.uid == gh200["uid"]
    assert history.content_string == pointer.content_string


def test_manifest_records_mounts_and_plain_env(host, gh200):
    meta = read_env(host, "%s/%s" % (gh200["gh200_root"], POINTER))
    root = gh200["gh200_root"]
    assert meta["MOUNTS"].split(";") == [
        "%s/models:/models:ro" % root,
        "%s/profiles:/profiles:rw" % root,
        "%s/telemetry:/telemetry:rw" % root,
        "%s:/workspaces/sglang:rw" % gh200["gh200_workspace"],
    ]
    assert meta["ENV_PYTHONPATH"] == "/workspaces/sglang/python"
    assert meta["ENV_PROMETHEUS_PORT"] == gh200["container_env"]["PROMETHEUS_PORT"]


@pytest.mark.parametrize("cache", ["flashinfer", "inductor", "deep_gemm", "moe_configs"])
def test_profiles_scaffolding_is_writable_by_devuser(dev, cache):
    rc, out = dev.exec_run(["sh", "-c", 'touch "$1/.probe" && rm "$1/.probe"', "probe", "/profiles/" + cache], user="devuser")
    assert rc == 0, out


def test_run_log_and_telemetry_directories(host, gh200, dev):
    run_id = dev.labels["org.gh200-sglang.run-id"]
    log_dir = host.file("%s/telemetry/logs/container-run-%s" % (gh200["gh200_root"], run_id))
    assert log_dir.is_directory and log_dir.uid == gh200["uid"]
    assert [f for f in log_dir.listdir() if f.endswith(".log")]
    assert "ready" in host.file(log_dir.path + "/init-run.log").content_string
    assert host.file("%s/telemetry/prometheus" % gh200["gh200_root"]).listdir()
    assert host.file("%s/telemetry/jaeger" % gh200["gh200_root"]).is_directory


def test_docker_logs_show_services_starting_without_errors(dev):
    """No error line in the container log but the benign ones a healthy start prints (pip's resolver notice), which
    the container role's own default ignores too."""
    logs = dev.logs().decode()
    assert "node exporter started" in logs and "prometheus started" in logs
    assert log_errors(logs) == [], logs
    assert "ERROR: pip's dependency resolver" in logs  # the stand-in does print the benign line


def test_prometheus_answers_on_loopback(dev, gh200):
    port = gh200["container_env"]["PROMETHEUS_PORT"]
    probe = ["python3", "-c", "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen("
             "'http://127.0.0.1:%s/-/ready', timeout=10).read().decode())" % port]
    for dummy in range(30):  # a start-up another test began may still be opening the TSDB
        rc, out = dev.exec_run(probe)
        if rc == 0:
            break
        time.sleep(1)
    assert rc == 0 and b"Ready" in out
