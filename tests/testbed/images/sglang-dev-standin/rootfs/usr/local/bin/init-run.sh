#!/usr/bin/env bash
# STAND-IN entrypoint of the test bed's sglang-dev image, shaped like the real image's
# .devcontainer/observability/init-run.sh: scaffolding under /profiles and /telemetry as devuser,
# Prometheus and node exporter in the background, then INIT_RUN_HOOK as devuser.
set -uo pipefail

run_id=${CONTAINER_RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)-$$}
log_dir=/telemetry/logs/container-run-$run_id
as_devuser() { runuser -u devuser -- "$@"; }

as_devuser mkdir -p "$log_dir" /telemetry/prometheus/targets /telemetry/jaeger \
  /profiles/flashinfer /profiles/inductor /profiles/deep_gemm /profiles/moe_configs
log=$log_dir/init-run.log
as_devuser touch "$log"
say() { printf '%s init-run: %s\n' "$(date -u +%FT%TZ)" "$*" | tee -a "$log"; }

say "run $run_id starting (stand-in image; no GPU services)"
prom_port=${PROMETHEUS_PORT:-9090}
node_port=${NODE_EXPORTER_PORT:-9100}
prom_cfg=/tmp/prometheus-standin.yml
cat >"$prom_cfg" <<CFG
global:
  scrape_interval: ${PROMETHEUS_SCRAPE_INTERVAL:-5s}
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ["127.0.0.1:$prom_port"]}]
  - job_name: node
    static_configs: [{targets: ["127.0.0.1:$node_port"]}]
  # Inference servers: the targets gh200.sglang.inference writes (file-based service discovery), none hard-coded.
  - job_name: inference
    file_sd_configs: [{files: ["/telemetry/prometheus/targets/*.json"], refresh_interval: 5s}]
CFG
chmod 0644 "$prom_cfg"

pids=()
# The service logs are created by devuser: root's shell opens the >> redirects, and a file it created
# would be root-owned in the host tree.
as_devuser touch "$log_dir/node-exporter.log" "$log_dir/prometheus.log"
as_devuser prometheus-node-exporter --web.listen-address="127.0.0.1:$node_port" \
  >>"$log_dir/node-exporter.log" 2>&1 &
pids+=($!)
say "node exporter started on 127.0.0.1:$node_port (pid $!)"
as_devuser prometheus --config.file="$prom_cfg" --storage.tsdb.path=/telemetry/prometheus \
  --web.listen-address="127.0.0.1:$prom_port" >>"$log_dir/prometheus.log" 2>&1 &
pids+=($!)
say "prometheus started on 127.0.0.1:$prom_port (pid $!)"

if [ -n "${INIT_RUN_HOOK:-}" ]; then
  if [ -f "$INIT_RUN_HOOK" ]; then
    say "running INIT_RUN_HOOK $INIT_RUN_HOOK as devuser"
    if as_devuser env -u CONTAINER_RUN_ID bash -lc "$INIT_RUN_HOOK" >>"$log" 2>&1; then
      say "INIT_RUN_HOOK finished"
    else
      say "ERROR: INIT_RUN_HOOK $INIT_RUN_HOOK failed (see $log)"
    fi
  else
    say "INIT_RUN_HOOK $INIT_RUN_HOOK not found; skipped"
  fi
fi

# docker stop sends TERM to this PID 1: stop the services and the idle sleep, wait for the services only.
sleeper=
stop() {
  say "stopping"
  # STAND-IN fault injection, for the tests only: a command run as devuser while the container stops,
  # so a test can make the stop lose a cache or telemetry file and see phase 4's checks fail.
  if [ -n "${STANDIN_STOP_HOOK:-}" ]; then
    say "running STANDIN_STOP_HOOK as devuser"
    as_devuser bash -c "$STANDIN_STOP_HOOK" >>"$log" 2>&1
  fi
  kill "${pids[@]}" $sleeper 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
  exit 0
}
trap stop TERM INT
# What pip prints on a healthy image whose packages pin each other loosely (the real image's post-create installs
# print it): a benign line the container log's error pattern must not take for a failure.
echo "ERROR: pip's dependency resolver does not currently take into account all the packages that are installed. This behaviour is the source of the following dependency conflicts."
say "ready"
# STAND-IN fault injection, for the tests only: the entrypoint ends once ready, with this exit code, so a test can
# see "container runs" fail.
if [ -n "${STANDIN_EXIT_AFTER_READY:-}" ]; then
  say "exiting with code $STANDIN_EXIT_AFTER_READY (STANDIN_EXIT_AFTER_READY)"
  kill "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
  exit "$STANDIN_EXIT_AFTER_READY"
fi
while :; do
  sleep 3600 &
  sleeper=$!
  wait "$sleeper"
done
