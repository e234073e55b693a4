"""Each phase-2 check can fail: a stage whose command fails, an artifact not owned by devuser, and a lock
file left under profiles each give `failed` with the cause named, and each case leaves the host as the
fleet run did (a failed stage is built again)."""
import json
import os

from conftest import root_of

HOST = "gh200-vb"
PHASE2 = ("--limit", HOST, "--tags", "phase2")


def test_a_failing_stage_is_failed_with_its_error_and_the_next_ensure_rebuilds_it(verify):
    broken = {"caches_stages": {"inductor": "rebuild"},
              "caches_commands": {"inductor": ["python3", "-c", "print('compiling'); raise SystemExit('error: inductor gh200 broke')"]}}
    try:
        run = verify(*PHASE2, "-e", json.dumps(broken))
        signed = os.path.exists(os.path.join(root_of(HOST), "profiles/inductor/signature.json"))
        locks = [n for d, dirs, files in os.walk(os.path.join(root_of(HOST), "profiles")) for n in files if n.endswith(".lock")]
    finally:
        again = verify(*PHASE2)  # the repair runs whatever the assertions below say
    assert run.rc != 0
    check = run.checks(HOST, "phase2")["inductor: prep_result.json marks the stage ok"]
    assert check["status"] == "failed" and "error: inductor gh200 broke" in check["detail"], check
    assert not signed and locks == []
    assert again.rc == 0, again.output[-3000:]
    assert "no valid signature" in again.checks(HOST, "phase2")["inductor: prep_result.json marks the stage ok"]["detail"]


def test_an_artifact_not_owned_by_devuser_is_named(verify):
    record = json.loads(open(os.path.join(root_of(HOST), "profiles/deep_gemm/signature.json")).read())
    path = os.path.join(root_of(HOST), "profiles/deep_gemm", record["artifacts"][0])
    st = os.lstat(path)
    os.lchown(path, 0, 0)
    try:
        run = verify(*PHASE2)
    finally:
        os.lchown(path, st.st_uid, st.st_gid)
    assert run.rc != 0
    check = run.checks(HOST, "phase2")["deep_gemm: cache artifacts owned by devuser"]
    assert check["status"] == "failed" and record["artifacts"][0] in check["detail"], check


def test_a_lock_left_under_profiles_is_named_and_removed(verify):
    path = os.path.join(root_of(HOST), "profiles/moe_configs/tuner.lock")
    with open(path, "w"):
        pass
    st = os.stat(os.path.join(root_of(HOST), "profiles"))
    os.chown(path, st.st_uid, st.st_gid)
    try:
        run = verify(*PHASE2)
        removed = not os.path.exists(path)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    assert run.rc != 0
    check = run.checks(HOST, "phase2")["no .lock left under profiles"]
    assert check["status"] == "failed" and "profiles/moe_configs/tuner.lock" in check["detail"], check
    assert removed  # lock cleanup removed it: nobody held it
