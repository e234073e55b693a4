import os
import socket

from ansible_collections.gh200.sglang.plugins.module_utils import _docker


def test_the_socket_of_a_docker_host_value():
    assert _docker.socket_path(None) == _docker.socket_path("") == "/var/run/docker.sock"
    assert _docker.socket_path("unix:///run/user/1000/docker.sock") == "/run/user/1000/docker.sock"
    assert _docker.socket_path("tcp://127.0.0.1:2375") is None and _docker.socket_path("ssh://gh200-a") is None


def test_a_socket_this_user_may_not_use_is_named_with_its_owner_mode_and_the_way_out(tmp_path):
    path = str(tmp_path / "docker.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    try:
        os.chmod(path, 0o660)
        info = os.stat(path)
        line = _docker.denied_line(path, info, "ubuntu", 1000, "docker")
        assert line == ("cannot use the Docker engine socket %s as ubuntu (uid 1000): permission denied (it is %s:docker, "
                        "mode 0660): add ubuntu to the group docker, or run the task with become" % (path, _docker.pwd_name(info.st_uid)))
        denied = Exception("Error while fetching server API version: ('Connection aborted.', PermissionError(13, 'Permission denied'))")
        assert _docker.unreachable_line("unix://" + path, denied).startswith("cannot use the Docker engine socket %s as " % path)
    finally:
        server.close()
    gone = Exception("Error while fetching server API version: ('Connection aborted.', FileNotFoundError(2, 'No such file'))")
    assert _docker.unreachable_line(None, gone) == (
        "cannot reach the Docker engine at DOCKER_HOST or the local socket: Error while fetching server API version: "
        "('Connection aborted.', FileNotFoundError(2, 'No such file'))")
    assert _docker.unreachable_line("tcp://127.0.0.1:9", Exception("refused")) == "cannot reach the Docker engine at tcp://127.0.0.1:9: refused"
    assert _docker.pwd_name(4294967294) == "4294967294"
