#!/usr/bin/env bash
# The simulated fleet: GH200_FLEET_SIZE=N scripts/fleet.sh brings up exactly N STAND-IN GH200 hosts on the local
# engine (0 tears them down) and writes their inventory (tests/testbed/fleet.py says how).
set -euo pipefail
. "$(dirname "$0")/_prologue.sh"
exec .venv/bin/python tests/testbed/fleet.py "$@"
