# -*- coding: utf-8 -*-
# Copyright: gh200.sglang contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place the gh200.sglang modules talk to the Docker engine (private to the collection)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import hashlib
import io
import os
import pwd
import socket as pysocket
import tarfile
import time
import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    import docker
    from docker.errors import DockerException, ImageNotFound, NotFound
    from docker.types import DeviceRequest, Mount
    from docker.utils import socket as docker_socket
    from requests.exceptions import ChunkedEncodingError, ConnectionError as RequestsConnectionError
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
    # The engine gone mid-call (restarted, its socket removed): the SDK lets requests' own errors through.
    ENGINE_LOST = (RequestsConnectionError, ChunkedEncodingError)
except ImportError:
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    class DockerException(Exception):
        """Placeholder so `except DockerException` works without the SDK."""

    ImageNotFound = NotFound = DockerException
    ENGINE_LOST = (DockerException,)


def first_line(exc):
    """An exception as one line: its first line, or its type's name when it says nothing."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


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
    try:  # version="auto" asks the engine at once; a down engine is one line here, never a traceback later
        if host:
            return docker.DockerClient(base_url=host, version="auto", timeout=timeout)
        return docker.from_env(version="auto", timeout=timeout)
    except Exception as exc:  # pylint: disable=broad-except  # the SDK raises requests' and its own errors alike
        module.fail_json(msg=unreachable_line(host or os.environ.get("DOCKER_HOST"), exc))


DEFAULT_SOCKET = "/var/run/docker.sock"


def socket_path(host):
    """The engine's Unix socket for a docker_host (or DOCKER_HOST) value; None for a TCP or SSH engine."""
    if not host:
        return DEFAULT_SOCKET
    return host[len("unix://"):] if host.startswith("unix://") else None


def denied_line(path, info, user, uid, group):
    """A socket this user may not use, as one line: who, the socket's owner and mode, and the two ways out."""
    owner = pwd_name(info.st_uid)
    return ("cannot use the Docker engine socket %s as %s (uid %d): permission denied (it is %s:%s, mode %04o): add %s to "
            "the group %s, or run the task with become" % (path, user, uid, owner, group, info.st_mode & 0o7777, user, group))


def pwd_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def unreachable_line(host, exc):
    """Why no client could be made, as one line; a socket this user may not use says so, and how to get access."""
    path = socket_path(host)
    if path and "Permission denied" in str(exc):
        try:
            info = os.stat(path)
            group = grp.getgrgid(info.st_gid).gr_name
        except (OSError, KeyError):
            info = group = None
        if info is not None:
            return denied_line(path, info, pwd_name(os.getuid()), os.getuid(), group)
    return "cannot reach the Docker engine at %s: %s" % (host or "DOCKER_HOST or the local socket", first_line(exc))


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


def log_lines(container, tail):
    """The last ``tail`` lines of a container's log, as text (bytes that are not UTF-8 replaced)."""
    return container.logs(tail=tail).decode("utf-8", "replace").splitlines()


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


def exec_as(container, user, argv, env=None, workdir=None, timeout=None, stdin=None):
    """Run argv (a list, never a shell string) in a running container as user; (rc, stdout, stderr).

    With ``timeout`` (seconds) the command runs under the container's coreutils ``timeout`` (TERM at the limit, KILL
    5 s later), the engine connection waits long enough for it, and a command the limit ended raises ExecTimeout.
    With ``stdin`` (bytes) the command reads them on its standard input, then end of file: a secret passed so is in
    no argv and no environment (``docker exec`` keeps an exec's environment in the engine, and /proc shows it)."""
    if timeout:
        argv = ["timeout", "--kill-after=5", "%gs" % timeout] + list(argv)
        api = container.client.api
        api.timeout = max(api.timeout or 0, timeout + 30)
        started = time.time()
    if stdin is None:
        result = container.exec_run(argv, user=user, environment=env or {}, workdir=workdir, demux=True)
        code, (out, err) = result.exit_code, result.output if isinstance(result.output, tuple) else (result.output, b"")
    else:
        code, out, err = _exec_with_input(container, user, argv, env, workdir, stdin)
    if timeout and code in TIMEOUT_CODES and time.time() - started >= timeout:
        raise ExecTimeout("%s did not answer in %g s" % (argv[3].rsplit("/", 1)[-1], timeout))
    return code, (out or b"").decode("utf-8", "replace"), (err or b"").decode("utf-8", "replace")


def _exec_with_input(container, user, argv, env, workdir, data):
    """exec_run with bytes on the command's stdin: the engine's attach socket takes them, then a half-close (the
    command sees end of file), then its multiplexed output is read to the end; (rc, stdout, stderr)."""
    api = container.client.api
    exec_id = api.exec_create(container.id, argv, stdin=True, user=user, environment=env or {}, workdir=workdir)["Id"]
    sock = api.exec_start(exec_id, socket=True)
    raw = getattr(sock, "_sock", sock)
    try:
        raw.sendall(data)
        raw.shutdown(pysocket.SHUT_WR)
        frames = (docker_socket.demux_adaptor(*frame) for frame in docker_socket.frames_iter(raw, tty=False))
        out, err = docker_socket.consume_socket_output(frames, demux=True)
    finally:
        sock.close()
    return api.exec_inspect(exec_id)["ExitCode"], out, err


# Where secret_files land in the dev container: a folder of the container's own (never bind-mounted, so nothing on the
# host tree holds a secret), 0500, each secret a 0400 file of the host user's uid (the container's user).
SECRETS_DIR = "/run/gh200-secrets"


def secret_paths(names):
    """{NAME_PATH: the file in the container} for secret_files ``names``: the environment points at the files (as
    huggingface_hub's HF_TOKEN_PATH does), and holds no secret."""
    return dict(("%s_PATH" % name, "%s/%s" % (SECRETS_DIR, name)) for name in names)


def secret_tar(files, uid, gid, now=None):
    """A tar archive (bytes) of SECRETS_DIR's folder (0500) and one 0400 file per (name, value) of ``files``, owned by
    uid:gid, for put_archive at the folder's parent."""
    buf = io.BytesIO()
    folder = SECRETS_DIR.rsplit("/", 1)[1]
    mtime = int(time.time() if now is None else now)
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(folder)
        info.type, info.mode, info.uid, info.gid, info.mtime = tarfile.DIRTYPE, 0o500, uid, gid, mtime
        tar.addfile(info)
        for name, value in sorted(files.items()):
            data = str(value).encode("utf-8")
            info = tarfile.TarInfo("%s/%s" % (folder, name))
            info.size, info.mode, info.uid, info.gid, info.mtime = len(data), 0o400, uid, gid, mtime
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def secret_digests(files):
    """{name: sha256 of its value}: what is compared with the files in the container; never the values themselves."""
    return dict((name, hashlib.sha256(str(value).encode("utf-8")).hexdigest()) for name, value in files.items())


def read_secret_digests(container, names, limit=1024 * 1024):
    """{name: sha256 of the file in the container, or None when it is missing}, read through the engine's archive API
    (root's view of the container's own filesystem; the values never leave this function)."""
    found = dict((name, None) for name in names)
    try:
        stream, dummy = container.get_archive(SECRETS_DIR)
    except NotFound:
        return found
    data = b"".join(stream)
    if len(data) > limit:
        return found
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            name = member.name.split("/", 1)[-1]
            if name in found and member.isfile():
                found[name] = hashlib.sha256(tar.extractfile(member).read()).hexdigest()
    return found


def put_secret_files(container, files, uid, gid):
    """Write ``files`` into the container (created, stopped or running) under SECRETS_DIR through the engine's archive
    API: the values travel in the request body, in no command line or environment."""
    if not container.put_archive(SECRETS_DIR.rsplit("/", 1)[0] or "/", secret_tar(files, uid, gid)):
        raise DockerException("the engine did not take the secret files for %s" % container.name)
