"""A synthetic fleet for the report: N hosts, each with every check of a real dry-run host's record
(tests/dryrun_host_record.json, 158 checks) and GPU facts, a few of them broken, one unreachable, the driver and
kernel differing on some. Used by the report's unit tests and by the benchmark harness (benchmarks/bench.py report).
"""
import copy
import json
import os

RECORD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dryrun_host_record.json")
PHASES = ["phase0", "phase1", "phase2", "phase3", "phase4"]


def host_name(n):
    return "gh200-%03d" % n


def facts_of(n, record):
    """Host n's facts: every check of the record (its paths under the host's own home), a few broken in their own way."""
    checks = json.loads(json.dumps(record["gh200_checks"]).replace("dryrun-local", host_name(n)).replace("gh200dry", "ubuntu"))
    run = copy.deepcopy(record["gh200_run"])
    facts = {"gh200_checks": checks, "gh200_run": run, "kernel": "6.8.0-1013-nvidia-64k" if n % 50 else "6.8.0-1009-nvidia-64k",
             "architecture": "aarch64", "distribution": "Ubuntu", "distribution_version": "24.04",
             "gh200_gpu": {"gpu_present": True, "gpu_name": "NVIDIA GH200 480GB", "gpu_count": 1, "compute_capability": "9.0",
                           "vram_gb": 95, "driver_version": "570.124.06" if n % 64 else "550.127.05", "cuda_version": "12.8"}}
    broken = []
    if n % 97 == 3:
        broken.append(("GPU health: no fatal XID in the kernel log", "fatal XID 79, first: NVRM: Xid (PCI:0009:01:00): 79, GPU has fallen off the bus"))
    if n % 61 == 5:
        broken.append(("inductor: prep_result.json marks the stage ok", "inductor: status error: the stage exited 1"))
    for check in checks:
        for name, detail in broken:
            if check["name"] == name:
                check.update(status="failed", detail=detail)
    for phase in {c["phase"] for c in checks if c["status"] == "failed"}:
        run["phases"][phase]["verdict"] = "failed"
    return facts


def fleet(size):
    """({host: facts}, hosts in order, run_started) of a synthetic fleet of ``size`` hosts; the last of two or more unreachable."""
    with open(RECORD) as handle:
        record = json.load(handle)
    hosts = [host_name(n) for n in range(1, size + 1)]
    facts = dict((host_name(n), facts_of(n, record)) for n in range(1, size + 1))
    if size > 1:
        facts[hosts[-1]] = {}
    return facts, hosts, record["gh200_run"]["started"]
