"""playbooks/verify.yml under test on the molecule/verify fleet: gh200-va and gh200-vb healthy, gh200-vc broken
(a root-owned file deep under telemetry/), gh200-vd unreachable (its host container stopped).

`fleet_run` runs verify.yml once over the whole fleet before any test (session-scoped, autouse), so every
test, in any order, starts from verified hosts; it keeps the state it found (the report, the containers).
A test that breaks or changes a host repairs it, and the tests that run verify.yml again compare the state
they measured themselves."""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import docker
import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests"))
import check_coverage  # noqa: E402  pylint: disable=wrong-import-position
import report_json  # noqa: E402  pylint: disable=wrong-import-position
FLEET_ROOT = "/var/tmp/gh200-molecule/verify"
HEALTHY = ["gh200-va", "gh200-vb"]
FLEET = HEALTHY + ["gh200-vc", "gh200-vd"]


def inventory(config):
    path = os.environ.get("MOLECULE_INVENTORY_FILE") or config.getoption("ansible_inventory", default=None)
    if not path:
        pytest.skip("no inventory: run under molecule or pass --ansible-inventory")
    return path


class Run:
    """One ansible-playbook run of verify.yml: its exit code, output and the report it wrote."""

    def __init__(self, rc, output, folder, containers):
        self.rc, self.output, self.folder = rc, output, folder
        self.report = report_json.load(folder / "report.json") if folder else None
        self.containers = containers

    def host(self, name):
        return self.report["hosts"][name]

    def failures(self):
        """The run's seed-independent story: each host's failed checks with their details, one line each."""
        lines = ["verify.yml exit %d, report %s" % (self.rc, self.folder)]
        for host, record in sorted((self.report or {}).get("hosts", {}).items()):
            failed = ["%s/%s: %s" % (c["phase"], c["name"], c["detail"]) for c in record.get("checks", [])
                      if c["status"] == "failed"]
            lines += ["  %s %s: %s" % (host, record.get("verdict"), " | ".join(failed) or "no failed check")]
        return "\n".join(lines)

    def checks(self, name, phase=None):
        return dict((c["name"], c) for c in self.host(name)["checks"] if phase is None or c["phase"] == phase)


@pytest.fixture(scope="session")
def verify(request):
    inv = inventory(request.config)

    def _run(*args, playbook="playbooks/verify.yml", wrap=()):
        """ansible-playbook on the scenario's inventory; ``wrap`` is a command to run it under (faketime: the
        controller's clock apart from its hosts')."""
        dest = pathlib.Path(tempfile.mkdtemp(prefix="gh200-verify-report-"))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"), ANSIBLE_FORCE_COLOR="0", PY_COLORS="0")
        cmd = list(wrap) + [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", inv, playbook,
                            "-e", "report_dir=%s" % dest] + list(args)
        proc = subprocess.run(cmd, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=1800, check=False)
        folders = sorted(dest.iterdir())
        run = Run(proc.returncode, proc.stdout, folders[-1] if folders else None, container_statuses())
        print(run.failures())  # pytest shows it beside a failed test: which check failed, on which host, and why
        if playbook.endswith("verify.yml"):
            check_coverage.record(run.report, "verify scenario: verify.yml %s" % " ".join(args))
        return run

    return _run


@pytest.fixture(scope="session", autouse=True)
def fleet_run(verify):
    """verify.yml over the whole fleet, once, before any test."""
    return verify()


@pytest.fixture(scope="session")
def engine():
    return docker.from_env()


def container_name(host):
    return "sglang-dev-verify-" + host[-1]


def container_statuses():
    """Each fleet host's dev container status right after a run (None: no such container)."""
    client, out = docker.from_env(), {}
    for host in FLEET:
        try:
            out[host] = client.containers.get(container_name(host)).status
        except docker.errors.NotFound:
            out[host] = None
    return out


def host_vars_inventory(folder, per_host):
    """('-i', <inventory>) that gives each host its own variables on top of the scenario's (a second inventory whose
    host_vars files win over the first's), so one run can break several hosts, each in its own way."""
    folder = pathlib.Path(folder)
    (folder / "host_vars").mkdir(parents=True, exist_ok=True)
    (folder / "hosts.yml").write_text(json.dumps({"all": {"hosts": dict((h, {}) for h in per_host)}}))
    for host, variables in per_host.items():
        (folder / "host_vars" / ("%s.yml" % host)).write_text(json.dumps(variables))
    return ("-i", str(folder / "hosts.yml"))


def root_of(host):
    return "%s/%s/sglang-observability" % (FLEET_ROOT, host)


def tree_state(root, volatile=()):
    """(path, kind, mode, uid, gid, size, mtime) of every entry under root, except paths under ``volatile``."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if any(rel == v or rel.startswith(v + "/") for v in volatile):
                continue
            st = os.lstat(path)
            out.append((rel, st.st_mode, st.st_uid, st.st_gid, st.st_size if not os.path.isdir(path) else 0, st.st_mtime_ns))
    return sorted(out)


def container_state(engine, host):
    c = engine.containers.get(container_name(host))
    return {"id": c.id, "status": c.status, "image": c.attrs["Config"]["Image"], "started": c.attrs["State"]["StartedAt"],
            "labels": c.labels}
