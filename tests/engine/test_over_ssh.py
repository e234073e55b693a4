"""The local dry-run reached over SSH (issue 25, item 1; issue 24, fault 6): an sshd of the test's own on a loopback
port (Debian's openssh-server: key authentication only, the dry-run's host user, who is in the docker group and needs
no become), and verify.yml over it as a fleet operator runs it. It passes every phase. Then the host is lost mid-run:
its sshd and every session of it killed as phase 2 begins; the report says the host is unreachable after phase 1,
the phases it completed kept as passed."""
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import yaml

from conftest import REPO, dryrun_report, dryrun_start, free_port, kill_tree

SSHD = "/usr/sbin/sshd"


@pytest.fixture
def ssh_host():
    """(inventory path, sshd process) of the dry-run host behind an sshd on a loopback port, as its host user; one per
    test, since the lost-host test kills its sshd (tests run in random order)."""
    if "GH200_DRYRUN_USER" not in os.environ:
        pytest.skip("GH200_DRYRUN_USER unset: run through scripts/test.sh (it loads .cache/testbed.env)")
    assert os.path.exists(SSHD), "scripts/setup.sh installs openssh-server"
    # Outside pytest's own 0700 folders: sshd reads the keys as the host user, and with StrictModes every folder above
    # them must be root's and not writable by others (/run is; /tmp and /var/tmp are not).
    work = pathlib.Path(tempfile.mkdtemp(prefix="gh200-sshd-", dir="/run"))
    os.chmod(str(work), 0o755)
    user = os.environ["GH200_DRYRUN_USER"]
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "host_key")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "client_key")], check=True)
    keys = work / "authorized_keys"
    shutil.copy(str(work / "client_key.pub"), str(keys))
    os.chmod(str(keys), 0o644)
    port = free_port()
    (work / "sshd_config").write_text("\n".join([
        "ListenAddress 127.0.0.1", "Port %d" % port, "HostKey %s" % (work / "host_key"), "PidFile %s" % (work / "sshd.pid"),
        "AuthorizedKeysFile %s" % keys, "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no",
        "AllowUsers %s" % user, "PermitRootLogin no", "Subsystem sftp internal-sftp", ""]))
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", str(work / "sshd_config")], stdout=subprocess.DEVNULL,
                            stderr=open(str(work / "sshd.log"), "wb"))
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert sshd.poll() is None and time.monotonic() < deadline, (work / "sshd.log").read_text()
            time.sleep(0.2)
    local = yaml.safe_load((REPO / "inventory" / "local.yml").read_text())
    host = dict(local["all"]["children"]["gh200"]["hosts"]["dryrun-local"])
    for key in ("ansible_connection", "ansible_become", "ansible_become_method", "ansible_become_user"):
        host.pop(key)
    host.update(ansible_host="127.0.0.1", ansible_port=port, ansible_user=user, ansible_python_interpreter="/usr/bin/python3",
                ansible_ssh_private_key_file=str(work / "client_key"),
                ansible_ssh_common_args="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5")
    inventory = work / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"gh200": {"hosts": {"dryrun-ssh": host}}}}}))
    yield inventory, sshd
    kill_tree(sshd.pid)
    sshd.wait()
    shutil.rmtree(str(work), ignore_errors=True)


def verify(inventory, report_dir):
    return dryrun_start("playbooks/verify.yml", "-e", "report_dir=%s" % report_dir, inventory=inventory)


def report(folder):
    return dryrun_report(folder, "dryrun-ssh")


def test_verify_passes_every_phase_over_ssh_as_the_host_user(ssh_host, tmp_path):
    inventory, sshd = ssh_host
    run = verify(inventory, tmp_path)
    out = run.communicate(timeout=900)[0]
    host = report(tmp_path)
    assert run.returncode == 0 and host["verdict"] == "passed", (host["verdict"], host["detail"], out[-3000:])
    assert sorted(host["phases"]) == ["phase0", "phase1", "phase2", "phase3", "phase4"]


def test_a_host_lost_mid_run_is_unreachable_after_the_phase_it_completed(ssh_host, tmp_path):
    inventory, sshd = ssh_host
    run = verify(inventory, tmp_path)
    output, lost = [], False
    for line in run.stdout:
        output.append(line)
        if not lost and line.startswith("TASK [Run phase 2"):
            kill_tree(sshd.pid)  # the daemon and every session: the network is gone
            lost = True
    run.wait(timeout=600)
    out = "".join(output)
    host = report(tmp_path)
    assert lost and run.returncode != 0, out[-3000:]
    assert host["verdict"] == "unreachable", (host["verdict"], host["detail"], out[-3000:])
    assert host["detail"].startswith("lost before phase2: ") and "\n" not in host["detail"], host["detail"]
    assert [host["phases"][p]["verdict"] for p in sorted(host["phases"])] == ["passed", "passed", "skipped", "skipped", "skipped"]
    assert host["phases"]["phase2"]["reason"] == "the host was lost: unreachable"
    failed_limit = next(pathlib.Path(tmp_path).iterdir()) / "failed.limit"
    assert failed_limit.read_text().split() == ["dryrun-ssh"]  # the rerun's --limit names it
