#!/usr/bin/env bash
# Every test, after all set-up (idempotent): linters, ansible-test sanity, pytest units, the engine suite, playbook
# tests, the collection artifact, and every Molecule scenario (default: the fleet; editable: seed 001; verify:
# verify.yml itself). Tests run in random order (pytest-randomly); each run prints its seed; replay an order with
# --randomly-seed=N.
#   scripts/test.sh                                      everything
#   scripts/test.sh --job static                         one job alone (its name as in the list below)
#   GH200_MOLECULE_SCENARIOS="default" scripts/test.sh   only some Molecule scenarios (and the static and engine jobs)
#   GH200_TEST_JOBS=1 scripts/test.sh                    one job at a time
#
# The jobs, taken in this order by GH200_TEST_JOBS slots (default 2), a free slot taking the next one:
#   engine       the Docker engine restarted (alone on the engine: no other job touches it until this ends), then the
#                engine suite, the playbook tests and the collection artifact, one after another (they share the
#                dry-run host);
#   static       yamllint, ansible-lint, ansible-test sanity, pytest units (no engine);
#   <scenario>   each Molecule scenario, the heaviest first (aarch64 builds its arm64 images first), and bench-smoke,
#                the benchmarks' smoke (benchmarks/run --smoke), so the harness does not rot. Each waits until the
#                engine job is done restarting the engine.
# Jobs share the engine but no container name, port or host path. Each job's log is printed whole once every job
# has ended; a line says when each one ends, with its time and result.
set -euo pipefail
# shellcheck source=scripts/_prologue.sh
. "$(dirname "$0")/_prologue.sh"
export PY_COLORS=0 ANSIBLE_FORCE_COLOR=0 GH200_SETUP_DONE=1

# Each step says how long the previous one took.
last=$SECONDS
step() { printf '\n=== %s === (previous step %ds, %ds in all)\n' "$*" $((SECONDS - last)) "$SECONDS"; last=$SECONDS; }

job_static() {
  step "yamllint"
  yamllint --strict .
  step "ansible-lint (production profile)"
  ansible-lint --profile production
  step "ansible-test sanity"
  scripts/sanity.sh
  step "pytest units"
  pytest -q tests/unit
  step "static: done"
}

job_engine() {
  local rc=0
  step "the Docker engine restarted under a stage and between phases (tests/engine/test_engine_restarted.py), alone on the engine"
  GH200_ENGINE_RESTART=1 pytest -q tests/engine/test_engine_restarted.py || rc=$?
  [ -z "${GH200_ENGINE_SETTLED:-}" ] || touch "$GH200_ENGINE_SETTLED"  # the other jobs may use the engine now
  [ "$rc" -eq 0 ] || return "$rc"
  step "modules and playbooks on the real engine (the stand-in images, the dry-run host, no Molecule)"
  pytest -q --durations=10 tests/engine
  step "playbook tests on localhost (check, phase and report plugins; role options from -e)"
  pytest -q tests/playbooks
  step "the collection artifact (built, installed into an empty path, used from there; ansible-builder)"
  pytest -q tests/artifact
  step "engine: done"
}

# Wait (at most 15 minutes) until the engine job has restarted the engine and started it again.
engine_settled() {
  local deadline=$((SECONDS + 900))
  [ -n "${GH200_ENGINE_SETTLED:-}" ] || return 0
  until [ -e "$GH200_ENGINE_SETTLED" ]; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "the engine job did not finish restarting the engine in 15 minutes" >&2; return 1; }
    sleep 2
  done
}

run_job() {  # <name> <a scratch folder (bench-smoke's results)>
  case "$1" in
    static) job_static ;;
    engine) job_engine ;;
    bench-smoke) engine_settled && benchmarks/run --smoke --out "$2/bench-results" ;;
    aarch64) engine_settled && scripts/arm64-images.sh && molecule test -s aarch64 ;;
    *) engine_settled && molecule test -s "$1" ;;
  esac
}

if [ "${1:-}" = --job ]; then
  [ $# -eq 2 ] || { echo "usage: scripts/test.sh [--job <name>]" >&2; exit 2; }
  out=$(mktemp -d /var/tmp/gh200-test-job-XXXXXX)
  trap 'rm -rf "$out"' EXIT
  run_job "$2" "$out"
  exit
fi
[ $# -eq 0 ] || { echo "usage: scripts/test.sh [--job <name>]" >&2; exit 2; }

# The Molecule scenarios, the heaviest first (known ones by their cost on this machine kind, new ones after them).
heaviest_first=(verify aarch64 bench-smoke default caches gpuhealth editable)
mapfile -t found < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf "%h\n" | xargs -n1 basename | sort)
found+=(bench-smoke)
ordered=()
for s in "${heaviest_first[@]}" "${found[@]}"; do
  [[ " ${found[*]} " == *" $s "* && " ${ordered[*]} " != *" $s "* ]] && ordered+=("$s")
done
read -r -a scenarios <<<"${GH200_MOLECULE_SCENARIOS:-${ordered[*]}}"
jobs=(engine static "${scenarios[@]}")

# Every check seen failing: with every scenario, their suites record each verify.yml report they read, and the
# last step compares what was recorded with what was seen failed (tests/check_coverage.py).
coverage_dir=""
if [ -z "${GH200_MOLECULE_SCENARIOS:-}" ]; then
  coverage_dir=$(mktemp -d /var/tmp/gh200-check-coverage-XXXXXX)
  export GH200_CHECK_COVERAGE_DIR=$coverage_dir
fi

logs=$(mktemp -d /var/tmp/gh200-test-logs-XXXXXX)
export GH200_ENGINE_SETTLED=$logs/engine-settled
one() {  # <job> <log folder>: the job's log, then "<rc> <seconds>" in <job>.result
  local start=$SECONDS rc=0
  scripts/test.sh --job "$1" >"$2/$1.log" 2>&1 || rc=$?
  echo "$rc $((SECONDS - start))" >"$2/$1.result"
  printf '=== job %s: %s in %ds (%ds in all) ===\n' "$1" "$([ "$rc" -eq 0 ] && echo passed || echo "FAILED (exit $rc)")" \
    $((SECONDS - start)) "$(($(date +%s) - started))"
}
started=$(date +%s)
export -f one
export started
step "jobs: ${jobs[*]}, ${GH200_TEST_JOBS:-2} at a time"
# shellcheck disable=SC2016  # the inner shell expands its own arguments
printf '%s\n' "${jobs[@]}" | xargs -P "${GH200_TEST_JOBS:-2}" -I{} bash -c 'one "$1" "$2"' _ {} "$logs"

failed=()
for j in "${jobs[@]}"; do
  printf '\n=== job %s: its log ===\n' "$j"
  cat "$logs/$j.log"
  read -r rc seconds <"$logs/$j.result" 2>/dev/null || { rc=1; seconds=0; }
  printf '=== job %s: exit %s after %ss ===\n' "$j" "$rc" "$seconds"
  [ "$rc" -eq 0 ] || failed+=("$j")
done
rm -rf "$logs"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi

if [ -n "$coverage_dir" ]; then
  step "every check seen failing in a verify.yml run (tests/check_coverage.py)"
  python3 tests/check_coverage.py "$coverage_dir"
  rm -rf "$coverage_dir"
fi
echo "all tests passed (last step $((SECONDS - last))s, ${SECONDS}s in all)"
