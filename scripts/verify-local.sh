#!/usr/bin/env bash
# The main job: set up this machine (idempotent), then run the whole verification plan against
# the local dry-run inventory (this machine, the real Docker engine, the stand-in image, no GPU).
#   scripts/verify-local.sh [extra ansible-playbook arguments, e.g. --tags phase0]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
scripts/setup.sh
set -a
# shellcheck source=/dev/null
. .cache/testbed.env
set +a
exec .venv/bin/ansible-playbook -i inventory/local.yml playbooks/verify.yml "$@"
