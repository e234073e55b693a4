"""A secret in secret_env reaches the container and nothing else, even at -vvvv (on gh200-c)."""
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
