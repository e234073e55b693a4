"""The collection as users install it: built with ansible-galaxy, installed into an empty collections path,
and used from there only (ansible-doc of every module and role, a syntax check of every playbook, one
module run), so a file missing from the artifact is caught. The execution-environment metadata is read
by ansible-builder, offline."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
import report_json  # noqa: E402  pylint: disable=wrong-import-position
BIN = pathlib.Path(sys.executable).parent
# The sources alone are about 250 KiB (README 72 KB, modules and module_utils the rest); the bound is there to
# catch what must never ship, each of which is megabytes: a model shard, an image rootfs, a venv, a report.
MAX_BYTES = 384 * 1024
KEPT_OUT = ("tests/", "molecule/", "scripts/", ".venv/", ".cache/", ".ci/", "collections/", "reports/",
            "benchmarks/", "inventory/local.yml", "ansible.cfg")


def run(argv, cwd, env, check=True):
    proc = subprocess.run([str(a) for a in argv], cwd=str(cwd), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=600, check=False)
    if check:
        assert proc.returncode == 0, "%s failed:\n%s" % (" ".join(map(str, argv)), proc.stdout[-3000:])
    return proc


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """(tarball, collections path it is installed into, environment that sees only that path)."""
    work = tmp_path_factory.mktemp("artifact")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(work / "collections"), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_CONFIG=str(work / "none.cfg"), ANSIBLE_FORCE_COLOR="0", ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCAL_TEMP=str(work / "tmp"), ANSIBLE_GALAXY_SERVER="http://127.0.0.1:9/")
    run([BIN / "ansible-galaxy", "collection", "build", REPO, "--output-path", work], cwd=work, env=env)
    (tarball,) = work.glob("gh200-sglang-*.tar.gz")
    run([BIN / "ansible-galaxy", "collection", "install", tarball, "-p", work / "collections", "--offline"], cwd=work, env=env)
    return tarball, work / "collections", env


@pytest.fixture(scope="session")
def installed(built):
    return built[1] / "ansible_collections" / "gh200" / "sglang"


def test_the_tarball_is_small_and_holds_no_tests_test_bed_or_local_state(built):
    tarball = built[0]
    assert tarball.stat().st_size < MAX_BYTES, tarball.stat().st_size
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    leaked = [n for n in names if n.startswith(KEPT_OUT) or "/__pycache__" in n or n.endswith(".pyc")]
    assert leaked == []
    for needed in ("MANIFEST.json", "meta/runtime.yml", "meta/execution-environment.yml", "requirements/bindep.txt",
                   "requirements/execution-environment.txt", "playbooks/verify.yml", "plugins/module_utils/_model.py",
                   "roles/host_prep/meta/argument_specs.yml", "inventory/gh200.example.yml"):
        assert needed in names, needed


def test_every_module_and_role_documents_itself_from_the_installed_artifact(built, installed):
    env = built[2]
    modules = sorted(p.stem for p in (installed / "plugins" / "modules").glob("*.py") if not p.stem.startswith("_"))
    assert modules == sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if not p.stem.startswith("_"))
    docs = json.loads(run([BIN / "ansible-doc", "--json"] + ["gh200.sglang." + m for m in modules], cwd=built[1], env=env).stdout)
    assert sorted(docs) == ["gh200.sglang." + m for m in modules]
    assert all(docs[k]["doc"]["short_description"] for k in docs)
    roles = sorted(p.name for p in (installed / "roles").iterdir())
    role_docs = json.loads(run([BIN / "ansible-doc", "-t", "role", "--json"] + ["gh200.sglang." + r for r in roles],
                               cwd=built[1], env=env).stdout)
    assert sorted(role_docs) == ["gh200.sglang." + r for r in roles]


def test_every_playbook_passes_a_syntax_check_from_the_installed_artifact(built, installed):
    env = built[2]
    playbooks = sorted(p.stem for p in (installed / "playbooks").glob("*.yml"))
    assert playbooks == sorted(p.stem for p in (REPO / "playbooks").glob("*.yml")) and "verify" in playbooks
    for name in playbooks:
        run([BIN / "ansible-playbook", "-i", "localhost,", "--syntax-check", "gh200.sglang." + name], cwd=built[1], env=env)


def test_a_module_runs_with_its_module_utils_from_the_installed_artifact(built, tmp_path):
    env = built[2]
    model = tmp_path / "tree" / "models" / "org" / "m"
    model.mkdir(parents=True)
    (model / "config.json").write_text('{"architectures": ["X"], "max_position_embeddings": 8}')
    proc = run([BIN / "ansible", "localhost", "-c", "local", "-m", "gh200.sglang.model_files", "-a",
                "model=org/m root=%s" % (tmp_path / "tree"), "-o"], cwd=built[1], env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert '"no weights: expected model.safetensors or model.safetensors.index.json"' in proc.stdout


def test_module_defaults_reach_a_whole_action_group(built, tmp_path):
    env = built[2]
    model = tmp_path / "tree" / "models" / "org" / "m"
    model.mkdir(parents=True)
    play = tmp_path / "play.yml"
    play.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/gh200.sglang.host_tree": {"root": str(tmp_path / "tree")}},
        "tasks": [
            {"gh200.sglang.model_files": {"model": "org/m"}, "register": "m"},
            {"gh200.sglang.tree_audit": {"model": "org/m"}, "register": "t"},
            {"ansible.builtin.assert": {"that": ["m.path == '%s'" % model, "t.root == '%s'" % (tmp_path / "tree")]}},
        ]}]))
    run([BIN / "ansible-playbook", "-i", "localhost,", "-c", "local", play], cwd=built[1], env=env)


def test_ansible_builder_reads_the_execution_environment_metadata(built, tmp_path):
    tarball, collections, env = built
    pip_out, bindep_out = tmp_path / "pip.txt", tmp_path / "bindep.txt"
    run([BIN / "ansible-builder", "introspect", collections, "--write-pip", pip_out, "--write-bindep", bindep_out],
        cwd=tmp_path, env=env)
    ours = [line for line in (REPO / "requirements" / "execution-environment.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    pip_lines = pip_out.read_text()
    for line in ours:
        assert "%s  # from collection gh200.sglang" % line in pip_lines, pip_lines
    assert "openssh-clients [platform:rpm]  # from collection gh200.sglang" in bindep_out.read_text()

    definition = tmp_path / "execution-environment.yml"
    definition.write_text(yaml.safe_dump({
        "version": 3,
        "images": {"base_image": {"name": "registry.invalid/ee-minimal:latest"}},
        "dependencies": {"galaxy": {"collections": [{"name": str(tarball), "type": "file"}]}},
    }))
    context = tmp_path / "context"
    run([BIN / "ansible-builder", "create", "-f", definition, "-c", context, "--output-filename", "Containerfile"],
        cwd=tmp_path, env=env)
    build = context / "_build"
    assert str(tarball) in (build / "requirements.yml").read_text()
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile and "introspect" in containerfile
    shutil.rmtree(context)


def test_verify_runs_the_dry_run_from_the_installed_artifact_with_ansible_core_only(built, tmp_path):
    """Issue 25, item 3: the declared dependencies are all a controller needs. The controller is
    .cache/venv-controller (scripts/setup.sh: requirements/controller.txt only, no `ansible` package, so no
    community.docker or ansible.posix), the collection comes from the built artifact only, no ansible.cfg, and
    verify.yml runs every phase on the local dry-run from the operator's working folder."""
    if "GH200_DRYRUN_USER" not in os.environ:
        pytest.skip("GH200_DRYRUN_USER unset: run through scripts/test.sh (it loads .cache/testbed.env)")
    core = REPO / ".cache" / "venv-controller" / "bin"
    assert (core / "ansible-playbook").exists(), "scripts/setup.sh makes .cache/venv-controller"
    others = run([core / "python", "-c", "import importlib.util as u; print(u.find_spec('ansible_collections'))"],
                 cwd=tmp_path, env=built[2])
    assert others.stdout.strip() == "None", others.stdout  # nothing but ansible-core's own plugins
    env = dict(built[2], PATH="%s:%s" % (core, os.environ["PATH"]), VIRTUAL_ENV=str(core.parent))
    env.pop("ANSIBLE_PYTHON_INTERPRETER")
    proc = run([core / "ansible-playbook", "-i", REPO / "inventory" / "local.yml", "gh200.sglang.verify"],
               cwd=tmp_path, env=env, check=False)
    reports = sorted((tmp_path / "reports").glob("*/report.json"))
    assert len(reports) == 1, "rc %d, no report:\n%s" % (proc.returncode, proc.stdout[-3000:])
    data = report_json.load(reports[0])
    host = data["hosts"]["dryrun-local"]
    assert proc.returncode == 0 and host["verdict"] == "passed", (host["verdict"], host["detail"], proc.stdout[-3000:])
    assert sorted(host["phases"]) == ["phase0", "phase1", "phase2", "phase3", "phase4"]
    assert all(p["verdict"] == "passed" for p in host["phases"].values()), host["phases"]
