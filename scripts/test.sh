#!/usr/bin/env bash
# Every test, after all set-up (idempotent): linters, ansible-test sanity, pytest units, playbook tests,
# and every Molecule scenario (default: the fleet; editable: seed 001; verify: verify.yml itself).
# Tests run in random order (pytest-randomly); each run prints its seed; replay an order with --randomly-seed=N.
#   scripts/test.sh            everything
#   GH200_MOLECULE_SCENARIOS="default" scripts/test.sh   only some Molecule scenarios
set -euo pipefail
# shellcheck source=scripts/_prologue.sh
. "$(dirname "$0")/_prologue.sh"
export PY_COLORS=0 ANSIBLE_FORCE_COLOR=0

# Each step says how long the previous one took (CI must stay well under 30 minutes in all).
last=$SECONDS
step() { printf '\n=== %s === (previous step %ds, %ds in all)\n' "$*" $((SECONDS - last)) "$SECONDS"; last=$SECONDS; }

step "yamllint"
yamllint --strict .

step "ansible-lint (production profile)"
ansible-lint --profile production

step "ansible-test sanity"
scripts/sanity.sh

step "pytest units"
pytest -q tests/unit

step "the collection artifact (built, installed into an empty path, used from there; ansible-builder)"
pytest -q tests/artifact

step "playbook tests on localhost (check, phase and report plugins; role options from -e)"
pytest -q tests/playbooks

step "modules on the real engine (the stand-in dev image, no Molecule): cache_stage, lock_cleanup"
pytest -q tests/engine

step "molecule"
scenarios=${GH200_MOLECULE_SCENARIOS:-$(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf "%h\n" | xargs -n1 basename | sort)}
for s in $scenarios; do
  step "molecule test -s $s"
  molecule test -s "$s"
done
echo "all tests passed (last step $((SECONDS - last))s, ${SECONDS}s in all)"
