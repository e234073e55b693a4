"""A host user outside the Docker socket's group (issue 25, item 2): a module that needs the engine fails with one line
naming the user, the socket's owner and mode, and the two ways out (the group, or become), never a traceback."""
import json
import os
import pwd
import stat
import subprocess

import pytest

USER = "gh200-nodocker"
SOCKET = "/var/run/docker.sock"


@pytest.fixture
def outsider():
    if os.getuid() != 0:
        pytest.skip("creating a host user needs root")
    if not os.path.exists(SOCKET) or not os.stat(SOCKET).st_mode & stat.S_IRWXG or os.stat(SOCKET).st_mode & stat.S_IRWXO:
        pytest.skip("%s is not a group-only socket" % SOCKET)
    subprocess.run(["useradd", "-M", "-s", "/bin/sh", USER], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield pwd.getpwnam(USER)
    subprocess.run(["userdel", USER], check=False)


def test_a_user_outside_the_docker_group_gets_one_line_naming_the_socket_and_the_way_out(playbook, outsider, tmp_path):
    play = tmp_path / "play.yml"
    play.write_text("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Probe the dev container as a user outside the docker group.
      gh200.sglang.container_probe:
        name: sglang-dev-dryrun
      become: true
      become_method: ansible.builtin.su
      become_user: %s
      register: probe
      ignore_errors: true
    - name: Keep the result.
      ansible.builtin.copy:
        content: "{{ probe | to_json }}"
        dest: %s
        mode: "0600"
""" % (USER, tmp_path / "probe.json"))
    # The host's own Python (its Debian python3-docker), as on a real host: the controller's venv is not the user's.
    rc, out = playbook(path=play, extra=["-e", "ansible_remote_tmp=/tmp", "-e", "ansible_python_interpreter=/usr/bin/python3"])
    assert rc == 0, out[-3000:]
    probe = json.loads((tmp_path / "probe.json").read_text())
    group = __import__("grp").getgrgid(os.stat(SOCKET).st_gid).gr_name
    expected = ("cannot use the Docker engine socket %s as %s (uid %d): permission denied (it is root:%s, mode 0660): add %s to "
                "the group %s, or run the task with become" % (SOCKET, USER, outsider.pw_uid, group, USER, group))
    assert probe["failed"] and probe["msg"] == expected and "Traceback" not in probe.get("exception", ""), probe
