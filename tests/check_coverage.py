"""Every check seen failing: the coverage of the checks by the fault tests of real verify.yml runs.

The Molecule suites (and the engine suite's dry-run fetch test) record every verify.yml report they read (record(), when GH200_CHECK_COVERAGE_DIR is set, as
scripts/test.sh does for a full run): the checks each run recorded, and those it recorded `failed`. After the
scenarios, `python3 tests/check_coverage.py <dir>` compares the two:

- every check recorded by some run must be seen `failed` in some run (a fault test broke what it checks);
- a check still waiting for its fault test is listed, with why, in tests/check_coverage_pending.yml; a listed check
  that is now seen failing must leave the list, so the list only shrinks.

Names are compared without the context a role adds (`start: `, `stop: `, `restart: `, `after restart: `,
`final stop: `, `tool server: `), with a stage's name as `<stage>`, the host user as `<host user>` and the container user
(gh200_container_user: a name or a uid:gid) as `<container user>`: `after restart: inductor: cache artifacts owned by
devuser` is the check `<stage>: cache artifacts owned by <host user>`, and `scaffolding and telemetry writable by 1001:1001`
(an image run as the host user's ids) the check `scaffolding and telemetry writable by <container user>`, which a run
with devuser sees failing. Unit tests of a judge never count.
"""
import json
import os
import re
import sys

CONTEXTS = ("after restart: ", "restart: ", "start: ", "final stop: ", "stop: ", "tool server: ")
STAGES = ("flashinfer", "inductor", "deep_gemm", "moe")
_STAGE = re.compile(r"^(%s): " % "|".join(STAGES))
_OWNED = re.compile(r"(owned by|a 0600 file owned by) \S+$")
_WRITABLE = re.compile(r"writable by \S+$")
PENDING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_coverage_pending.yml")
ENV = "GH200_CHECK_COVERAGE_DIR"


def normalize(name):
    """The check a recorded name stands for (see the module's docstring)."""
    name = str(name)
    stripped = True
    while stripped:
        stripped = False
        for prefix in CONTEXTS:
            if name.startswith(prefix):
                name, stripped = name[len(prefix):], True
    name = _STAGE.sub("<stage>: ", name)
    name = _WRITABLE.sub("writable by <container user>", name)
    return _OWNED.sub(lambda m: "%s <host user>" % m.group(1), name)


def from_report(report):
    """(names recorded, names recorded failed), normalized, over every host of a report.json. The phase records of
    a phase skipped whole (named after the phase's title) are left out: they are no check."""
    seen, failed = set(), set()
    for host in (report or {}).get("hosts", {}).values():
        titles = set(p.get("title") for p in (host.get("phases") or {}).values() if p.get("title"))
        for check in host.get("checks") or []:
            if check.get("name") in titles:
                continue
            name = normalize(check.get("name"))
            seen.add(name)
            if check.get("status") == "failed":
                failed.add(name)
    return seen, failed


def record(report, source):
    """Append what one verify.yml run's report shows, when a full run collects coverage (GH200_CHECK_COVERAGE_DIR)."""
    folder = os.environ.get(ENV)
    if not folder or report is None:
        return
    seen, failed = from_report(report)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "%d.jsonl" % os.getpid()), "a") as handle:
        handle.write(json.dumps({"source": source, "seen": sorted(seen), "failed": sorted(failed)}) + "\n")


def load(folder):
    """(seen, failed: {name: [sources]}) over every record in the folder."""
    seen, failed = set(), {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".jsonl"):
            continue
        with open(os.path.join(folder, name)) as handle:
            for line in handle:
                entry = json.loads(line)
                seen.update(normalize(name) for name in entry["seen"])  # again: records of an older normalize
                for check in entry["failed"]:
                    failed.setdefault(normalize(check), []).append(entry["source"])
    return seen, failed


def load_pending(path=PENDING):
    """{check: why it has no failing run yet} from the pending list (a YAML mapping; comments allowed)."""
    import yaml  # the test toolchain's PyYAML
    with open(path) as handle:
        return yaml.safe_load(handle) or {}


def judge(seen, failed, pending):
    """The problems, one line each: checks recorded but never seen failing and not pending, and pending checks that
    are now seen failing (remove them from the list) or no longer recorded at all."""
    problems = []
    for name in sorted(seen - set(failed) - set(pending)):
        problems.append("never seen failing in a verify.yml run: %s (add a fault test that breaks it)" % name)
    for name in sorted(set(pending) & set(failed)):
        problems.append("seen failing now, remove it from %s: %s" % (os.path.basename(PENDING), name))
    for name in sorted(set(pending) - seen):
        problems.append("pending but no run recorded it, remove it from %s: %s" % (os.path.basename(PENDING), name))
    return problems


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        sys.stderr.write("usage: check_coverage.py <folder of records, as GH200_CHECK_COVERAGE_DIR>\n")
        return 2
    seen, failed = load(argv[1])
    if not seen:
        sys.stderr.write("check coverage: no verify.yml run was recorded in %s\n" % argv[1])
        return 1
    pending = load_pending()
    problems = judge(seen, failed, pending)
    print("check coverage: %d checks recorded, %d seen failing, %d pending a fault test" % (
        len(seen), len(set(failed) & seen), len(set(pending) & seen)))
    for name in sorted(set(pending) & seen):
        print("  pending: %s (%s)" % (name, pending[name]))
    for line in problems:
        print("  " + line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
