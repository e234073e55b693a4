#!/usr/bin/env bash
# Run `molecule test` for the given scenarios, GH200_MOLECULE_JOBS (default 2) at a time, in the order given
# (give the heaviest first: a free slot takes the next one). Each scenario writes its own log, printed whole
# once it ends, with its time and result; the exit status is non-zero when any scenario failed.
# The name bench-smoke runs `benchmarks/run --smoke` in a slot instead (the simulated fleet, results in the log).
# Scenarios share the engine but no container name, port or host path, so they can run side by side.
#   scripts/molecule-scenarios.sh verify aarch64 default bench-smoke
set -uo pipefail
jobs=${GH200_MOLECULE_JOBS:-2}
logs=$(mktemp -d /var/tmp/gh200-molecule-logs-XXXXXX)

one() {  # <scenario> <log folder>: the scenario's log, then "<rc> <seconds>" in <scenario>.result
  local start=$SECONDS rc=0
  if [ "$1" = bench-smoke ]; then
    benchmarks/run --smoke --out "$2/bench-results" >"$2/$1.log" 2>&1 || rc=$?
  else
    molecule test -s "$1" >"$2/$1.log" 2>&1 || rc=$?
  fi
  echo "$rc $((SECONDS - start))" >"$2/$1.result"
  printf '=== molecule test -s %s: %s in %ds ===\n' "$1" "$([ "$rc" -eq 0 ] && echo passed || echo "FAILED (exit $rc)")" $((SECONDS - start))
}
export -f one
# shellcheck disable=SC2016  # the inner shell expands its own arguments
printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'one "$1" "$2"' _ {} "$logs"

failed=()
for s in "$@"; do
  printf '\n=== molecule test -s %s: its log ===\n' "$s"
  cat "$logs/$s.log"
  read -r rc seconds <"$logs/$s.result" 2>/dev/null || { rc=1; seconds=0; }
  printf '=== molecule test -s %s: exit %s after %ss ===\n' "$s" "$rc" "$seconds"
  [ "$rc" -eq 0 ] || failed+=("$s")
done
rm -rf "$logs"
if [ ${#failed[@]} -gt 0 ]; then
  echo "molecule: failed: ${failed[*]}" >&2
  exit 1
fi
