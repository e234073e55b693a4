#!/usr/bin/env bash
# Every test, after all set-up (idempotent): linters, ansible-test sanity, pytest units, playbook tests,
# and every Molecule scenario (default: the fleet; editable: seed 001; verify: verify.yml itself).
# Tests run in random order (pytest-randomly); each run prints its seed; replay an order with --randomly-seed=N.
#   scripts/test.sh            everything
#   GH200_MOLECULE_SCENARIOS="default" scripts/test.sh   only some Molecule scenarios
#   GH200_MOLECULE_JOBS=1 scripts/test.sh                one scenario at a time
set -euo pipefail
# shellcheck source=scripts/_prologue.sh
. "$(dirname "$0")/_prologue.sh"
export PY_COLORS=0 ANSIBLE_FORCE_COLOR=0

# Each step says how long the previous one took (CI must stay well under 30 minutes in all).
last=$SECONDS
step() { printf '\n=== %s === (previous step %ds, %ds in all)\n' "$*" $((SECONDS - last)) "$SECONDS"; last=$SECONDS; }
# A job started in the background: wait for it, print its log, stop the run when it failed.
join() {  # <pid> <log> <what it was>
  local rc=0
  wait "$1" || rc=$?
  cat "$2"
  rm -f "$2"
  [ "$rc" -eq 0 ] || { echo "$3 failed (exit $rc)" >&2; exit 1; }
}

# Every scenario, the heaviest first (known ones by their cost on this machine kind, new ones after them),
# GH200_MOLECULE_JOBS (default 2) at a time: most of a scenario's time is waiting on containers, not CPU.
# bench-smoke is the benchmarks' smoke (benchmarks/run --smoke) in a slot of its own, so the harness does not rot.
heaviest_first=(verify aarch64 bench-smoke default caches gpuhealth editable)
mapfile -t found < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf "%h\n" | xargs -n1 basename | sort)
found+=(bench-smoke)
ordered=()
for s in "${heaviest_first[@]}" "${found[@]}"; do
  [[ " ${found[*]} " == *" $s "* && " ${ordered[*]} " != *" $s "* ]] && ordered+=("$s")
done
read -r -a scenarios <<<"${GH200_MOLECULE_SCENARIOS:-${ordered[*]}}"

# Every check seen failing: with every scenario, their suites record each verify.yml report they read, and the
# last step compares what was recorded with what was seen failed (tests/check_coverage.py).
coverage_dir=""
if [ -z "${GH200_MOLECULE_SCENARIOS:-}" ]; then
  coverage_dir=$(mktemp -d /var/tmp/gh200-check-coverage-XXXXXX)
  export GH200_CHECK_COVERAGE_DIR=$coverage_dir
fi

# The arm64 images (for molecule/aarch64) build under emulation beside the steps before Molecule.
arm64_log=$(mktemp /var/tmp/gh200-arm64-images-XXXXXX.log)
arm64_pid=""
if [[ " ${scenarios[*]} " == *" aarch64 "* ]]; then
  scripts/arm64-images.sh >"$arm64_log" 2>&1 &
  arm64_pid=$!
fi

# The engine suite (tests/engine: mostly waiting on containers, about half the CPU) runs beside the steps that need
# no engine (the linters, sanity, units, the playbook tests: one Python process each); the steps that share the
# dry-run host with it (the artifact test runs verify.yml on it) come after it.
engine_log=$(mktemp /var/tmp/gh200-engine-suite-XXXXXX.log)
pytest -q --durations=10 tests/engine >"$engine_log" 2>&1 &
engine_pid=$!
engine_started=$SECONDS
trap 'kill "$engine_pid" ${arm64_pid:+"$arm64_pid"} 2>/dev/null || true' EXIT

step "yamllint"
yamllint --strict .

step "ansible-lint (production profile)"
ansible-lint --profile production

step "ansible-test sanity"
scripts/sanity.sh

step "pytest units"
pytest -q tests/unit

step "playbook tests on localhost (check, phase and report plugins; role options from -e)"
pytest -q tests/playbooks

step "modules and playbooks on the real engine (the stand-in images, the dry-run host, no Molecule), started beside the steps above"
join "$engine_pid" "$engine_log" "the engine suite (tests/engine)"
echo "(the engine suite took $((SECONDS - engine_started))s in all, beside the steps above)"

step "the collection artifact (built, installed into an empty path, used from there; ansible-builder)"
pytest -q tests/artifact

if [ -n "$arm64_pid" ]; then
  step "the arm64 test images (built beside the steps above)"
  join "$arm64_pid" "$arm64_log" "scripts/arm64-images.sh"
fi
rm -f "$arm64_log"

# Alone on the engine: nothing else runs on it now (the arm64 images are built, Molecule has not started).
step "the Docker engine restarted under a stage and between phases (tests/engine/test_engine_restarted.py)"
GH200_ENGINE_RESTART=1 pytest -q tests/engine/test_engine_restarted.py

step "molecule: ${scenarios[*]}, ${GH200_MOLECULE_JOBS:-2} at a time"
scripts/molecule-scenarios.sh "${scenarios[@]}"

if [ -n "$coverage_dir" ]; then
  step "every check seen failing in a verify.yml run (tests/check_coverage.py)"
  python3 tests/check_coverage.py "$coverage_dir"
  rm -rf "$coverage_dir"
fi
echo "all tests passed (last step $((SECONDS - last))s, ${SECONDS}s in all)"
