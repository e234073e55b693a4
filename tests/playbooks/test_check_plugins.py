"""gh200.sglang.check, .phase and .report through ansible-playbook: verdicts, the phase failing once at
its end, skipped checks never touching their evidence, and the report written from the facts."""
from conftest import only_report

PLAY = """
- hosts: all
  gather_facts: false
  vars:
    evidence: {mode: '0644', path: /r/pointer}
  tasks:
    - gh200.sglang.phase: {state: reset}
    - gh200.sglang.phase: {state: begin, phase: phase1, title: container lifecycle}
    - block:
        - name: A check that holds.
          gh200.sglang.check:
            phase: phase1
            name: path recorded
            that: evidence.path == '/r/pointer'
            detail: "{{ evidence.path }}"
        - name: A check that fails, with its own failure detail.
          gh200.sglang.check:
            phase: phase1
            name: pointer mode is 0600
            that: [evidence.path | length > 0, "evidence.mode == '0600'"]
            detail: fine
            fail_detail: "{{ evidence.path }} has mode {{ evidence.mode }}"
        - name: A check whose evidence was never gathered fails, it does not pass.
          gh200.sglang.check:
            phase: phase1
            name: evidence missing
            that: never_gathered.container.running
        - name: As in assert, the first failing condition ends the check, so it can guard the next one.
          gh200.sglang.check:
            phase: phase1
            name: guarded
            that: [never_gathered is defined, never_gathered.key.requests > 0]
            fail_detail: nothing was gathered
        - name: A skipped check does not touch its evidence.
          gh200.sglang.check:
            phase: phase1
            name: GPU request
            that: never_gathered.gpus.match
            detail: "{{ never_gathered.gpus.actual }}"
            skip: no GPU (nvidia-smi not found on PATH)
        - name: One condition with commas is not split.
          gh200.sglang.check:
            phase: phase1
            name: commas
            that: "'b' in ['a', 'b', 'c']"
        - gh200.sglang.phase: {state: end, phase: phase1}
      rescue:
        - gh200.sglang.phase: {state: end, phase: phase1, failed_result: "{{ ansible_failed_result }}"}
        - ansible.builtin.set_fact: {end_message: "{{ ansible_failed_result.msg }}"}
    - gh200.sglang.phase: {state: begin, phase: phase4, title: teardown and persistence}
      register: p4
    - gh200.sglang.phase: {state: finish}
    - ansible.builtin.assert:
        that:
          - p4.skip_reason == 'phase1 failed on this host'
          - end_message is search('phase1 failed 3 check\\\\(s\\\\) on localhost')
          - end_message is search('guarded. nothing was gathered')
          - end_message is search('pointer mode is 0600. /r/pointer has mode 0644')
          - end_message is search('evidence missing. could not evaluate')
- hosts: localhost
  gather_facts: false
  tasks:
    - gh200.sglang.report:
        hosts: [localhost]
        dest: "{{ dest }}"
        phases: [phase0, phase1, phase4]
        fail_on_failed: "{{ fail | default(true) }}"
"""


def statuses(report):
    return dict((r["name"], r["status"]) for h in report["hosts"].values() for r in h["checks"])


def test_verdicts_phase_end_and_report(playbook, tmp_path):
    rc, out = playbook(PLAY, extra=["-e", "dest=%s" % (tmp_path / "reports")])
    assert rc == 2, out  # the report fails the run: localhost failed phase1
    assert "[WARNING]: check failed: pointer mode is 0600: /r/pointer has mode 0644" in out
    assert "verification did not pass on localhost" in out
    folder, report = only_report(tmp_path / "reports")
    assert statuses(report) == {
        "path recorded": "passed", "pointer mode is 0600": "failed", "evidence missing": "failed", "guarded": "failed",
        "GPU request": "skipped: no GPU (nvidia-smi not found on PATH)", "commas": "passed",
        "teardown and persistence": "skipped: phase1 failed on this host"}
    host = report["hosts"]["localhost"]
    assert host["verdict"] == "failed" and host["phases"]["phase1"]["verdict"] == "failed"
    assert host["phases"]["phase0"]["verdict"] == "not run" and host["phases"]["phase4"]["verdict"] == "skipped"
    assert sorted(p.name for p in folder.iterdir()) == ["failed.limit", "junit.xml", "report.html", "report.json", "report.md"]
    assert (folder / "failed.limit").read_text() == "localhost\n"


def test_report_can_be_told_not_to_fail(playbook, tmp_path):
    rc, out = playbook(PLAY, extra=["-e", "dest=%s" % (tmp_path / "r"), "-e", "fail=false"])
    assert rc == 0, out
    assert "localhost: failed (phase1 failed, phase4 skipped)" in out


def test_a_check_that_cannot_fail_is_refused(playbook):
    rc, out = playbook("""
- hosts: all
  gather_facts: false
  tasks:
    - gh200.sglang.check: {phase: phase0, name: always fine}
""")
    assert rc == 2 and "check 'always fine' has no condition and no skip reason: a check must be able to fail" in out


def test_an_unrecorded_host_is_unreachable_in_the_report(playbook, tmp_path):
    rc, out = playbook("""
- hosts: localhost
  gather_facts: false
  tasks:
    - gh200.sglang.report: {hosts: [ghost], dest: "%s"}
""" % (tmp_path / "r"))
    assert rc == 2 and "ghost: unreachable" in out
    dummy, report = only_report(tmp_path / "r")
    assert report["summary"]["unreachable"] == ["ghost"]


GROUP_PLAY = """
- hosts: all
  gather_facts: false
  vars:
    judged:
      - {name: nvidia-smi answers, status: passed, detail: 1 GPU}
      - {name: clock event reasons, status: warning, detail: "active: HW Slowdown"}
      - {name: no fatal XID, status: failed, detail: fatal XID 79}
      - {name: dcgmi diag passes, status: "skipped: dcgmi not installed", detail: ""}
  tasks:
    - gh200.sglang.phase: {state: reset}
    - gh200.sglang.phase: {state: begin, phase: phase0, title: host prep}
    - name: One task records the whole group, each check under its own name.
      gh200.sglang.checks: {phase: phase0, results: "{{ judged }}"}
    - name: A group turned off by an option is recorded skipped, never left out.
      gh200.sglang.checks: {phase: phase4, results: "{{ judged }}", skip: host_prep_gpu_health=false}
    - name: A status that is not a verdict is refused.
      gh200.sglang.checks: {phase: phase1, results: [{name: typo, status: pased}]}
      register: typo
      ignore_errors: true
    - ansible.builtin.assert:
        that:
          - typo is failed
          - typo.msg is search("status 'pased' is not passed, failed, warning or 'skipped. <reason>'")
          - gh200_checks | selectattr('phase', 'equalto', 'phase1') | list | length == 0
    - gh200.sglang.phase: {state: finish}
- hosts: localhost
  gather_facts: false
  tasks:
    - gh200.sglang.report: {hosts: [localhost], dest: "{{ dest }}", phases: [phase0, phase4], fail_on_failed: false}
"""


def test_a_group_of_judged_checks_is_recorded_in_one_task(playbook, tmp_path):
    rc, out = playbook(GROUP_PLAY, extra=["-e", "dest=%s" % (tmp_path / "r")])
    assert rc == 0, out
    assert "[WARNING]: check failed: no fatal XID: fatal XID 79" in out
    dummy, report = only_report(tmp_path / "r")
    records = [(r["phase"], r["name"], r["status"]) for r in report["hosts"]["localhost"]["checks"]]
    assert records[:4] == [("phase0", "nvidia-smi answers", "passed"), ("phase0", "clock event reasons", "warning"),
                           ("phase0", "no fatal XID", "failed"), ("phase0", "dcgmi diag passes", "skipped: dcgmi not installed")]
    assert set(s for p, n, s in records[4:]) == {"skipped: host_prep_gpu_health=false"} and len(records) == 8
    assert report["hosts"]["localhost"]["warnings"] == 1


CHECK_GROUP_PLAY = """
- hosts: all
  gather_facts: false
  vars:
    evidence: {mode: '0644', path: /r/pointer}
    prefix: "restart: "
  tasks:
    - gh200.sglang.phase: {state: reset}
    - gh200.sglang.phase: {state: begin, phase: phase1, title: container lifecycle}
    - name: One task judges a group of checks, each as one check task would.
      gh200.sglang.check:
        phase: phase1
        checks:
          - name: "{{ prefix }}path recorded"
            that: evidence.path == '/r/pointer'
            detail: "{{ evidence.path }}"
          - name: "{{ prefix }}pointer mode is 0600"
            that: [evidence.path | length > 0, "evidence.mode == '0600'"]
            detail: fine
            fail_detail: "{{ evidence.path }} has mode {{ evidence.mode }}"
          - name: "{{ prefix }}evidence missing"
            that: never_gathered.container.running
          - name: "{{ prefix }}GPU request"
            that: never_gathered.gpus.match
            detail: "{{ never_gathered.gpus.actual }}"
            skip: "{{ 'no GPU' if evidence.path else '' }}"
      register: group
    - name: A group skipped as a whole never templates its items.
      gh200.sglang.check:
        phase: phase1
        skip: check mode
        checks:
          - {name: "{{ prefix }}GPU health", that: never_gathered.x, detail: "{{ never_gathered.y }}", skip: "{{ never_gathered.reason }}"}
    - name: One item that could not fail refuses the whole group, which records nothing.
      gh200.sglang.check:
        phase: phase4
        checks:
          - {name: holds, that: "1 == 1"}
          - {name: always fine, detail: nothing to test}
      register: cannot_fail
      ignore_errors: true
    - name: An unknown key is refused by name.
      gh200.sglang.check:
        phase: phase4
        checks: [{name: typo, thta: "1 == 1"}]
      register: typo
      ignore_errors: true
    - name: The group and the one-check options do not mix.
      gh200.sglang.check:
        phase: phase4
        that: "1 == 1"
        checks: [{name: one, that: "1 == 1"}]
      register: mixed
      ignore_errors: true
    - ansible.builtin.assert:
        that:
          - group is not failed and group.checks | length == 4
          - group.warnings | length == 2
          - "group.msg[1] == 'failed: restart: pointer mode is 0600 (/r/pointer has mode 0644)'"
          - >-
            gh200_checks | selectattr('phase', 'equalto', 'phase1') | map(attribute='status') | list
            == ['passed', 'failed', 'failed', 'skipped: no GPU', 'skipped: check mode']
          - gh200_checks[2].detail is search('could not evaluate')
          - cannot_fail is failed
          - >-
            cannot_fail.msg == "check 'always fine' has no condition and no skip reason: a check must be able to fail"
          - >-
            typo is failed and typo.msg is search("check 'typo': unknown key.s. thta")
          - mixed is failed and mixed.msg is search('mutually exclusive')
          - gh200_checks | selectattr('phase', 'equalto', 'phase4') | list | length == 0
"""


def test_a_group_of_checks_is_judged_in_one_task_as_its_checks_would_be(playbook):
    rc, out = playbook(CHECK_GROUP_PLAY)
    assert rc == 0, out
