# shellcheck shell=bash
# Sourced by scripts/verify-local.sh and scripts/test.sh: go to the checkout, run the idempotent
# set-up, and load what it found (.cache/testbed.env) and the venv.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
scripts/setup.sh
set -a
# shellcheck source=/dev/null
. .cache/testbed.env
set +a
# shellcheck source=/dev/null
. .venv/bin/activate
export ANSIBLE_COLLECTIONS_PATH=$repo/collections
