"""A secret in secret_env reaches the container and nothing else, even at -vvvv; one in secret_files is a 0400 file in the
container that docker inspect does not show (on gh200-c)."""
import json
import uuid

from helpers import module_args, run, run_cli

testinfra_hosts = ["ansible://gh200-c"]


def test_secret_never_leaves_the_container(host, gh200, engine):
    secret = "hf_%s" % uuid.uuid4().hex
    args = module_args(gh200, secret_env={"HF_TOKEN": secret})
    rc, output = run_cli(host, "gh200.sglang.container_run", args, "-vvvv", "--diff")
    assert rc == 0, output[-2000:]
    assert '"changed": true' in output or "CHANGED" in output
    assert secret not in output

    # It did reach the container ...
    env = engine.containers.get(gh200["gh200_container_name"]).attrs["Config"]["Env"]
    assert "HF_TOKEN=%s" % secret in env
    # ... and no file under the host tree (manifests, pointer, logs) holds it.
    found = host.run("grep -rl -- %s %s" % (secret, gh200["gh200_root"]))
    assert found.rc == 1 and found.stdout == "", found.stdout

    # Drift of the secret is reported without the value; the result never carries it.
    again = run(host, "gh200.sglang.container_run", module_args(gh200, secret_env={"HF_TOKEN": secret + "x"}), check=True)
    assert [d["key"] for d in again["drift"]] == ["secret_env"]
    assert secret not in repr(again)

    assert run(host, "gh200.sglang.container_run", module_args(gh200))["changed"] is True


def test_a_secret_file_reaches_the_container_as_a_0400_file_and_docker_inspect_shows_no_value(host, gh200, engine):
    secret = "hf_%s" % uuid.uuid4().hex
    args = module_args(gh200, secret_files={"HF_TOKEN": secret})
    rc, output = run_cli(host, "gh200.sglang.container_run", args, "-vvvv", "--diff")
    assert rc == 0, output[-2000:]
    assert secret not in output
    container = engine.containers.get(gh200["gh200_container_name"])
    assert secret not in json.dumps(container.attrs)  # docker inspect: the path, never the value
    assert "HF_TOKEN_PATH=/run/gh200-secrets/HF_TOKEN" in container.attrs["Config"]["Env"]
    uid = str(gh200["uid"])
    listing = container.exec_run(["stat", "-c", "%a %u %n", "/run/gh200-secrets", "/run/gh200-secrets/HF_TOKEN"], user="0")
    assert listing.output.decode().split("\n")[:2] == ["500 %s /run/gh200-secrets" % uid, "400 %s /run/gh200-secrets/HF_TOKEN" % uid]
    assert container.exec_run(["cat", "/run/gh200-secrets/HF_TOKEN"], user=uid).output.decode() == secret
    found = host.run("grep -rl -- %s %s" % (secret, gh200["gh200_root"]))
    assert found.rc == 1 and found.stdout == "", found.stdout

    # The same value again changes nothing; check mode predicts a new value and writes nothing; the real run
    # writes it in place, in the same container, reported as drift without the value.
    assert run(host, "gh200.sglang.container_run", args)["changed"] is False
    new = dict(args, secret_files={"HF_TOKEN": secret + "x"})
    predicted = run(host, "gh200.sglang.container_run", new, check=True)
    assert predicted["changed"] is True and [d["key"] for d in predicted["drift"]] == ["secret_files"]
    assert container.exec_run(["cat", "/run/gh200-secrets/HF_TOKEN"], user=uid).output.decode() == secret
    again = run(host, "gh200.sglang.container_run", new)
    assert again["changed"] is True and again["actions"] == ["write_secret_files"] and secret not in repr(again)
    assert engine.containers.get(gh200["gh200_container_name"]).id == container.id
    assert container.exec_run(["cat", "/run/gh200-secrets/HF_TOKEN"], user=uid).output.decode() == secret + "x"

    assert run(host, "gh200.sglang.container_run", module_args(gh200))["changed"] is True  # back to no secret
