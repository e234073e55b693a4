# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place the gh200.sglang modules talk to the Docker engine (private to the collection)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    import docker
    from docker.errors import DockerException, ImageNotFound, NotFound
    from docker.types import DeviceRequest, Mount
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError:
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    class DockerException(Exception):
        """Placeholder so `except DockerException` works without the SDK."""

    ImageNotFound = NotFound = DockerException

# Options every module that talks to the engine takes (documented in doc_fragments/docker.py).
DOCKER_ARGS = dict(
    docker_host=dict(type="str"),
    docker_timeout=dict(type="int", default=120),
)


# The dev container a module acts on (documented in doc_fragments/docker.py, CONTAINER).
CONTAINER_ARGS = dict(
    name=dict(type="str", default="sglang-dev"),
)


def client(module):
    """A Docker client for the module's docker_host (DOCKER_HOST or the local socket when unset)."""
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib("docker (the Docker SDK for Python)"), exception=DOCKER_IMPORT_ERROR)
    host = module.params.get("docker_host")
    timeout = module.params.get("docker_timeout")
    if host:
        return docker.DockerClient(base_url=host, version="auto", timeout=timeout)
    return docker.from_env(version="auto", timeout=timeout)


def get_container(cli, name):
    try:
        return cli.containers.get(name)
    except NotFound:
        return None


def running_container(module, cli, name, purpose):
    """The running container ``name``, or fail_json in one line: 'container X is missing: start it <purpose>'."""
    container = get_container(cli, name)
    if container is None or container.status != "running":
        module.fail_json(msg="container %s is %s: start it %s" % (name, "missing" if container is None else container.status, purpose))
    return container


def get_image(cli, name):
    try:
        return cli.images.get(name)
    except ImageNotFound:
        return None


def bind_mount(source, target, read_only):
    return Mount(target=target, source=source, type="bind", read_only=read_only)


def gpu_request(gpus):
    """DeviceRequest for a normalized gpus value (see _manifest.normalize_gpus), or None."""
    if not gpus:
        return None
    if gpus["device_ids"]:
        return DeviceRequest(driver="nvidia", device_ids=list(gpus["device_ids"]), capabilities=[["gpu"]])
    return DeviceRequest(driver="nvidia", count=-1, capabilities=[["gpu"]])


class ExecTimeout(Exception):
    """A command in the container did not finish in time; str() is the one line: '<program> did not answer in N s'."""


# Exit codes of coreutils' timeout: 124 when the limit ended the command, 137 when it had to KILL it.
TIMEOUT_CODES = (124, 137)


def exec_as(container, user, argv, env=None, workdir=None, timeout=None):
    """Run argv (a list, never a shell string) in a running container as user; (rc, stdout, stderr).

    With ``timeout`` (seconds) the command runs under the container's coreutils ``timeout`` (TERM at the limit, KILL
    5 s later), the engine connection waits long enough for it, and a command the limit ended raises ExecTimeout."""
    if timeout:
        argv = ["timeout", "--kill-after=5", "%gs" % timeout] + list(argv)
        api = container.client.api
        api.timeout = max(api.timeout or 0, timeout + 30)
        started = time.time()
    result = container.exec_run(argv, user=user, environment=env or {}, workdir=workdir, demux=True)
    out, err = result.output if isinstance(result.output, tuple) else (result.output, b"")
    if timeout and result.exit_code in TIMEOUT_CODES and time.time() - started >= timeout:
        raise ExecTimeout("%s did not answer in %g s" % (argv[3].rsplit("/", 1)[-1], timeout))
    return result.exit_code, (out or b"").decode("utf-8", "replace"), (err or b"").decode("utf-8", "replace")
