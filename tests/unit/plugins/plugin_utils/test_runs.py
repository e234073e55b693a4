"""A run's identity on the controller, read from a fake /proc: controller, PID and start time; the runs alive."""
import socket

from ansible_collections.gh200.sglang.plugins.plugin_utils import _runs


def fake_proc(tmp_path, processes):
    (tmp_path / "sys/kernel/random").mkdir(parents=True)
    (tmp_path / "sys/kernel/random/boot_id").write_text("0f3c9a7e-1111-2222-3333-444455556666\n")
    for pid, (argv, start) in processes.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
        fields = ["S"] + ["0"] * 18 + [str(start)] + ["0"] * 10
        (tmp_path / str(pid) / "stat").write_text("%d (%s) %s\n" % (pid, argv[0][-15:], " ".join(fields)))
    return str(tmp_path)


def test_live_runs_are_the_ansible_playbook_processes_with_their_start_times(tmp_path):
    proc = fake_proc(tmp_path, {
        10: (["/usr/bin/python3", "/venv/bin/ansible-playbook", "-i", "inv", "playbooks/verify.yml"], 5551),
        11: (["/venv/bin/ansible-playbook", "playbooks/verify.yml"], 6000),
        12: (["bash", "-c", "echo ansible-playbook"], 7000),
        13: (["/venv/bin/ansible", "all", "-m", "ping"], 8000),
    })
    host = _runs.controller(proc)
    assert host == "%s/0f3c9a7e" % socket.gethostname()
    assert _runs.live_runs(host, proc) == ["%s:10:5551" % host, "%s:11:6000" % host]
    assert _runs.run_id(host, 10, proc) == "%s:10:5551" % host
    assert _runs.start_time(99, proc) == "" and not _runs.is_playbook(99, proc)
