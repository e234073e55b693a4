"""The simulated fleet: N STAND-IN GH200 hosts on the local Docker engine, and the inventory that reaches them.

    GH200_FLEET_SIZE=4 scripts/fleet.sh      (the set-up, then .venv/bin/python tests/testbed/fleet.py)

brings the fleet to exactly N hosts, gh200-sim-01 .. gh200-sim-NN, and 0 tears it down. Each host is a test-bed host
container (gh200-testhost:testbed) with the host user `ubuntu`, its own host tree and workspace under
/var/tmp/gh200-fleet/<host>/ (the STAND-IN tiny model and workspace), its own dev container name (sglang-dev-sim-NN)
and its own ports, from a block the allocator gives it: Prometheus, the node exporter, the inference server, the tool
server and sshd. A block is taken only when no other host holds it and every port in it is free on 127.0.0.1, so
simulated hosts never collide with each other or with what else runs here.

The inventory reaches the hosts with the docker connection (community.docker.docker, as root), or with
--connection ssh (or GH200_FLEET_CONNECTION=ssh) as a real fleet is reached: each host's own sshd on its loopback
port, key authentication (the fleet's key pair under /var/tmp/gh200-fleet/ssh/), the non-root user `ops`, who
has sudo, and become (sudo) to the host user `ubuntu`, who is in the group of the engine's socket.

What the fleet created is recorded in /var/tmp/gh200-fleet/fleet.json, and a smaller fleet or a teardown removes
exactly that: the host containers, the dev containers of those names, the hosts' folders. The inventory is written to
/var/tmp/gh200-fleet/inventory.yml (--inventory to put it elsewhere):

    ansible-playbook -i /var/tmp/gh200-fleet/inventory.yml playbooks/verify.yml
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import time

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
BASE = "/var/tmp/gh200-fleet"
PREFIX = "gh200-sim-"
LABEL = "gh200.sglang.fleet"
HOST_IMAGE = "gh200-testhost:testbed"
HOST_USER = "ubuntu"
PORT_START, PORT_END, BLOCK = 20100, 20999, 10  # every fleet's ports, clear of the scenarios' and the dry-run's
PORTS = "20100-20599"  # a fleet's own range by default; another fleet side by side takes another (--ports)
ROLES = ("prometheus", "node_exporter", "inference", "tool", "ssh")
CONNECTIONS = ("docker", "ssh")
OPERATOR = "ops"  # the non-root user an SSH host is reached as (tests/testbed/images/gh200-testhost/setup.sh)
SSHD_LOG = "/var/log/gh200-sshd.log"  # in the host container: who logged in, with which key


class FleetError(Exception):
    """One line naming what could not be done."""


def host_name(index, prefix=PREFIX):
    return "%s%02d" % (prefix, index)


def dev_container(name):
    """gh200-sim-01 -> sglang-dev-sim-01 (a fleet of another prefix, gh200-<x>-NN, gets sglang-dev-<x>-NN)."""
    return "sglang-dev-" + name[len("gh200-"):]


def port_free(port, host="127.0.0.1"):
    """Whether nothing listens on ``port`` (bound as a server would, with SO_REUSEADDR)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_range(text):
    """'20600-20699' -> (20600, 20699), within PORT_START..PORT_END; else FleetError naming it."""
    first, last = text.partition("-")[::2]
    if not (first.isdigit() and last.isdigit() and PORT_START <= int(first) < int(last) <= PORT_END):
        raise FleetError("--ports must be FIRST-LAST within %d-%d, not %r" % (PORT_START, PORT_END, text))
    return int(first), int(last)


def allocate(taken, is_free, start=PORT_START, end=PORT_END, block=BLOCK):
    """{role: port} of the first block of ports, none of them in ``taken`` and each ``is_free``."""
    for first in range(start, end - len(ROLES) + 2, block):
        ports = dict((role, first + k) for k, role in enumerate(ROLES))
        if not set(ports.values()) & set(taken) and all(is_free(p) for p in ports.values()):
            return ports
    raise FleetError("no block of %d free ports left between %d and %d" % (len(ROLES), start, end))


def plan(hosts, size, prefix=PREFIX):
    """(names to create, names to remove) to bring the recorded ``hosts`` to exactly ``size``."""
    if size < 0:
        raise FleetError("GH200_FLEET_SIZE must be 0 or more, not %d" % size)
    wanted = [host_name(i, prefix) for i in range(1, size + 1)]
    return [n for n in wanted if n not in hosts], sorted(n for n in hosts if n not in wanted)


def ssh_port(name, ports):
    """The host's sshd port, or one line saying that the host was made before sshd had one."""
    if "ssh" not in ports:
        raise FleetError("%s was made without an sshd port: GH200_FLEET_SIZE=0 first, then make the fleet again" % name)
    return ports["ssh"]


def connection_vars(name, ports, connection, base=BASE):
    """How the inventory reaches one simulated host: its host container through the engine, or its sshd as a real
    fleet host is reached (a non-root user with a key, become to the host user)."""
    if connection == "docker":
        return {"ansible_connection": "docker",  # the routing name of community.docker.docker, which Mitogen takes over too
                "ansible_host": name}
    return {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": ssh_port(name, ports), "ansible_user": OPERATOR,
            "ansible_ssh_private_key_file": "%s/ssh/client_key" % base,
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10",
            "ansible_become": True, "ansible_become_method": "ansible.builtin.sudo", "ansible_become_user": HOST_USER}


def host_vars(name, record, base=BASE, connection="docker"):
    """The inventory variables of one simulated host."""
    folder = "%s/%s" % (base, name)
    ports = record["ports"]
    return dict(connection_vars(name, ports, connection, base), **{
        "gh200_root": folder + "/sglang-observability",
        "gh200_workspace": folder + "/sglang",
        "gh200_container_name": dev_container(name),
        "container_env": {"PROMETHEUS_PORT": str(ports["prometheus"]), "NODE_EXPORTER_PORT": str(ports["node_exporter"])},
        "inference_server_args": {"port": ports["inference"]},
        "inference_tool_port": ports["tool"],
    })


def inventory(hosts, shared, base=BASE, connection="docker"):
    """The fleet's inventory: every host in group gh200 with its own variables, the STAND-IN settings shared."""
    return {"all": {"children": {"gh200": {
        "hosts": dict((name, host_vars(name, hosts[name], base, connection)) for name in sorted(hosts)),
        "vars": shared,
    }}}}


class Fleet:
    """The fleet on the engine, and its record."""

    def __init__(self, base=BASE, inventory_path=None, connection="docker", prefix=PREFIX, ports=PORTS):
        import docker  # the test bed's venv has it; the pure functions above do not need it

        self.base = pathlib.Path(base)
        self.state_path = self.base / "fleet.json"
        self.inventory_path = pathlib.Path(inventory_path or self.base / "inventory.yml")
        self.docker = docker
        self.client = docker.from_env()
        self.state = json.loads(self.state_path.read_text()) if self.state_path.exists() else {"hosts": {}}
        self.connection, self.prefix, self.ports = connection, prefix, port_range(ports)

    def save(self):
        self.base.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, self.state_path)

    def owner(self):
        """uid and gid of the host user in the host image (the tree belongs to them)."""
        if "owner" not in self.state:
            out = self.client.containers.run(HOST_IMAGE, ["id", "-u", HOST_USER], remove=True, network_mode="none")
            uid = int(out.decode().strip())
            out = self.client.containers.run(HOST_IMAGE, ["id", "-g", HOST_USER], remove=True, network_mode="none")
            self.state["owner"] = [uid, int(out.decode().strip())]
        return self.state["owner"]

    def remove(self, name):
        for container in (name, dev_container(name)):
            try:
                self.client.containers.get(container).remove(force=True)
            except self.docker.errors.NotFound:
                pass
        shutil.rmtree(self.base / name, ignore_errors=True)
        self.state["hosts"].pop(name, None)
        self.save()
        print("fleet: removed %s" % name)

    def create(self, name):
        taken = [p for record in self.state["hosts"].values() for p in record["ports"].values()]
        ports = allocate(taken, port_free, *self.ports)
        uid, gid = self.owner()
        folder = self.base / name
        if folder.exists():
            raise FleetError("%s exists but the fleet has no record of it: remove it, or it is not ours" % folder)
        self.state["hosts"][name] = {"ports": ports}
        self.save()  # recorded before anything is made, so a failure half-way is cleaned up by the next run
        model = folder / "sglang-observability/models/standin/tiny-model"
        shutil.copytree(REPO / ".cache/tiny-model", model)
        shutil.copytree(REPO / "tests/testbed/standin-workspace", folder / "sglang", symlinks=True)
        for top in (folder / "sglang-observability", folder / "sglang"):
            for dirpath, dirnames, filenames in os.walk(top):
                for entry in [dirpath] + [os.path.join(dirpath, f) for f in filenames]:
                    os.lchown(entry, uid, gid)
        self.client.containers.run(
            HOST_IMAGE, ["/bin/sleep", "infinity"], name=name, detach=True, network_mode="host",
            labels={LABEL: "sim"},
            volumes={"/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"},
                     str(folder): {"bind": str(folder), "mode": "rw"}})
        print("fleet: created %s (ports %s)" % (name, ", ".join("%s %d" % kv for kv in sorted(ports.items()))))

    def client_key(self):
        """The fleet's client key pair (made once, 0600), whose public half every SSH host authorizes."""
        key = self.base / "ssh" / "client_key"
        if not key.exists():
            key.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(str(key.parent), 0o700)
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gh200-fleet", "-f", str(key)], check=True)
        return key.with_suffix(".pub").read_text().strip()

    def ensure_sshd(self, name):
        """The host's sshd listening on its port, as a real host's: host keys of its own, the operator's key authorized,
        and the host user in the group of the engine's socket (mounted from this machine). Nothing when it listens."""
        port = ssh_port(name, self.state["hosts"][name]["ports"])
        if not port_free(port):
            return
        gid = os.stat("/var/run/docker.sock").st_gid
        steps = [
            ["sh", "-c", 'getent group "$1" >/dev/null || groupadd -g "$1" hostdocker; usermod -aG "$1" "$2"', "sh", str(gid), HOST_USER],
            ["install", "-d", "-m", "0700", "-o", OPERATOR, "-g", OPERATOR, "/home/%s/.ssh" % OPERATOR],
            ["sh", "-c", 'printf "%s\\n" "$1" >"$2" && chown "$3:$3" "$2" && chmod 0600 "$2"', "sh", self.client_key(),
             "/home/%s/.ssh/authorized_keys" % OPERATOR, OPERATOR],
            ["ssh-keygen", "-A"], ["install", "-d", "-m", "0755", "/run/sshd"],
            ["/usr/sbin/sshd", "-E", SSHD_LOG, "-o", "ListenAddress=127.0.0.1", "-o", "Port=%d" % port, "-o", "PasswordAuthentication=no",
             "-o", "KbdInteractiveAuthentication=no", "-o", "PermitRootLogin=no", "-o", "AllowUsers=%s" % OPERATOR],
        ]
        container = self.client.containers.get(name)
        for argv in steps:
            code, out = container.exec_run(argv, user="root")
            if code != 0:
                raise FleetError("%s: %s failed (exit %s): %s" % (name, argv[0], code, out.decode("utf-8", "replace").strip()))
        for dummy in range(50):
            if not port_free(port):
                print("fleet: %s answers over SSH on 127.0.0.1:%d" % (name, port))
                return
            time.sleep(0.1)
        raise FleetError("%s: sshd does not listen on 127.0.0.1:%d" % (name, port))

    def converge(self, size):
        create, remove = plan(self.state["hosts"], size, self.prefix)
        for name in remove:
            self.remove(name)
        for name in sorted(self.state["hosts"]):
            try:
                container = self.client.containers.get(name)
            except self.docker.errors.NotFound:
                raise FleetError("%s is recorded but its host container is gone: GH200_FLEET_SIZE=0 clears it" % name)
            if container.status != "running":
                container.start()
        for name in create:
            self.create(name)
        if self.connection == "ssh":
            for name in sorted(self.state["hosts"]):
                self.ensure_sshd(name)
        if not self.state["hosts"]:
            for path in (self.state_path, self.inventory_path):
                if path.exists():
                    path.unlink()
            shutil.rmtree(self.base / "ssh", ignore_errors=True)  # the fleet's key pair goes with its last host
            if self.base.exists() and not any(self.base.iterdir()):
                self.base.rmdir()
            print("fleet: none left")
            return None
        shared = yaml.safe_load((REPO / "tests/testbed/standin-vars.yml").read_text())
        self.inventory_path.parent.mkdir(parents=True, exist_ok=True)
        self.inventory_path.write_text("---\n# Written by tests/testbed/fleet.py: the simulated fleet's %d STAND-IN hosts.\n%s" % (
            len(self.state["hosts"]), yaml.safe_dump(inventory(self.state["hosts"], shared, str(self.base), self.connection),
                                                     sort_keys=True)))
        print("fleet: %d host(s); inventory %s" % (len(self.state["hosts"]), self.inventory_path))
        return self.inventory_path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--size", type=int, default=None, help="hosts wanted (default: $GH200_FLEET_SIZE)")
    parser.add_argument("--base", default=BASE, help="where the hosts' folders, the record and the inventory live")
    parser.add_argument("--inventory", default=None, help="where to write the inventory (default: BASE/inventory.yml)")
    parser.add_argument("--prefix", default=PREFIX, help="host names, gh200-<x>-NN (default %s): two fleets side by side" % PREFIX)
    parser.add_argument("--ports", default=PORTS,
                        help="the ports its hosts take, FIRST-LAST (default %s): two fleets side by side never share one" % PORTS)
    parser.add_argument("--connection", choices=CONNECTIONS, default=os.environ.get("GH200_FLEET_CONNECTION", "docker"),
                        help="how the inventory reaches the hosts (default: $GH200_FLEET_CONNECTION, else docker)")
    args = parser.parse_args(argv)
    size = args.size
    if size is None:
        if "GH200_FLEET_SIZE" not in os.environ:
            parser.error("set GH200_FLEET_SIZE (0 tears the fleet down) or pass --size")
        try:
            size = int(os.environ["GH200_FLEET_SIZE"])
        except ValueError:
            parser.error("GH200_FLEET_SIZE must be a whole number, not %r" % os.environ["GH200_FLEET_SIZE"])
    try:
        if not re.match(r"^gh200-[a-z0-9]+-$", args.prefix):
            parser.error("--prefix must look like gh200-<letters or digits>-, not %r" % args.prefix)
        Fleet(args.base, args.inventory, args.connection, args.prefix, args.ports).converge(size)
    except FleetError as exc:
        print("fleet: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
