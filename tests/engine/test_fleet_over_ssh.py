"""A fleet reached as a real one is (issue 25, item 1; issue 24, fault 6): three STAND-IN hosts of the simulated fleet
(tests/testbed/fleet.py --connection ssh), each behind its own sshd on a loopback port, reached with a key as the
non-root user `ops` and become (sudo) to the host user. One verify.yml run over the three: gh200-sim-03 is lost
as phase 2 begins (its sshd and every session of it killed); the other two pass every phase, and the lost one is
`unreachable` after the phase it completed, named in failed.limit. The verdicts go to a root-owned textfile folder
with report_textfile_become: written as root, never as the host user the inventory becomes."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import REPO, dryrun_report, dryrun_start

BASE = "/var/tmp/gh200-ssh-fleet"
# Its own names, folders and ports: never the benchmarks' fleet's (gh200-sim-NN, ports 20100-20599), so the two can
# run side by side.
PORTS = "20600-20699"
FLEET = [sys.executable, str(REPO / "tests/testbed/fleet.py"), "--base", BASE, "--prefix", "gh200-ssh-", "--connection", "ssh",
         "--ports", PORTS]
TEXTFILE = "/var/lib/prometheus/node-exporter"
HOSTS = ["gh200-ssh-01", "gh200-ssh-02", "gh200-ssh-03"]


@pytest.fixture(scope="module")
def ssh_fleet():
    subprocess.run(FLEET + ["--size", "0"], check=True, stdout=subprocess.DEVNULL)  # what an earlier run left
    subprocess.run(FLEET + ["--size", str(len(HOSTS))], check=True)
    yield pathlib.Path(BASE) / "inventory.yml"
    subprocess.run(FLEET + ["--size", "0"], check=False, stdout=subprocess.DEVNULL)


def on_host(host, *argv):
    return subprocess.run(["docker", "exec", host] + list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=False)


def whoami(inventory, *args):
    """{host: the user a command runs as} over the inventory (ad-hoc, the json callback)."""
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="json")
    proc = subprocess.run([str(pathlib.Path(sys.executable).parent / "ansible"), "-i", str(inventory), "gh200", "-m",
                           "ansible.builtin.command", "-a", "id -un"] + list(args), cwd=str(REPO), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    hosts = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]
    return dict((host, result.get("stdout")) for host, result in hosts.items())


def test_verify_passes_over_ssh_with_become_on_every_host_but_the_one_lost_mid_run(ssh_fleet, tmp_path):
    inventory = ssh_fleet
    # The connection as the inventory states it: the operator's key, then sudo to the host user.
    assert whoami(inventory) == dict((host, "ubuntu") for host in HOSTS)
    assert whoami(inventory, "-e", "ansible_become=false") == dict((host, "ops") for host in HOSTS)

    for host in HOSTS:  # the node exporter's textfile folder, root's as Debian ships it
        assert on_host(host, "install", "-d", "-m", "0755", "-o", "root", "-g", "root", TEXTFILE).returncode == 0
    run = dryrun_start("playbooks/verify.yml", "-e", "report_dir=%s" % tmp_path, "-e", "report_textfile_dir=%s" % TEXTFILE,
                       "-e", "report_textfile_become=true", inventory=inventory)
    output, lost = [], False
    for line in run.stdout:
        output.append(line)
        if not lost and line.startswith("PLAY [Every host begins the phase at once, the fleet stop policy judged, phase2]"):
            # The daemon and every session of it: the network to gh200-sim-03 is gone.
            assert on_host(HOSTS[2], "pkill", "-KILL", "-x", "sshd").returncode == 0
            lost = True
    run.wait(timeout=1200)
    out = "".join(output)
    (tmp_path / "verify.log").write_text(out)  # the whole run, for a failure's reader (pytest keeps tmp_path)
    assert lost and run.returncode != 0, out[-3000:]
    for host in HOSTS[:2]:
        entry = dryrun_report(tmp_path, host)
        assert entry["verdict"] == "passed", (host, entry["verdict"], entry["detail"], out[-3000:])
        assert sorted(entry["phases"]) == ["phase0", "phase1", "phase2", "phase3", "phase4"]
        metrics = on_host(host, "stat", "-c", "%U %a", TEXTFILE + "/gh200_verify.prom").stdout.split()
        assert metrics == ["root", "644"], metrics
        assert 'gh200_verify_host_status{verdict="passed"} 1\n' in on_host(host, "cat", TEXTFILE + "/gh200_verify.prom").stdout
        log = on_host(host, "cat", "/var/log/gh200-sshd.log").stdout
        assert "Accepted publickey for ops from 127.0.0.1" in log, log[-2000:]
    lost_host = dryrun_report(tmp_path, HOSTS[2])
    assert lost_host["verdict"] == "unreachable", (lost_host["verdict"], lost_host["detail"], out[-3000:])
    assert lost_host["detail"].startswith("lost before phase2: ") and "\n" not in lost_host["detail"], lost_host["detail"]
    assert [lost_host["phases"][p]["verdict"] for p in sorted(lost_host["phases"])] == [
        "passed", "passed", "skipped", "skipped", "skipped"]
    assert lost_host["phases"]["phase2"]["reason"] == "the host was lost: unreachable"
    folder = next(p for p in tmp_path.iterdir() if p.is_dir())
    assert (folder / "failed.limit").read_text().split() == [HOSTS[2]]  # the rerun's --limit names it
    # What the run wrote in the host tree is the host user's, never the operator's or root's.
    uid = int(on_host(HOSTS[0], "id", "-u", "ubuntu").stdout)
    tree = "%s/%s/sglang-observability" % (BASE, HOSTS[0])
    owners = json.loads(on_host(HOSTS[0], "python3", "-c", "import os, json, sys; print(json.dumps([os.stat(p).st_uid for p in "
                                "sys.argv[1:]]))", tree + "/telemetry", tree + "/profiles/prep_result.json").stdout)
    assert owners == [uid, uid]
