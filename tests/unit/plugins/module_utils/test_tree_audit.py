import json
import os
import shutil
import stat

import pytest

from ansible_collections.gh200.sglang.plugins.module_utils import _signature, _tree
from ansible_collections.gh200.sglang.plugins.modules import tree_audit

REQUIRED = ["models", "profiles", "telemetry", "telemetry/logs", "telemetry/prometheus", "telemetry/jaeger"]
SCAFFOLD = ["flashinfer", "inductor", "deep_gemm", "moe_configs", "prep_result.json"]
MODEL = "Qwen/Tiny-Model"
ME = (os.getuid(), os.getgid())


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "sglang-observability"
    for d in REQUIRED + ["models/Qwen/Tiny-Model"] + ["profiles/" + s for s in SCAFFOLD[:4]]:
        (r / d).mkdir(parents=True, exist_ok=True)
    (r / "models/Qwen/Tiny-Model/config.json").write_text("{}")
    (r / "profiles/prep_result.json").write_text("{}")
    return r


def audit(root, **kw):
    return _tree.audit(str(root), ME[0], ME[1], required=REQUIRED, model=MODEL, scaffolding=SCAFFOLD, **kw)


def test_a_clean_tree_has_nothing_to_report(root):
    result = audit(root)
    assert (result["missing"], result["not_directories"], result["symlinks_out"]) == ([], [], [])
    assert (result["wrong_owner_count"], result["profiles_extra_count"], result["models_extra_count"]) == (0, 0, 0)
    assert result["model"]["is_dir"] and result["model"]["files"] == 1 and result["model"]["bytes"] == 2


def test_a_deep_entry_owned_by_someone_else_is_named(root):
    deep = root / "telemetry/logs/container-run-x/deep"
    deep.mkdir(parents=True)
    (deep / "file").write_text("x")
    result = _tree.audit(str(root), ME[0], ME[1] + 1, required=REQUIRED)  # another gid: every entry offends
    assert result["wrong_owner_count"] == result["entries"]
    result = _tree.audit(str(root), ME[0] + 1, ME[1], max_listed=2)
    assert len(result["wrong_owner"]) == 2 and result["wrong_owner_count"] == result["entries"]
    summary = _tree.ownership_summary(result, "ubuntu", ME[0] + 1, ME[1])
    assert summary.startswith("%d of %d entries are not owned by ubuntu" % (result["entries"], result["entries"]))


def test_symlinks_leaving_the_tree_are_reported_never_followed(root, tmp_path):
    outside = tmp_path / "outside"
    (outside / "secret").mkdir(parents=True)
    (root / "profiles/flashinfer/escape").symlink_to(outside)
    (root / "telemetry/inside").symlink_to(root / "telemetry/logs")
    result = audit(root)
    assert result["symlinks_out"] == [{"path": str(root / "profiles/flashinfer/escape"), "target": str(outside)}]
    assert not any("secret" in p for p in result["profiles_extra"])  # not walked through


def test_a_symlinked_root_is_not_walked(root, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(root)
    result = audit(link)
    assert result["root_symlink"] == str(root) and result["entries"] == 0
    assert "must be a real directory" in _tree.symlink_summary(result)


def test_profiles_scaffolding_is_checked_through_the_whole_tree(root):
    (root / "profiles/flashinfer/kernels").mkdir()
    (root / "profiles/flashinfer/kernels/a.so").write_text("x")
    (root / "profiles/stray.txt").write_text("x")
    result = audit(root)
    assert sorted(result["profiles_extra"]) == ["profiles/flashinfer/kernels", "profiles/flashinfer/kernels/a.so", "profiles/stray.txt"]


def test_a_second_model_is_named_even_under_the_same_organisation(root):
    (root / "models/Qwen/Other-Model").mkdir()
    (root / "models/Qwen/Other-Model/config.json").write_text("{}")
    (root / "models/README").write_text("x")
    result = audit(root)
    assert sorted(result["models_extra"]) == ["models/Qwen/Other-Model", "models/Qwen/Other-Model/config.json", "models/README"]


def test_missing_and_non_directory_required_paths(root):
    (root / "telemetry/jaeger").rmdir()
    (root / "telemetry/jaeger").write_text("not a dir")
    os.rmdir(root / "telemetry/prometheus")
    result = audit(root)
    assert result["missing"] == ["telemetry/prometheus"] and result["not_directories"] == ["telemetry/jaeger"]
    assert _tree.audit(str(root / "nope"), 0, 0, required=["models"])["missing"] == ["", "models"]


def test_inventory_lists_regular_files_relative_to_the_root(root):
    (root / "telemetry/logs/a.log").write_text("x")
    result = audit(root, inventory=["telemetry", "profiles"])
    assert result["files"] == {"telemetry": ["telemetry/logs/a.log"], "profiles": ["profiles/prep_result.json"]}
    assert result["sizes"]["telemetry"] == {"telemetry/logs/a.log": 1}


@pytest.mark.parametrize("value", ["/etc", "../x", "a//b", "a/./b", "telemetry/.."])
def test_path_options_stay_inside_the_tree(value):
    with pytest.raises(_tree.OptionProblem) as exc:
        _tree.relative_option("inventory", value)
    assert "inventory" in str(exc.value) and repr(value) in str(exc.value)


def test_module_refuses_a_path_leaving_the_tree_with_one_line(run_module, root):
    code, result = run_module(tree_audit.main, {"root": str(root), "inventory": ["../../etc"]})
    assert code == 1 and result["failed"] and result["msg"].startswith("inventory '../../etc' has an empty, '.' or '..' segment")


def test_module_refuses_a_model_that_is_not_a_repo_id(run_module, root):
    code, result = run_module(tree_audit.main, {"root": str(root), "model": "../Qwen"})
    assert code == 1 and "is not a Hugging Face repo id" in result["msg"]


def test_module_reports_and_changes_nothing(run_module, root):
    before = sorted(os.walk(root))
    code, result = run_module(tree_audit.main, {"root": str(root), "required": REQUIRED, "model": MODEL, "scaffolding": SCAFFOLD})
    assert code == 0 and result["changed"] is False and result["wrong_owner_count"] == 0
    assert result["owner_detail"].endswith("(%d:%d)" % ME) and sorted(os.walk(root)) == before


def test_resolve_root_defaults_and_refusals(tmp_path):
    import pwd
    me = pwd.getpwuid(os.getuid())
    account, root = _tree.resolve_root(None, None)
    assert account.pw_uid == os.getuid() and root == os.path.join(me.pw_dir, "sglang-observability")
    assert _tree.resolve_root(me.pw_name, str(tmp_path) + "/x/../r")[1] == str(tmp_path / "r")
    with pytest.raises(_tree.OptionProblem, match="host user 'no-such-user-gh200' does not exist on this host"):
        _tree.resolve_root("no-such-user-gh200", None)
    with pytest.raises(_tree.OptionProblem, match="root 'relative/r' is not an absolute path"):
        _tree.resolve_root(None, "relative/r")


def sign(folder, artifacts, inputs=None):
    """A signature.json as cache_stage writes it: the artifacts with their sizes, under the seal."""
    sizes = dict((rel, (folder / rel).stat().st_size) for rel in artifacts if (folder / rel).exists())
    record = _signature.record(inputs or {"stage": folder.name}, artifacts, sizes)
    (folder / "signature.json").write_text(json.dumps(record))
    return record


def test_a_hand_edited_artifact_list_or_a_changed_size_is_caught(root):
    stage = root / "profiles/inductor"
    (stage / "kernel.so").write_text("x")
    (stage / "stray.so").write_text("planted")
    record = sign(stage, ["kernel.so"])
    assert audit(root)["profiles_extra"] == ["profiles/inductor/stray.so"]
    assert audit(root)["profiles_unsigned"] == ["inductor"]
    # The stray file added to the list by hand: the seal no longer covers it, so the signature vouches for nothing.
    edited = dict(record, artifacts=["kernel.so", "stray.so"], sizes=dict(record["sizes"], **{"stray.so": 7}))
    (stage / "signature.json").write_text(json.dumps(edited))
    assert sorted(audit(root)["profiles_extra"]) == ["profiles/inductor/kernel.so", "profiles/inductor/stray.so"]
    # A signed artifact whose size changed after signing is named with both sizes.
    (stage / "stray.so").unlink()
    sign(stage, ["kernel.so"])
    (stage / "kernel.so").write_text("longer")
    assert audit(root)["profiles_extra"] == ["profiles/inductor/kernel.so (1 -> 6 bytes since signed)"]


def test_caches_a_valid_signature_vouches_for_are_not_extra_and_anything_else_is(root):
    stage = root / "profiles/inductor"
    (stage / "fx/ab").mkdir(parents=True)
    (stage / "fx/ab/kernel.so").write_text("x")
    (stage / "compile.log").write_text("log")
    (stage / "locks").mkdir()  # left empty once the library's lock files are cleaned
    sign(stage, ["fx/ab/kernel.so"])
    assert audit(root)["profiles_extra"] == [] and audit(root)["profiles_signed_count"] == 3
    (stage / "fx/ab/stray.so").write_text("x")
    (root / "profiles/deep_gemm/compile.log").write_text("a failed stage's log, no signature")
    (root / "profiles/deep_gemm/half.so").write_text("x")
    assert audit(root)["profiles_extra"] == ["profiles/deep_gemm/half.so", "profiles/inductor/fx/ab/stray.so"]


def test_a_tampered_signature_or_a_symlinked_folder_vouches_for_nothing(root, tmp_path):
    stage = root / "profiles/inductor"
    (stage / "kernel.so").write_text("x")
    record = sign(stage, ["kernel.so"])
    (stage / "signature.json").write_text(json.dumps(dict(record, inputs={"stage": "other"})))
    assert audit(root)["profiles_extra"] == ["profiles/inductor/kernel.so"]
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kernel.so").write_text("x")
    sign(outside, ["kernel.so"])
    os.rmdir(str(root / "profiles/flashinfer"))
    (root / "profiles/flashinfer").symlink_to(outside)
    assert "profiles/flashinfer" in audit(root)["profiles_extra"]


def test_the_tool_model_of_a_deploy_mode_is_expected_and_a_third_model_is_not(root):
    (root / "models/Salesforce/Tool-Model").mkdir(parents=True)
    (root / "models/Salesforce/Tool-Model/config.json").write_text("{}")
    (root / "models/Qwen/Other-Model").mkdir()
    result = audit(root, also_models=["Salesforce/Tool-Model"])
    assert result["models_extra"] == ["models/Qwen/Other-Model"]
    assert result["model"]["files"] == 1  # the first model alone is described
    assert audit(root)["models_extra_count"] == 4


def test_module_refuses_an_also_model_that_is_not_a_repo_id(run_module, root):
    code, result = run_module(tree_audit.main, {"root": str(root), "model": MODEL, "also_models": ["../x"]})
    assert code == 1 and result["msg"] == "model '../x' is not a Hugging Face repo id (org/name, each at most 96 characters)"


def test_setuid_setgid_files_and_device_nodes_anywhere_are_named(root):
    deep = root / "profiles/inductor/fx"
    deep.mkdir(parents=True)
    (deep / "run").write_text("#!/bin/sh\n")
    os.chmod(str(deep / "run"), 0o4755)
    (root / "telemetry/jaeger").mkdir(parents=True, exist_ok=True)
    (root / "telemetry/jaeger/helper").write_text("x")
    os.chmod(str(root / "telemetry/jaeger/helper"), 0o2755)
    os.mknod(str(root / "telemetry/null"), 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    os.chmod(str(root / "profiles"), 0o2775)  # a setgid directory is a sharing convention, not a threat
    result = audit(root)
    assert result["special_count"] == 3
    assert sorted(result["special"]) == sorted(["%s/profiles/inductor/fx/run (setuid)" % root,
                                                "%s/telemetry/jaeger/helper (setgid)" % root,
                                                "%s/telemetry/null (device node)" % root])


def test_the_profiles_line_names_the_stages_to_rebuild_and_the_command_or_a_stage_being_built(root):
    import fcntl
    from ansible_collections.gh200.sglang.plugins.module_utils import _stages
    (root / "profiles/inductor/half.so").write_text("half-built")
    (root / "profiles/moe_configs/tuned.json").write_text("{}")
    result = audit(root)
    assert result["profiles_unsigned"] == ["inductor", "moe_configs"]
    rebuild = dict((s, "rebuild") for s in _stages.stages_of(result["profiles_unsigned"]))
    assert rebuild == {"inductor": "rebuild", "moe": "rebuild"}
    line = _tree.profiles_summary(result, rebuild, [])
    assert line.startswith("2 entries under profiles/ beyond the scaffolding and the signed caches: ")
    assert line.endswith("rebuild those stages, which removes what their signatures do not vouch for, with ansible-playbook"
                         " -i <inventory> playbooks/caches.yml --limit {host} -e "
                         "'{\"caches_stages\": {\"inductor\": \"rebuild\", \"moe\": \"rebuild\"}}'"), line
    (root / "profiles/junk").mkdir()
    result = audit(root)
    assert _tree.profiles_summary(result, rebuild, []).endswith("'; and remove what is not a stage folder")
    assert _tree.profiles_summary(result, {}, []).endswith("signature from before the seal): remove what is not a stage folder")
    assert _tree.profiles_summary(audit(root / "none"), {}, []) == ""

    # A stage whose lock a live process holds is being built now: named with its holder, the lock only probed.
    lock = root / "profiles/inductor/.lock"
    fd = os.open(str(lock), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"pid 4455 since 2026-11-30T20:30:01Z\n")
        assert tree_audit.building(str(root), rebuild) == []  # nobody holds it
        fcntl.flock(fd, fcntl.LOCK_EX)
        building = tree_audit.building(str(root), rebuild)
        assert building == ["inductor (its lock held by pid 4455 since 2026-11-30T20:30:01Z)"]
        assert _tree.profiles_summary(audit(root), rebuild, building).startswith(
            "being built now: inductor (its lock held by pid 4455 since 2026-11-30T20:30:01Z); wait until it ends, then run again. ")
    finally:
        os.close(fd)
    assert lock.read_text() == "pid 4455 since 2026-11-30T20:30:01Z\n"


def test_with_a_model_store_anything_under_models_is_extra_and_an_empty_models_is_clean(root):
    result = audit(root, models_elsewhere=True)
    assert result["models_extra"] == ["models/Qwen", "models/Qwen/Tiny-Model", "models/Qwen/Tiny-Model/config.json"]
    shutil.rmtree(str(root / "models/Qwen"))
    assert audit(root, models_elsewhere=True)["models_extra_count"] == 0
