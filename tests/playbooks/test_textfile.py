"""The verdict textfile through ansible-playbook: checks recorded by gh200.sglang.check and .phase, the host's record
finished, then the report role's textfile entry point (as verify.yml includes it) writes gh200_verify.prom, which
prometheus_client's parser reads back with the failed check at 0; check mode and an empty directory write nothing."""
from prometheus_client.parser import text_string_to_metric_families

PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - gh200.sglang.phase: {state: reset}
    - gh200.sglang.phase: {state: begin, phase: phase0, title: host prep}
    - gh200.sglang.check: {phase: phase0, name: host tree exists, that: true, detail: here}
    - gh200.sglang.check: {phase: phase0, name: model complete, that: false, fail_detail: a shard is missing}
    - gh200.sglang.phase: {state: end, phase: phase0}  # fails the task once at the end of a failed phase
      ignore_errors: true
    - gh200.sglang.phase: {state: finish}
    - ansible.builtin.include_role: {name: gh200.sglang.report, tasks_from: textfile}
      vars:
        report_phases: [phase0]
"""


def statuses(path):
    out = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_the_host_s_verdicts_are_written_as_textfile_metrics(playbook, tmp_path):
    folder = tmp_path / "textfile"
    folder.mkdir()
    rc, out = playbook(PLAY, extra=["-e", "report_textfile_dir=%s" % folder])
    assert rc == 0, out[-3000:]
    got = statuses(folder / "gh200_verify.prom")
    assert got[("gh200_verify_check_status", (("check", "model complete"), ("phase", "phase0")))] == 0
    assert got[("gh200_verify_check_status", (("check", "host tree exists"), ("phase", "phase0")))] == 1
    assert got[("gh200_verify_host_status", (("verdict", "failed"),))] == 0
    assert got[("gh200_verify_checks_failed", ())] == 1
    assert oct((folder / "gh200_verify.prom").stat().st_mode & 0o777) == "0o644"


def test_check_mode_and_an_empty_directory_write_nothing(playbook, tmp_path):
    folder = tmp_path / "textfile"
    folder.mkdir()
    rc, out = playbook(PLAY, extra=["--check", "-e", "report_textfile_dir=%s" % folder])
    assert rc == 0 and list(folder.iterdir()) == [], out[-3000:]
    rc, out = playbook(PLAY)
    assert rc == 0 and "Write this host's verdicts as node exporter textfile metrics" in out, out[-3000:]
    assert list(folder.iterdir()) == []
