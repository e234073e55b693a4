#!/usr/bin/env bash
# The main job: set up this machine (idempotent), then run the whole verification plan against
# the local dry-run inventory (this machine, the real Docker engine, the stand-in image, no GPU).
#   scripts/verify-local.sh [extra ansible-playbook arguments, e.g. --tags phase0]
set -euo pipefail
# shellcheck source=scripts/_prologue.sh
. "$(dirname "$0")/_prologue.sh"
exec .venv/bin/ansible-playbook -i inventory/local.yml playbooks/verify.yml "$@"
