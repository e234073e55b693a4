"""playbooks/collect_metrics.yml on the local dry-run inventory (this machine, the stand-in server): a bounded soak
answered in full, the figures before and after side by side in the Markdown table, the raw snapshots kept, and only
the server it started ended, by PID, with its port free afterwards."""
import glob
import os
import pwd
import socket
import tempfile

import docker

from conftest import dryrun_playbook as playbook


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_a_bounded_soak_is_measured_before_and_after_and_the_server_ends_by_pid():
    rc, out = playbook("playbooks/verify.yml", "--tags", "phase0")  # the host tree, the model and the dry-run image
    assert rc == 0, out[-3000:]
    reports = tempfile.mkdtemp(prefix="gh200-metrics-")
    rc, out = playbook("playbooks/collect_metrics.yml", "-e", "collect_metrics_requests=6", "-e", "collect_metrics_concurrency=2",
                       "-e", "collect_metrics_dir=%s" % reports)
    assert rc == 0, out[-3000:]
    assert "6 of 6 requests answered" in out
    (table,) = glob.glob(os.path.join(reports, "metrics-*.md"))
    text = open(table).read()
    assert "| requests | 0 | 6 | 6 |" in text and "| prompt_tokens | 0 |" in text, text
    root = os.path.join(pwd.getpwnam(os.environ["GH200_DRYRUN_USER"]).pw_dir, "sglang-observability")
    snapshots = os.listdir(os.path.join(root, "telemetry/prometheus/snapshots"))
    assert [n for n in snapshots if n.startswith("sglang-30000-soak-before-")] and [n for n in snapshots if n.startswith("sglang-30000-soak-after-")]
    assert port_free(30000)
    assert docker.from_env().containers.get("sglang-dev-dryrun").status == "exited"
