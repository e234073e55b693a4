"""The GPU health gate on the molecule/gpuhealth hosts: each STAND-IN host prints one recorded GPU state.

`phase0` runs `playbooks/verify.yml --tags phase0` once over all hosts before any test (session-scoped,
autouse) and gives its exit code,
output and report. The one test that changes a host (persistence turned on) puts it back."""
import os
import pathlib
import subprocess
import sys
import tempfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests"))
import check_coverage  # noqa: E402  pylint: disable=wrong-import-position
import report_json  # noqa: E402  pylint: disable=wrong-import-position

# host -> (its state, the one GPU health check that must fail there, a piece of that check's detail)
HOSTS = {
    "gpu-healthy": ("healthy", None, None),
    "gpu-ecc": ("ecc_uncorrected", "GPU health: no volatile uncorrected ECC error", "2 volatile uncorrected"),
    "gpu-remap": ("remap_pending", "GPU health: no pending or failed row remap, uncorrectable remaps under the limit",
                  "remap pending (reset the GPU)"),
    "gpu-xid79": ("xid79", "GPU health: no fatal XID in the kernel log", "fatal XID 79, first: "),
    "gpu-c2c": ("c2c_link_down", "GPU health: C2C enabled with every link reporting a bandwidth",
                "GPU 0 link(s) 3 report no bandwidth (Inactive)"),
    "gpu-persistence": ("persistence_off", "GPU health: persistence mode enabled",
                        "persistence mode 00000000:DD:00.0: Disabled, expected Enabled"),
}
# The host with five faults at once: each check that must fail there, and a piece of its detail.
SEVERAL = {
    "GPU health: clock event reasons": "active: 00000000:DD:00.0: HW Slowdown",
    "GPU health: no page retirement pending": "00000000:DD:00.0: page retirement pending",
    "GPU health: addressing mode": "addressing mode 00000000:DD:00.0: HMM, expected ATS",
    "GPU health: MIG mode as expected": "MIG mode 00000000:DD:00.0: Enabled, expected Disabled",
    "GPU health: dcgmi diag passes": "dcgmi diag -r 1 failed: Inforom",
}
# Hosts that expect a GPU (gh200_gpu_expected, the default) and cannot see it: host -> (what each failed check says)
NO_ANSWER = {
    "gpu-missing": {
        "GPU facts": "no GPU: nvidia-smi not found on PATH; this host is expected to have 1 (gh200_gpu_expected)",
        "GPU health: nvidia-smi answers": "nvidia-smi not found on PATH, and this host is expected to have a GPU",
        "GPU health: the GPU count is as expected": "no GPU listed (nvidia-smi failed); expected 1",
    },
    "gpu-hung": {
        "GPU facts": "no GPU: nvidia-smi did not answer in 5 s; this host is expected to have 1 (gh200_gpu_expected)",
        "GPU health: nvidia-smi answers": "nvidia-smi did not answer in 5 s",
        "GPU health: the GPU count is as expected": "no GPU listed (nvidia-smi failed); expected 1",
    },
}


def run_verify(*args):
    """verify.yml over the scenario's inventory: (rc, output, report.json as a dict or None)."""
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE")
    if not inventory:
        pytest.skip("run under molecule (MOLECULE_INVENTORY_FILE)")
    dest = pathlib.Path(tempfile.mkdtemp(prefix="gh200-gpuhealth-report-"))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"), ANSIBLE_FORCE_COLOR="0", PY_COLORS="0")
    cmd = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", inventory, "playbooks/verify.yml",
           "-e", "report_dir=%s" % dest] + list(args)
    proc = subprocess.run(cmd, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=900, check=False)
    folders = sorted(dest.iterdir())
    report = report_json.load(folders[-1] / "report.json") if folders else None
    check_coverage.record(report, "gpuhealth scenario: verify.yml %s" % " ".join(args))
    return proc.returncode, proc.stdout, report


@pytest.fixture(scope="session", autouse=True)
def phase0():
    rc, output, report = run_verify("--tags", "phase0")
    assert report is not None, output[-3000:]
    return rc, output, report


def checks(report, host):
    return dict((c["name"], c) for c in report["hosts"][host]["checks"])
