"""Phase 2 on a STAND-IN host with real compilers: every stage recorded ok with real artifacts owned by
devuser and no lock left; phase 0 vouches for signed caches and names a stray file; check mode changes
nothing; the plan's own flow (a fresh container and an empty folder per stage) rebuilds each stage."""
import json
import os
import re

from conftest import STAGES, lock_files, prep_result, tree_state


def test_every_stage_is_ok_with_its_artifacts_owned_by_devuser_and_no_lock_left(gh200, root):
    stages = prep_result(root)
    assert sorted(stages) == sorted(STAGES)
    for stage, folder in STAGES.items():
        assert stages[stage]["status"] == "ok", stages[stage]
        record = json.loads((root / "profiles" / folder / "signature.json").read_text())
        assert record["signature"] == stages[stage]["signature"] and record["artifacts"]
        for rel in record["artifacts"]:
            st = os.lstat(str(root / "profiles" / folder / rel))
            assert (st.st_uid, st.st_gid) == (gh200["uid"], gh200["gid"]), rel
    assert lock_files(root) == []


def test_phase0_vouches_for_signed_caches_and_names_a_stray_file(playbook, root, gh200):
    rc, output, report = playbook("playbooks/verify.yml", "--tags", "phase0")
    assert rc == 0, output[-3000:]
    checks = dict((c["name"], c) for c in report["hosts"][gh200["inventory_hostname"]]["checks"])
    assert checks["profiles holds only scaffolding and signed caches"]["status"] == "passed"
    stray = root / "profiles" / "inductor" / "stray-kernel.so"
    sig = root / "profiles" / "inductor" / "signature.json"
    signed = sig.read_bytes()
    record = json.loads(signed)
    artifact = root / "profiles" / "inductor" / record["artifacts"][0]
    artifact_bytes = artifact.read_bytes()
    seen = {}
    try:
        stray.write_text("not built by a stage")
        os.chown(str(stray), gh200["uid"], gh200["gid"])
        seen["stray"] = phase0_check(playbook, gh200)
        # The stray file written into the signature by hand: the seal no longer covers the list, nothing is vouched for.
        sig.write_text(json.dumps(dict(record, artifacts=record["artifacts"] + ["stray-kernel.so"],
                                       sizes=dict(record["sizes"], **{"stray-kernel.so": stray.stat().st_size}))))
        seen["edited"] = phase0_check(playbook, gh200)
        stray.unlink()
        sig.write_bytes(signed)
        # A signed artifact that changed size after it was signed.
        artifact.write_bytes(artifact_bytes + b"planted")
        seen["resized"] = phase0_check(playbook, gh200)
    finally:
        if stray.exists():
            stray.unlink()
        sig.write_bytes(signed)
        artifact.write_bytes(artifact_bytes)
    for case, (rc, check) in seen.items():
        assert rc != 0 and check["status"] == "failed", (case, check)
    assert "profiles/inductor/stray-kernel.so" in seen["stray"][1]["detail"]
    assert "unsigned files in inductor" in seen["stray"][1]["detail"]
    assert "unsigned files in inductor" in seen["edited"][1]["detail"]  # every artifact unvouched, the folder named
    assert "profiles/inductor/%s (%d -> %d bytes since signed)" % (
        record["artifacts"][0], len(artifact_bytes), len(artifact_bytes) + 7) in seen["resized"][1]["detail"]
    assert phase0_check(playbook, gh200)[1]["status"] == "passed"  # restored


def phase0_check(playbook, gh200):
    rc, output, report = playbook("playbooks/verify.yml", "--tags", "phase0")
    checks = dict((c["name"], c) for c in report["hosts"][gh200["inventory_hostname"]]["checks"])
    return rc, checks["profiles holds only scaffolding and signed caches"]


def test_check_mode_changes_nothing(playbook, root):
    before = tree_state(root)
    rc, output, report = playbook("playbooks/caches.yml", "--check")
    assert rc == 0, output[-3000:]
    assert tree_state(root) == before


def test_the_plans_flow_gives_each_stage_a_fresh_container_and_an_empty_folder(playbook, root, gh200):
    before = prep_result(root)
    runs = set(os.listdir(str(root / "telemetry" / "container_runs")))
    rc, output, report = playbook("playbooks/caches.yml", "-e", "caches_fresh_container=true", "-e", "caches_reset=true")
    assert rc == 0, output[-3000:]
    after = prep_result(root)
    for stage in STAGES:
        assert after[stage]["status"] == "ok" and after[stage]["reason"] == "reset=true"
        assert after[stage]["started"] >= before[stage]["finished"]
    new_runs = set(os.listdir(str(root / "telemetry" / "container_runs"))) - runs
    assert len(new_runs) >= len(STAGES) - 1, new_runs  # the first stage runs in the container already started
    # Each poll of a running stage shows its elapsed time and its log's last line (the compiles take seconds).
    shown = re.findall(r"%s \| (\w+): running (\d+)s, log [\d.]+ (?:B|KiB|MiB): \S" % gh200["inventory_hostname"], output)
    assert {stage for stage, seconds in shown} >= {"inductor", "flashinfer"}, output[-3000:]
    assert lock_files(root) == []
    rc, output, report = playbook("playbooks/caches.yml")
    assert rc == 0 and "changed=0" in output.split("PLAY RECAP")[-1], output[-3000:]
