"""Shared fixtures and helpers of the testinfra suites (fleet/ for molecule/default, editable/ for molecule/editable).

They run under Molecule's testinfra verifier, and also outside it against any inventory of stand-in
hosts built the same way:
    pytest tests/testinfra/fleet --hosts='ansible://all' --ansible-inventory=<inventory>
Each host's settings come from its inventory variables (the same gh200_* variables the roles read).
The dev containers run on the real engine, which the tests also reach from the controller.
"""
import json
import os
import pathlib
import re
import subprocess
import tempfile
import time

import docker
import pytest
import yaml

POINTER = "telemetry/container_run_meta.env"
REPO = pathlib.Path(__file__).resolve().parents[2]
HISTORY = "telemetry/container_runs"


@pytest.fixture(scope="module")
def gh200(host):
    """The host's gh200_* and container_* inventory variables, plus the host user's uid and gid."""
    variables = host.ansible.get_variables()
    settings = {k: v for k, v in variables.items() if k.startswith(("gh200_", "container_"))}
    user = host.user(settings["gh200_host_user"])
    settings["uid"] = user.uid
    settings["gid"] = user.gid
    settings["inventory_hostname"] = variables["inventory_hostname"]
    return settings


@pytest.fixture(scope="session")
def engine():
    return docker.from_env()


def module_args(gh200, **over):
    """container_run arguments matching how the converge started this host's container."""
    args = {
        "name": gh200["gh200_container_name"],
        "image": gh200["gh200_image"],
        "root": gh200["gh200_root"],
        "host_user": gh200["gh200_host_user"],
        "workspace": gh200["gh200_workspace"],
        "gpus": "none",
        "env": dict(gh200.get("container_env", {})),
        "init_run_hook": "/workspaces/sglang/.devcontainer/post-create.sh",
        "inventory_host": gh200["inventory_hostname"],
    }
    args.update(over)
    return args


def run(host, module, args, check=False):
    """Run a module on the host through the ansible CLI; its JSON result, with failed=True when it failed.

    (testinfra's host.ansible() drops the failed flag of a failed module, so it cannot tell a failure.)
    """
    hostname = host.backend.host  # the inventory name, with the ansible backend
    with tempfile.TemporaryDirectory() as tree:
        options = ["--tree", tree] + (["--check"] if check else [])
        rc, output = run_cli(host, module, args, *options)
        path = os.path.join(tree, hostname)
        if not os.path.exists(path):
            raise AssertionError("ansible gave no result for %s (rc=%d): %s" % (hostname, rc, output[-2000:]))
        with open(path) as handle:
            result = json.load(handle)
    result["failed"] = rc != 0
    return result


def run_cli(host, module, args, *options):
    """Run a module through the ansible CLI (for output checks such as -vvvv); returns (rc, output).

    The inventory is the one testinfra was given (--ansible-inventory), else Molecule's."""
    inventory = getattr(host.backend, "ansible_inventory", None) or os.environ.get("MOLECULE_INVENTORY_FILE")
    cmd = ["ansible", host.backend.host, "-m", module, "-a", json.dumps(args)] + list(options)
    if inventory:
        cmd[1:1] = ["-i", inventory]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600, check=False)
    return proc.returncode, proc.stdout


def read_env(host, path):
    """KEY=value pairs of an env file on the host (values are shell-quoted only when they need it)."""
    out = {}
    for line in host.file(path).content_string.splitlines():
        key, value = line.split("=", 1)
        out[key] = value.strip("'")
    return out


def history(host, gh200):
    return sorted(host.file("%s/%s" % (gh200["gh200_root"], HISTORY)).listdir())


def profile_files(host, gh200):
    return host.check_output("find %s/profiles -type f" % gh200["gh200_root"]).split()


def wait_ready(container, timeout=90):
    """The container's log once the entrypoint's ready line is in it: a test that reads the run's state
    must not race a start-up another test began (the tests run in random order)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        container.reload()
        logs = container.logs().decode()
        if "init-run: ready" in logs:
            return logs
        time.sleep(1)
    raise AssertionError("no ready line within %d s: %s" % (timeout, container.logs().decode()[-2000:]))


def log_errors(logs):
    """The container log's error lines, without the benign ones a healthy start prints (pip's resolver notice), which
    the container role's own default (container_log_ignore_regex) ignores too."""
    defaults = yaml.safe_load((REPO / "roles/container/defaults/main.yml").read_text())
    benign = re.compile(defaults["container_log_ignore_regex"])
    return [line for line in logs.splitlines()
            if re.search(r"(?i)\b(error|fatal|traceback)\b", line) and not benign.search(line)]
