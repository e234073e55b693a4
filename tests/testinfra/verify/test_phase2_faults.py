"""Each phase-2 check can fail: a stage whose command fails, an artifact not owned by devuser, and a lock file left
under profiles each give `failed` with the cause named. One run breaks both healthy hosts, each in its own way (host
variables from a second inventory): gh200-va's inductor stage fails; gh200-vb has a root-owned DeepGEMM artifact and
a lock planted under profiles. Each host is left as the fleet run left it (the failed stage is built again)."""
import json
import os

from conftest import host_vars_inventory, root_of

FAILING, PLANTED = "gh200-va", "gh200-vb"


def test_a_failing_stage_a_foreign_artifact_and_a_left_lock_each_fail_their_check(verify, tmp_path):
    record = json.loads(open(os.path.join(root_of(PLANTED), "profiles/deep_gemm/signature.json")).read())
    artifact = os.path.join(root_of(PLANTED), "profiles/deep_gemm", record["artifacts"][0])
    st = os.lstat(artifact)
    lock = os.path.join(root_of(PLANTED), "profiles/moe_configs/tuner.lock")
    with open(lock, "w"):
        pass
    profiles = os.stat(os.path.join(root_of(PLANTED), "profiles"))
    os.chown(lock, profiles.st_uid, profiles.st_gid)
    os.lchown(artifact, 0, 0)
    per_host = {FAILING: {"caches_stages": {"inductor": "rebuild"}, "caches_commands": {
        "inductor": ["python3", "-c", "print('compiling'); raise SystemExit('error: inductor gh200 broke')"]}}}
    try:
        run = verify("--limit", "%s,%s" % (FAILING, PLANTED), "--tags", "phase2", *host_vars_inventory(tmp_path, per_host))
        signed = os.path.exists(os.path.join(root_of(FAILING), "profiles/inductor/signature.json"))
        locks = [n for d, dirs, files in os.walk(os.path.join(root_of(FAILING), "profiles")) for n in files if n.endswith(".lock")]
        removed = not os.path.exists(lock)
    finally:
        os.lchown(artifact, st.st_uid, st.st_gid)
        if os.path.exists(lock):
            os.unlink(lock)
        again = verify("--limit", FAILING, "--tags", "phase2")  # the repair runs whatever the assertions below say
    assert run.rc != 0
    check = run.checks(FAILING, "phase2")["inductor: prep_result.json marks the stage ok"]
    assert check["status"] == "failed" and "error: inductor gh200 broke" in check["detail"], check
    assert not signed and locks == []
    owned = run.checks(PLANTED, "phase2")["deep_gemm: cache artifacts owned by devuser"]
    assert owned["status"] == "failed" and record["artifacts"][0] in owned["detail"], owned
    left = run.checks(PLANTED, "phase2")["no .lock left under profiles"]
    assert left["status"] == "failed" and "profiles/moe_configs/tuner.lock" in left["detail"], left
    assert removed  # lock cleanup removed it: nobody held it
    assert again.rc == 0, again.output[-3000:]
    assert "no valid signature" in again.checks(FAILING, "phase2")["inductor: prep_result.json marks the stage ok"]["detail"]
