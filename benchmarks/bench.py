"""Every benchmark of gh200.sglang in one run, each figure a ratio of two things measured in that run.

    benchmarks/run                       # the full run: fleet sizes 1, 2, 4, 8, three repetitions
    benchmarks/run --connection ssh      # the same over SSH: each host's sshd, a non-root user, become
    benchmarks/run --smoke               # N = 1 (and a fresh second host for the no-op re-run), one repetition,
                                         # no warm-up run, pipelining on only: every benchmark's code path in
                                         # minutes (CI runs it, so the harness does not rot); its figures mean nothing

Machines here are shared and noisy, so no absolute time is compared with a fixed number: each figure is a ratio of two
measurements taken in the same run, repeated, with the median and the spread (max - min over the median). It writes
benchmarks/results/<UTC date>.json and .md (a table, each target held or not held, and why) and .png (wall time
against fleet size), and prints the table.

1. fleet: verify.yml over 1, 2, 4, 8 simulated hosts (tests/testbed/fleet.py), T(N)/T(1), the machine's CPU seconds
   per host, and how close T(N) is to its lower bound max(T(1), N x cpu(1) / cores).
2. noop: playbooks/start.yml (host prep, start, editable install, cache ensure) on a fresh host, twice; the second
   run's time over the first's, and its changed count on every host. The smoke runs it on host 1 as the benchmarks
   before it left it (the path runs, the ratio is not judged), sparing a fresh host's cold cache builds.
3. container: the same container spec started, then re-applied as a no-op, with gh200.sglang.container_run and with
   community.docker.docker_container.
4. per_task: 20 tasks each of gpu_facts, container_probe and ansible.builtin.stat, pipelining on and off, over the
   local and the community.docker.docker connections; the cost per task.
5. cache_skip: each stage's ensure with a valid signature against its rebuild (the real CPU stage).
7. report: the report of a synthetic fleet (1, 16 and 256 hosts, each with every check of a real dry-run host,
   tests/synthetic_fleet.py) built and written as the report plugin writes it: each file's size, the writing time,
   and whether report.html renders in headless Chromium (its DOM dumped, the host matrix in it).
6. strategies: verify.yml over the largest fleet size under each of --strategies (linear and free unless told; Mitogen's
   mitogen_* from requirements/mitogen.txt), alternating, in the same run: the wall and CPU ratios against the first,
   and whether every host's verdict and every phase's verdict came out the same.

Every run uses each play's own strategy (verify.yml's phases run free, gh200_strategy) unless --strategy names one for
all (ANSIBLE_STRATEGY and -e gh200_strategy); an ANSIBLE_STRATEGY in the environment is not inherited, so the figures
compare with earlier runs.
"""

import argparse
import datetime
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
HERE = REPO / "benchmarks"
FLEET = REPO / "tests/testbed/fleet.py"
INVENTORY = "/var/tmp/gh200-fleet/inventory.yml"  # the simulated fleet's (tests/testbed/fleet.py)
SIM = "gh200-sim-%02d"
EXTRA = []  # -e given to benchmarks/run, passed to every run of the collection's playbooks
STRATEGY = [None]  # --strategy: the strategy of every run but the strategies benchmark's (None: each play's own)
CONNECTION = ["docker"]  # --connection: how the simulated fleet's inventory reaches its hosts (tests/testbed/fleet.py)
sys.path[:0] = [str(REPO / "collections"), str(REPO / "tests")]
import report_json  # noqa: E402  pylint: disable=wrong-import-position

# The targets of issue 11, on the 2-core machine the project runs on.
TARGETS = {
    "fleet_lower_bound": 1.2,   # T(8) <= 1.2 x its lower bound (issue 22)
    "fleet_ratio": 3.0,         # T(8) / T(1) <= 3
    "noop_ratio": 0.15,         # second start.yml <= 15 % of the first, changed=0 (issue 22)
    "container_noop": 1.0,      # container_run no-op <= 1.0 x docker_container no-op
    "container_start": 1.1,     # container_run start <= 1.1 x docker_container start
    "cache_skip_s": 1.0,        # ensure with a valid signature <= 1 s per stage per host
    "cache_skip_ratio": 0.02,   # and <= 2 % of the rebuild
    "report_html_mb": 2.0,      # report.html of 256 hosts <= 2 MB (issue 25)
    "report_json_mb": 8.0,      # report.json of 256 hosts <= 8 MB
}


# ---- pure helpers (tests/unit/test_bench.py) -------------------------------------------------------------------

def summary(values):
    """{median, min, max, spread, n, values} of a list of seconds; spread is (max - min) / median."""
    values = [float(v) for v in values]
    if not values:
        return {"median": None, "min": None, "max": None, "spread": None, "n": 0, "values": []}
    med = statistics.median(values)
    return {"median": round(med, 4), "min": round(min(values), 4), "max": round(max(values), 4),
            "spread": round((max(values) - min(values)) / med, 3) if med else None, "n": len(values),
            "values": [round(v, 4) for v in values]}


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def lower_bound(t1, cpu1, n, cores):
    """The fastest a fleet of n hosts can go on ``cores``: no faster than one host, nor than all their CPU spread
    over every core."""
    return max(t1, n * cpu1 / cores)


RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def recap(output):
    """{host: {ok, changed, unreachable, failed}} from ansible-playbook's PLAY RECAP."""
    return dict((m.group(1), {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                              "failed": int(m.group(5))}) for m in RECAP.finditer(output))


def task_seconds(records, name, host=None):
    """The seconds of every result of the task called ``name`` (in a role, ``<role> : name``), optionally on one
    host, in order; skipped results left out."""
    return [r["seconds"] for r in records if r["task"].split(" : ")[-1] == name and (host is None or r["host"] == host)
            and r["status"] != "skipped"]


def top_tasks(records, count=5):
    """[(task, total seconds, results)] of the tasks that took longest in all, summed over hosts and repeats."""
    totals = {}
    for r in records:
        name = r["task"].split(" : ")[-1]
        seconds, results = totals.get(name, (0.0, 0))
        totals[name] = (seconds + r["seconds"], results + 1)
    ranked = sorted(totals.items(), key=lambda kv: -kv[1][0])[:count]
    return [(name, round(seconds, 1), results) for name, (seconds, results) in ranked]


ASK = "Ask, for every stage at once, whether its signed cache is kept (a kept stage needs no job and no wait)."
RUN = "Run the stage in the container, under its lock."
WAIT = "Wait for the stage, showing its elapsed time and last log line at each poll."


def stage_seconds(records, host):
    """Seconds per cache stage on ``host``, in order: the stage's share of the one question asked for every stage
    (split evenly among the stages that follow it), its job's start and its wait (a stage begins with its start
    task, run or skipped)."""
    stages, group = [], []
    for r in records:
        name = r["task"].split(" : ")[-1]
        if r["host"] != host or name not in (ASK, RUN, WAIT):
            continue
        if name == ASK:
            group = [r["seconds"] if r["status"] != "skipped" else 0.0, []]
            continue
        if name == RUN:
            stages.append({"ask": 0.0, "run": 0.0, "wait": 0.0})
            if group:
                group[1].append(stages[-1])
                for stage in group[1]:
                    stage["ask"] = group[0] / len(group[1])
        if stages and r["status"] != "skipped":
            stages[-1][{RUN: "run", WAIT: "wait"}[name]] += r["seconds"]
    return stages


def verdict(value, limit, at_most=True):
    """'held', 'not held' or 'not measured'."""
    if value is None:
        return "not measured"
    return "held" if (value <= limit if at_most else value >= limit) else "not held"


def strategy_env(name):
    """The environment that makes ansible-playbook run with strategy ``name``: the stock ones by name, Mitogen's
    (mitogen_*) from the installed ansible_mitogen package's strategy folder."""
    env = {"ANSIBLE_STRATEGY": name}
    if name.startswith("mitogen_"):
        # Installed from requirements/mitogen.txt, and only needed for Mitogen's strategies.
        import ansible_mitogen  # pylint: disable=import-outside-toplevel

        env["ANSIBLE_STRATEGY_PLUGINS"] = os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy")
    return env


def verdicts(report):
    """{host: (verdict, {phase: verdict})} of a verify.yml report."""
    return dict((host, (data["verdict"], dict((p, v["verdict"]) for p, v in data["phases"].items())))
                for host, data in report.get("hosts", {}).items())


# ---- measuring ---------------------------------------------------------------------------------------------------

def cpu_busy_seconds():
    """CPU seconds the whole machine spent busy so far (every process, the containers' too), from /proc/stat."""
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def strategy_args(name, args):
    """The extra vars that make a collection playbook's phases (verify.yml's gh200_strategy) run with strategy ``name``
    too, as ANSIBLE_STRATEGY makes every other play."""
    return ["-e", "gh200_strategy=%s" % name] if name and args and args[0].startswith("playbooks/") else []


def playbook(args, inventory=INVENTORY, env=None, check=True, strategy=None):
    """Run ansible-playbook; {wall, cpu, rc, recap, tasks, output}, with ``strategy`` (else --strategy's, else each
    play's own)."""
    times = tempfile.NamedTemporaryFile(prefix="gh200-task-times-", suffix=".jsonl", delete=False).name
    run_env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", GH200_TASK_TIMES=times,
                   ANSIBLE_CALLBACKS_ENABLED="task_times", ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"))
    run_env.pop("ANSIBLE_STRATEGY_PLUGINS", None)
    run_env.pop("ANSIBLE_STRATEGY", None)
    strategy = strategy or STRATEGY[0]
    run_env.update(strategy_env(strategy) if strategy else {})
    run_env.update(env or {})
    report = tempfile.mkdtemp(prefix="gh200-bench-report-")
    cmd = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", inventory,
           "-e", "report_dir=%s" % report] + list(args)
    if args and args[0].startswith("playbooks/"):
        cmd += [x for e in EXTRA for x in ("-e", e)] + strategy_args(strategy, args)
    cpu0, t0 = cpu_busy_seconds(), time.monotonic()
    proc = subprocess.run(cmd, cwd=str(REPO), env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)
    wall, cpu = time.monotonic() - t0, cpu_busy_seconds() - cpu0
    with open(times) as handle:
        tasks = [json.loads(line) for line in handle if line.strip()]
    os.unlink(times)
    written = sorted(pathlib.Path(report).glob("*/report.json"))
    hosts_verdicts = verdicts(report_json.load(written[-1])) if written else {}
    subprocess.run(["rm", "-rf", report], check=False)
    if check and proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:])
        raise SystemExit("bench: %s failed (rc %d)" % (" ".join(args), proc.returncode))
    return {"wall": wall, "cpu": cpu, "rc": proc.returncode, "recap": recap(proc.stdout), "tasks": tasks,
            "output": proc.stdout, "verdicts": hosts_verdicts}


def fleet(size):
    subprocess.run([sys.executable, str(FLEET), "--size", str(size), "--connection", CONNECTION[0]], check=True,
                   stdout=subprocess.DEVNULL)


def hosts(n, first=1):
    return [SIM % i for i in range(first, first + n)]


def log(text):
    print("bench: %s" % text, flush=True)


# ---- the benchmarks ----------------------------------------------------------------------------------------------

def bench_fleet(sizes, reps, cores, warm=True):
    fleet(max(sizes))
    warm_wall = None
    if warm:
        log("fleet: warming %d hosts (verify.yml once, not measured: it builds and signs each host's caches)" % max(sizes))
        warm_wall = round(playbook(["playbooks/verify.yml"])["wall"], 1)
    runs = dict((n, {"wall": [], "cpu": []}) for n in sizes)
    for rep in range(reps):
        for n in (sizes if rep % 2 == 0 else list(reversed(sizes))):  # alternate the order, so drift spreads evenly
            run = playbook(["playbooks/verify.yml", "--limit", ",".join(hosts(n))])
            log("fleet: N=%d rep %d: %.1f s wall, %.1f CPU s" % (n, rep + 1, run["wall"], run["cpu"]))
            runs[n]["wall"].append(run["wall"])
            runs[n]["cpu"].append(run["cpu"])
            runs[n].setdefault("top", top_tasks(run["tasks"]))
    t1 = statistics.median(runs[1]["wall"])
    cpu1 = statistics.median(runs[1]["cpu"])
    out = {"cores": cores, "warm_wall_s": warm_wall, "sizes": {}}
    for n in sizes:
        t = statistics.median(runs[n]["wall"])
        bound = lower_bound(t1, cpu1, n, cores)
        out["sizes"][str(n)] = {"wall": summary(runs[n]["wall"]), "cpu": summary(runs[n]["cpu"]),
                                "cpu_per_host_s": round(statistics.median(runs[n]["cpu"]) / n, 1),
                                "ratio_to_1": ratio(t, t1), "lower_bound_s": round(bound, 1),
                                "over_lower_bound": ratio(t, bound), "top_tasks": runs[n]["top"]}
    return out


def bench_noop(reps, first_index, fresh=True):
    """start.yml twice on a host: on a fresh one (its caches built by the first run), or, for the smoke, on host 1 as the
    other benchmarks left it (the code path runs; the first run's figure is then no first start)."""
    out = {"first": [], "second": [], "second_changed": [], "fresh_host": fresh}
    for rep in range(reps):
        if fresh:
            fleet(first_index)  # a fresh host, made for this repetition
        host = SIM % (first_index if fresh else 1)
        first = playbook(["playbooks/start.yml", "--limit", host])
        second = playbook(["playbooks/start.yml", "--limit", host])
        changed = dict((h, r["changed"]) for h, r in second["recap"].items())
        changed_tasks = sorted(set(t["task"] for t in second["tasks"] if t["changed"]))
        log("noop: rep %d: first %.1f s, second %.1f s, changed %s %s" % (
            rep + 1, first["wall"], second["wall"], changed, changed_tasks))
        out["first"].append(first["wall"])
        out["second"].append(second["wall"])
        out["second_changed"].append({"recap": changed, "tasks": changed_tasks})
        out.setdefault("second_top_tasks", []).append(top_tasks(second["tasks"]))
        if fresh:
            fleet(first_index - 1)  # removes exactly that host
    out["ratio"] = ratio(statistics.median(out["second"]), statistics.median(out["first"]))
    out["first"], out["second"] = summary(out["first"]), summary(out["second"])
    return out


def bench_container(reps):
    run = playbook([str(HERE / "playbooks/container_start.yml"), "-e", "bench_reps=%d" % reps],
                   inventory=str(HERE / "inventory/localhost.yml"))
    out = {}
    for module in ("container_run", "docker_container"):
        for step, task in (("start", "Start with %s"), ("no-op", "Re-apply with %s")):
            out["%s %s" % (module, step)] = summary(task_seconds(run["tasks"], task % module))
    out["start_ratio"] = ratio(out["container_run start"]["median"], out["docker_container start"]["median"])
    out["noop_ratio"] = ratio(out["container_run no-op"]["median"], out["docker_container no-op"]["median"])
    return out


def bench_per_task(reps, pipelinings=("true", "false")):
    out = {}
    for connection, inventory, limit in (("local", str(HERE / "inventory/localhost.yml"), "localhost"),
                                         ("docker", INVENTORY, SIM % 1)):
        for pipelining in pipelinings:
            for rep in range(reps):
                run = playbook([str(HERE / "playbooks/per_task.yml"), "--limit", limit], inventory=inventory,
                               env={"ANSIBLE_PIPELINING": pipelining})
                for module in ("gpu_facts", "container_probe", "stat"):
                    key = "%s, pipelining %s, %s" % (connection, "on" if pipelining == "true" else "off", module)
                    out.setdefault(key, []).extend(task_seconds(run["tasks"], "Time " + module))
    return dict((k, summary(v)) for k, v in out.items())


def bench_cache_skip(reps):
    host = SIM % 1
    log("cache_skip: preparing %s (start.yml, not measured: it signs every stage's cache)" % host)
    playbook(["playbooks/start.yml", "--limit", host])
    skip, rebuild, split = [], [], []
    for rep in range(reps):
        ensure = playbook(["playbooks/caches.yml", "--limit", host])
        reset = playbook(["playbooks/caches.yml", "--limit", host, "-e", "caches_reset=true"])
        for name, run, into in (("ensure", ensure, skip), ("rebuild", reset, rebuild)):
            stages = stage_seconds(run["tasks"], host)
            per_stage = [st["ask"] + st["run"] + st["wait"] for st in stages]
            into.append(per_stage)
            if name == "ensure":
                split.extend(stages)
            log("cache_skip: rep %d %s: %s s per stage" % (rep + 1, name, ", ".join("%.2f" % x for x in per_stage)))
    flat_skip = [s for per in skip for s in per]
    flat_rebuild = [s for per in rebuild for s in per]
    per_stage_ratio = [a / b for per_s, per_r in zip(skip, rebuild) for a, b in zip(per_s, per_r) if b]
    return {"skip_per_stage": summary(flat_skip), "rebuild_per_stage": summary(flat_rebuild),
            "skip_ask_task": summary([st["ask"] for st in split]),
            "skip_start_task": summary([st["run"] for st in split]),
            "skip_wait_task": summary([st["wait"] for st in split]),
            "ratio": summary(per_stage_ratio), "stages": ["flashinfer", "inductor", "deep_gemm", "moe"]}


def bench_report(sizes=(1, 16, 256)):
    """The report of synthetic fleets, written as the report plugin writes it: sizes in bytes, the time to build and
    write it, and whether headless Chromium renders report.html."""
    import synthetic_fleet  # pylint: disable=import-outside-toplevel
    from ansible_collections.gh200.sglang.plugins.plugin_utils import _report  # pylint: disable=import-outside-toplevel

    out = {}
    for size in sizes:
        facts, hosts, started = synthetic_fleet.fleet(size)
        dest = tempfile.mkdtemp(prefix="gh200-bench-report-")
        began = time.monotonic()
        data = _report.build(hosts, facts, synthetic_fleet.PHASES, "2026-11-30T00:00:00+00:00", run_started=started)
        folder = _report.write(dest, data, datetime.datetime.now(datetime.timezone.utc))  # as the report plugin writes it
        written = round(time.monotonic() - began, 3)
        files = dict((name, os.path.getsize(os.path.join(folder, name))) for name, dummy in _report.RENDERERS)
        began = time.monotonic()
        try:
            dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                                  "file://%s/report.html" % folder], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True, timeout=300, check=False).stdout
            rendered = 'id="matrix"' in dom and dom.count('class="host"') == size
        except (OSError, subprocess.TimeoutExpired) as exc:
            rendered = "not rendered: %s" % exc
        out[str(size)] = {"checks": sum(len(e["checks"]) for e in data["hosts"].values()), "bytes": files, "write_s": written,
                          "render_s": round(time.monotonic() - began, 2), "rendered": rendered}
        subprocess.run(["rm", "-rf", dest], check=False)
        log("report of %d host(s): %s in %s s" % (size, files, written))
    return out


def bench_strategies(size, reps, strategies=("linear", "free")):
    """verify.yml over ``size`` hosts under each strategy, alternating, on a fleet already warm (its caches built)."""
    runs = dict((name, {"wall": [], "cpu": [], "verdicts": []}) for name in strategies)
    for rep in range(reps):
        for name in (strategies if rep % 2 == 0 else list(reversed(strategies))):
            run = playbook(["playbooks/verify.yml", "--limit", ",".join(hosts(size))], strategy=name, check=False)
            log("strategies: %s N=%d rep %d: %.1f s wall, %.1f CPU s, rc %d" % (name, size, rep + 1, run["wall"], run["cpu"], run["rc"]))
            for key in ("wall", "cpu", "verdicts"):
                runs[name][key].append(run[key])
    first = strategies[0]
    out = {"size": size, "strategies": {}}
    for name in strategies:
        out["strategies"][name] = {"wall": summary(runs[name]["wall"]), "cpu": summary(runs[name]["cpu"]),
                                   "verdicts": runs[name]["verdicts"][0]}
    for name in strategies[1:]:
        out["strategies"][name].update({
            "wall_ratio": ratio(statistics.median(runs[name]["wall"]), statistics.median(runs[first]["wall"])),
            "cpu_ratio": ratio(statistics.median(runs[name]["cpu"]), statistics.median(runs[first]["cpu"])),
            "same_verdicts": all(v == runs[first]["verdicts"][0] for v in runs[name]["verdicts"] + runs[first]["verdicts"])})
    return out


# ---- results -------------------------------------------------------------------------------------------------------

def judge(results):
    """Each target: its figure, held / not held / not measured."""
    out = []
    f = results.get("fleet")
    if f:
        top = str(max(int(n) for n in f["sizes"]))
        size = f["sizes"][top]
        note = "" if top == "8" else " (largest size measured: %s)" % top
        out.append(("T(8) within 1.2x of its lower bound" + note, size["over_lower_bound"],
                    verdict(size["over_lower_bound"], TARGETS["fleet_lower_bound"]) if top == "8" else "not measured"))
        out.append(("T(8)/T(1) <= 3" + note, size["ratio_to_1"],
                    verdict(size["ratio_to_1"], TARGETS["fleet_ratio"]) if top == "8" else "not measured"))
    n = results.get("noop")
    if n:
        zero = all(v == 0 for c in n["second_changed"] for v in c["recap"].values())
        out.append(("no-op re-run <= 15% of the first", n["ratio"],
                    verdict(n["ratio"], TARGETS["noop_ratio"]) if n.get("fresh_host", True) else "not measured (smoke: no fresh host)"))
        out.append(("changed=0 on every host in the second run", zero, "held" if zero else "not held"))
    c = results.get("container")
    if c:
        out.append(("container_run no-op <= 1.0x docker_container", c["noop_ratio"], verdict(c["noop_ratio"], TARGETS["container_noop"])))
        out.append(("container_run start <= 1.1x docker_container", c["start_ratio"], verdict(c["start_ratio"], TARGETS["container_start"])))
    s = results.get("cache_skip")
    if s:
        out.append(("cache skip <= 1 s per stage per host", s["skip_per_stage"]["max"], verdict(s["skip_per_stage"]["max"], TARGETS["cache_skip_s"])))
        out.append(("cache skip <= 2% of the rebuild", s["ratio"]["max"], verdict(s["ratio"]["max"], TARGETS["cache_skip_ratio"])))
    r = results.get("report", {}).get("256")
    if r:
        html_mb, json_mb = r["bytes"]["report.html"] / 1e6, r["bytes"]["report.json"] / 1e6
        out.append(("report.html of 256 hosts <= 2 MB", round(html_mb, 2), verdict(html_mb, TARGETS["report_html_mb"])))
        out.append(("report.json of 256 hosts <= 8 MB", round(json_mb, 2), verdict(json_mb, TARGETS["report_json_mb"])))
        out.append(("report.html of 256 hosts renders in headless Chromium", r["rendered"], "held" if r["rendered"] is True else "not held"))
    g = results.get("strategies")
    if g:
        for name, s in g["strategies"].items():
            if "same_verdicts" in s:
                out.append(("%s: every host's and phase's verdict as under %s (N=%d)" % (name, next(iter(g["strategies"])), g["size"]),
                            s["same_verdicts"], "held" if s["same_verdicts"] else "not held"))
    return out


def notes(results):
    """Why a target does not hold, and what would fix it, from the figures themselves."""
    out = []
    f = results.get("fleet")
    if f and "8" in f["sizes"]:
        one, eight, cores = f["sizes"]["1"], f["sizes"]["8"], f["cores"]
        cpu1 = one["cpu"]["median"]
        if eight["ratio_to_1"] and eight["ratio_to_1"] > TARGETS["fleet_ratio"]:
            floor = ratio(8 * cpu1 / cores, one["wall"]["median"])
            out.append("T(8)/T(1) is %s. The CPU alone bounds it at 8 x cpu(1) / %d cores / T(1) = %s: a host costs %s CPU s "
                       "for %s s of wall time, so on %d cores the target holds only once a host costs under %s CPU s "
                       "(fewer container restarts per run and fewer Python interpreters started per check)." % (
                           eight["ratio_to_1"], cores, floor, fmt(cpu1), fmt(one["wall"]["median"]), cores,
                           fmt(3 * one["wall"]["median"] * cores / 8)))
        if eight["over_lower_bound"] and eight["over_lower_bound"] > TARGETS["fleet_lower_bound"]:
            out.append("T(8) is %sx its lower bound: hosts wait on each other beyond the CPU (every host waits for the "
                       "slowest at each phase's beginning, and for the engine the hosts share); the longest tasks at N=8: %s." % (
                           eight["over_lower_bound"], "; ".join("%s %s s" % (n, s) for n, s, c in eight["top_tasks"][:3])))
    n = results.get("noop")
    if n and n.get("fresh_host", True) and n["ratio"] and n["ratio"] > TARGETS["noop_ratio"]:
        out.append("The second start.yml still takes %s of the first: it re-reads every piece of evidence its checks "
                   "judge, which a no-op cannot skip; its longest tasks: %s." % (
                       n["ratio"], "; ".join("%s %s s" % (t, s) for t, s, c in n["second_top_tasks"][0][:3])))
    if n and any(v for c in n["second_changed"] for v in c["recap"].values()):
        out.append("The second start.yml changed something: %s." % "; ".join(
            ", ".join(c["tasks"]) for c in n["second_changed"]))
    s = results.get("cache_skip")
    if s and s["skip_per_stage"]["max"] and s["skip_per_stage"]["max"] > TARGETS["cache_skip_s"]:
        out.append("An ensure that skips costs %s s per stage: %s s of the one question asked for every stage "
                   "(gh200.sglang.cache_plan: a task's round trip and one signature probe in the container, shared by "
                   "the stages), %s s starting a job and %s s waiting for it. What is left is Ansible's own cost per "
                   "task (the module's transfer and interpreter) and the probe's interpreter in the container; fewer "
                   "stages per phase pay a larger share of it." % (
                       fmt(s["skip_per_stage"]["median"]), fmt(s["skip_ask_task"]["median"]),
                       fmt(s["skip_start_task"]["median"]), fmt(s["skip_wait_task"]["median"])))
    r = results.get("report", {}).get("256")
    if r and r["bytes"]["report.json"] / 1e6 > TARGETS["report_json_mb"]:
        out.append("report.json of 256 hosts is %s MB: each of the %d checks is written once, on one line per host, "
                   "with its evidence (about %d bytes a check, most of it the detail and the name); under 8 MB needs the "
                   "hosts' checks in files of their own or a shorter form of each check." % (
                       fmt(r["bytes"]["report.json"] / 1e6), r["checks"], r["bytes"]["report.json"] // max(r["checks"], 1)))
    return out


def fmt(value):
    if isinstance(value, float):
        return "%.3g" % value
    return str(value)


def markdown(results):
    lines = ["# gh200.sglang benchmarks, %s" % results["date"], "",
             "%s; %d cores; %d repetition(s)%s%s; commit %s%s. Medians; spread = (max - min) / median." % (
                 results["machine"], results["cores"], results["reps"], ", smoke" if results["smoke"] else "",
                 "; hosts reached over SSH with become" if results.get("connection") == "ssh" else "",
                 results.get("commit") or "?", "; -e %s" % " -e ".join(results["extra_vars"]) if results.get("extra_vars") else ""), ""]
    if "fleet" in results:
        lines += ["## Fleet scaling (verify.yml)", "", "| N | T(N) s | spread | T(N)/T(1) | CPU s per host | lower bound s | T(N)/bound |",
                  "|---|---|---|---|---|---|---|"]
        for n, s in sorted(results["fleet"]["sizes"].items(), key=lambda kv: int(kv[0])):
            lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (n, fmt(s["wall"]["median"]), fmt(s["wall"]["spread"]),
                         fmt(s["ratio_to_1"]), fmt(s["cpu_per_host_s"]), fmt(s["lower_bound_s"]), fmt(s["over_lower_bound"])))
        lines.append("")
    if "noop" in results:
        n = results["noop"]
        lines += ["## No-op re-run (start.yml twice on a fresh host)", "",
                  "first %s s, second %s s: second/first %s; the second run's changed: %s" % (
                      fmt(n["first"]["median"]), fmt(n["second"]["median"]), fmt(n["ratio"]),
                      "; ".join("%s %s" % (c["recap"], ", ".join(c["tasks"]) or "no task") for c in n["second_changed"])), ""]
    if "container" in results:
        c = results["container"]
        lines += ["## Container start: container_run against docker_container", "", "| step | container_run s | docker_container s | ratio |",
                  "|---|---|---|---|"]
        for step, key in (("start", "start_ratio"), ("no-op", "noop_ratio")):
            lines.append("| %s | %s | %s | %s |" % (step, fmt(c["container_run %s" % step]["median"]),
                                                    fmt(c["docker_container %s" % step]["median"]), fmt(c[key])))
        lines.append("")
    if "per_task" in results:
        lines += ["## Cost per task", "", "| connection, pipelining, module | median s | spread | tasks |", "|---|---|---|---|"]
        for key, s in results["per_task"].items():
            lines.append("| %s | %s | %s | %d |" % (key, fmt(s["median"]), fmt(s["spread"]), s["n"]))
        lines.append("")
    if "cache_skip" in results:
        s = results["cache_skip"]
        lines += ["## Cache skip (ensure with a valid signature against a rebuild)", "",
                  "skip per stage %s s (max %s), rebuild per stage %s s; skip/rebuild %s (max %s)" % (
                      fmt(s["skip_per_stage"]["median"]), fmt(s["skip_per_stage"]["max"]), fmt(s["rebuild_per_stage"]["median"]),
                      fmt(s["ratio"]["median"]), fmt(s["ratio"]["max"])), ""]
    if "report" in results:
        lines += ["## The report of a synthetic fleet (every check of a real dry-run host on each)", "",
                  "| hosts | checks | report.json | report.html | report.md | junit.xml | write s | Chromium render s |",
                  "|---|---|---|---|---|---|---|---|"]
        for n, r in sorted(results["report"].items(), key=lambda kv: int(kv[0])):
            b = r["bytes"]
            cells = (n, r["checks"], b["report.json"], b["report.html"], b["report.md"], b["junit.xml"], fmt(r["write_s"]), fmt(r["render_s"]))
            lines.append("| %s | %d | %s | %s | %s | %s | %s | %s |" % cells)
        lines.append("")
    if "strategies" in results:
        g = results["strategies"]
        lines += ["## Strategies (verify.yml over %d hosts, side by side)" % g["size"], "",
                  "| strategy | T s | CPU s | T ratio | CPU ratio | same verdicts |", "|---|---|---|---|---|---|"]
        for name, s in g["strategies"].items():
            lines.append("| %s | %s | %s | %s | %s | %s |" % (name, fmt(s["wall"]["median"]), fmt(s["cpu"]["median"]),
                         fmt(s.get("wall_ratio", 1)), fmt(s.get("cpu_ratio", 1)), fmt(s.get("same_verdicts", "-"))))
        lines.append("")
    lines += ["## Targets", "", "| target | figure | verdict |", "|---|---|---|"]
    for name, value, held in results["targets"]:
        lines.append("| %s | %s | %s |" % (name, fmt(value), held))
    if results.get("notes"):
        lines += [""] + ["- %s" % n for n in results["notes"]]
    return "\n".join(lines) + "\n"


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    sizes = sorted(int(n) for n in results["fleet"]["sizes"])
    walls = [results["fleet"]["sizes"][str(n)]["wall"]["median"] for n in sizes]
    bounds = [results["fleet"]["sizes"][str(n)]["lower_bound_s"] for n in sizes]
    fig, ax = pyplot.subplots(figsize=(6, 4))
    ax.plot(sizes, walls, "o-", label="verify.yml wall time (median)")
    ax.plot(sizes, bounds, "s--", label="lower bound max(T(1), N cpu(1) / cores)")
    ax.set_xlabel("simulated hosts")
    ax.set_ylabel("seconds")
    ax.set_xticks(sizes)
    ax.set_title("Fleet scaling, %s" % results["date"])
    ax.legend()
    fig.tight_layout()
    fig.savefig(str(path), dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--smoke", action="store_true", help="fleet size 1, one repetition, no warm-up")
    parser.add_argument("--sizes", default=None, help="fleet sizes, comma-separated (default 1,2,4,8)")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 3)")
    parser.add_argument("--only", default="fleet,noop,container,per_task,cache_skip,report",
                        help="benchmarks to run (strategies, the --strategies side by side, only when named)")
    parser.add_argument("--out", default=str(HERE / "results"), help="where the results go")
    parser.add_argument("--keep-fleet", action="store_true", help="leave the simulated fleet up afterwards")
    parser.add_argument("--strategy", default=None,
                        help="the Ansible strategy of every run but the strategies benchmark's (linear, free, mitogen_linear, "
                             "...; default: each play's own, verify.yml's phases free)")
    parser.add_argument("--strategies", default="linear,free",
                        help="the strategies the strategies benchmark compares, the first the base (mitogen_linear, ...)")
    parser.add_argument("--connection", choices=("docker", "ssh"), default="docker",
                        help="how the fleet is reached: the docker connection as root, or each host's sshd as a non-root "
                             "user with become to the host user, as a real fleet")
    parser.add_argument("-e", "--extra-vars", action="append", default=[],
                        help="passed to every run of the collection's playbooks (for a before/after figure)")
    args = parser.parse_args(argv)
    EXTRA[:] = args.extra_vars
    STRATEGY[:] = [args.strategy]
    CONNECTION[:] = [args.connection]
    sizes = [int(s) for s in (args.sizes or ("1" if args.smoke else "1,2,4,8")).split(",")]
    reps = args.reps or (1 if args.smoke else 3)
    only = args.only.split(",")
    cores = os.cpu_count()
    now = datetime.datetime.now(datetime.timezone.utc)
    results = {"date": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "cores": cores, "reps": reps, "smoke": args.smoke,
               "extra_vars": args.extra_vars, "strategy": args.strategy, "connection": args.connection, "commit": subprocess.run(
                   ["git", "describe", "--always", "--dirty"], cwd=str(REPO), stdout=subprocess.PIPE, text=True,
                   check=False).stdout.strip(),
               "machine": "%s, Python %s" % (os.uname().machine, sys.version.split()[0]), "notes": []}
    started = time.monotonic()
    try:
        if "fleet" in only:
            results["fleet"] = bench_fleet(sizes, reps, cores, warm=not args.smoke)
        elif "strategies" in only:
            fleet(max(sizes))
            playbook(["playbooks/verify.yml"])  # warm: builds and signs each host's caches, not measured
        if "strategies" in only:
            results["strategies"] = bench_strategies(max(sizes), reps, args.strategies.split(","))
        if ("cache_skip" in only or "per_task" in only) and not ("fleet" in only or "strategies" in only):
            fleet(1)
        if "cache_skip" in only:
            results["cache_skip"] = bench_cache_skip(max(1, reps - 1) if not args.smoke else 1)
        if "per_task" in only:
            results["per_task"] = bench_per_task(reps, ("true",) if args.smoke else ("true", "false"))
        if "container" in only:
            results["container"] = bench_container(1 if args.smoke else max(reps, 3))
        if "report" in only:
            results["report"] = bench_report()
        if "noop" in only:
            # The smoke re-runs start.yml on host 1 rather than a fresh host, whose first start builds every cache cold.
            results["noop"] = bench_noop(1 if args.smoke else 2, max(sizes) + 1, fresh=not args.smoke)
    finally:
        if not args.keep_fleet and set(only) - {"report"}:  # the report's benchmark uses no fleet
            fleet(0)
    results["targets"] = judge(results)
    results["notes"] = notes(results) + results["notes"]
    results["duration_s"] = round(time.monotonic() - started, 1)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / now.strftime("%Y%m%dT%H%M%SZ")
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    stem.with_suffix(".md").write_text(table)
    if "fleet" in results:
        plot(results, stem.with_suffix(".png"))
    print(table)
    log("results in %s.{json,md%s}" % (stem, ",png" if "fleet" in results else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
