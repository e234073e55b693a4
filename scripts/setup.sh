#!/usr/bin/env bash
# Idempotent set-up for gh200.sglang on a development or CI machine:
#   1. a Docker engine (an existing one, or Debian's docker.io started with no bridge network),
#   2. .venv with the pinned toolchain (requirements/test.txt),
#   3. the collection visible to Ansible as gh200.sglang (collections/ symlink),
#   4. the local dry-run host user (when run as root) and its Python packages, the hub stand-in serving the tiny model,
#   5. the test-bed images, built offline with debootstrap + docker import (and the upstream-shaped one derived),
#   6. with GH200_ARM64=1, the arm64 test-bed images for molecule/aarch64 (scripts/arm64-images.sh).
# Writes .cache/testbed.env, which scripts/verify-local.sh and scripts/test.sh read.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
die() { echo "setup: $*" >&2; exit 1; }
say() { echo "setup: $*"; }
is_root() { [ "$(id -u)" -eq 0 ]; }
mkdir -p .cache

apt_install() {
  is_root || die "missing Debian packages ($*) and installing them needs root: run scripts/setup.sh as root, or install them with 'sudo apt-get install $*'."
  if [ ! -f .cache/apt-updated ]; then
    apt-get update -qq >/dev/null && touch .cache/apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# A venv of the system Python under /opt/gh200-sglang (root only), for the dry-run's host user: remade when its
# requirements change. opt_venv NAME WHAT REQUIREMENT...
opt_venv() {
  local dir=/opt/gh200-sglang/$1 what=$2 stamp
  shift 2
  stamp=$(printf '%s\n' "$@" | sha256sum | cut -c1-16)
  [ "$(cat "$dir/.gh200-stamp" 2>/dev/null)" != "$stamp" ] || return 0
  say "creating $dir ($what)"
  rm -rf "$dir"
  /usr/bin/python3 -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >".cache/pip-install-$1.log" 2>&1 \
    || { tail -n 20 ".cache/pip-install-$1.log" >&2; die "installing $* in $dir failed (log: .cache/pip-install-$1.log)."; }
  echo "$stamp" >"$dir/.gh200-stamp"
}

# --- 1. Docker engine (first: without it nothing else is worth doing) -------------------
if ! command -v docker >/dev/null 2>&1; then
  apt_install docker.io
fi
engine_answers() { docker info >/dev/null 2>&1; }
if ! engine_answers; then
  if [ -S /var/run/docker.sock ] && ! is_root && [ ! -w /var/run/docker.sock ]; then
    die "the Docker engine socket /var/run/docker.sock is not writable by $(id -un): add the user to its group ('sudo usermod -aG $(stat -c %G /var/run/docker.sock) $(id -un)', then log in again) or run as root."
  fi
  is_root || die "no Docker engine answers and starting one needs root: start Docker yourself (and add $(id -un) to the docker group), or run scripts/setup.sh as root."
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  say "starting dockerd (no bridge network, no iptables); log in /var/log/gh200-sglang-dockerd.log"
  # No default bridge: containers use the host network (loopback) or none.
  setsid nohup dockerd --bridge=none --iptables=false --ip-masq=false \
    >>/var/log/gh200-sglang-dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 60); do engine_answers && break; sleep 1; done
  engine_answers || die "dockerd did not answer within 60 s: see /var/log/gh200-sglang-dockerd.log."
fi
say "Docker engine $(docker version --format '{{.Server.Version}}') answers"

# Without root, the test images cannot be built (debootstrap makes a chroot): they must exist already.
if ! is_root; then
  for img in gh200-testhost sglang-dev-standin; do
    docker image inspect "$img:testbed" >/dev/null 2>&1 \
      || die "the test image $img:testbed is missing and building it needs root (debootstrap): run scripts/setup.sh once as root or with sudo."
  done
fi

# --- 2. Python toolchain ------------------------------------------------------------------
python=${GH200_PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      python=$(command -v "$candidate"); break
    fi
  done
fi
[ -n "$python" ] || die "no Python 3.11 or newer found: install python3.11 (or set GH200_PYTHON to one)."
stamp=$(cat requirements/*.txt <("$python" -VV) | sha256sum | cut -c1-16)
if [ "$(cat .venv/.gh200-stamp 2>/dev/null)" != "$stamp" ]; then
  say "creating .venv with $("$python" -V)"
  rm -rf .venv
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/test.txt >.cache/pip-install.log 2>&1 \
    || { tail -n 20 .cache/pip-install.log >&2; die "installing requirements/test.txt failed (log: .cache/pip-install.log)."; }
  echo "$stamp" >.venv/.gh200-stamp
else
  say ".venv is up to date"
fi
# A controller as users install it (requirements/controller.txt only: ansible-core, no `ansible` package, no other
# collection), where the artifact test runs verify.yml from the built collection.
core_stamp=$(cat requirements/controller.txt requirements/execution-environment.txt <("$python" -VV) | sha256sum | cut -c1-16)
if [ "$(cat .cache/venv-controller/.gh200-stamp 2>/dev/null)" != "$core_stamp" ]; then
  say "creating .cache/venv-controller (ansible-core only)"
  rm -rf .cache/venv-controller
  "$python" -m venv .cache/venv-controller
  .cache/venv-controller/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/controller.txt \
    >.cache/pip-install-controller.log 2>&1 \
    || { tail -n 20 .cache/pip-install-controller.log >&2; die "installing requirements/controller.txt failed (log: .cache/pip-install-controller.log)."; }
  echo "$core_stamp" >.cache/venv-controller/.gh200-stamp
fi

# ansible-test sanity runs shellcheck on the scripts when it is installed.
command -v shellcheck >/dev/null 2>&1 || apt_install shellcheck
# The report's HTML is checked in headless Chromium (Debian's package; nothing is downloaded by a test tool).
if ! command -v chromium >/dev/null 2>&1; then
  if is_root; then apt_install chromium; else say "chromium is missing: the report.html test will fail (sudo apt-get install chromium)"; fi
fi

# The clock-skew test runs the controller under libfaketime (Debian's faketime), its hosts on the real clock.
if ! command -v faketime >/dev/null 2>&1; then
  if is_root; then apt_install faketime; else say "faketime is missing: the clock-skew test will fail (sudo apt-get install faketime)"; fi
fi

# The SSH fleet test (tests/engine/test_fleet_over_ssh.py) reaches its hosts with the ssh client.
if ! command -v ssh >/dev/null 2>&1; then
  if is_root; then apt_install openssh-client; else say "ssh is missing: the SSH fleet test will fail (sudo apt-get install openssh-client)"; fi
fi

# --- 3. The collection as Ansible sees it -------------------------------------------------
mkdir -p collections/ansible_collections/gh200
ln -sfn ../../.. collections/ansible_collections/gh200/sglang

# --- 4. Host user for the local dry-run -----------------------------------------------------
# As root, the host side of the dry-run runs as an unprivileged user, so ownership checks mean
# something. Otherwise the invoking user is the host user.
if is_root; then
  host_user=${GH200_DRYRUN_USER:-gh200dry}
  if ! id "$host_user" >/dev/null 2>&1; then
    uid=1000
    while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do uid=$((uid + 1)); done
    groupadd -g "$uid" "$host_user"
    useradd -m -u "$uid" -g "$uid" -s /bin/bash "$host_user"
    say "created host user $host_user (uid $uid)"
  fi
  sock_group=$(stat -c %G /var/run/docker.sock 2>/dev/null || echo root)
  if [ "$sock_group" != root ] && ! id -nG "$host_user" | tr ' ' '\n' | grep -qx "$sock_group"; then
    usermod -aG "$sock_group" "$host_user"
  fi
  # The dry-run host's interpreter: the system Python in a venv with the engine client a managed host is asked for
  # (requirements/managed-host.txt, the model fetch's huggingface_hub aside: its own venv below). The Molecule hosts run
  # Debian's packages instead (docker 5.0.3), so both are tested; Debian bookworm's python3-docker imports distutils,
  # which its setuptools answers by importing the whole of setuptools, 0.15 s more per module call.
  mapfile -t host_reqs < <(grep -Ev '^(#|huggingface|$)' requirements/managed-host.txt)
  opt_venv host-python "the dry-run host's interpreter: ${host_reqs[*]}" "${host_reqs[@]}"
  host_python=/opt/gh200-sglang/host-python/bin/python
  # The system Python keeps Debian's packages too: tests/playbooks/test_docker_access.py runs modules with it.
  /usr/bin/python3 -c 'import docker, requests, prometheus_client' 2>/dev/null \
    || apt_install python3-docker python3-requests python3-prometheus-client
else
  host_user=$(id -un)
  host_python=$repo/.venv/bin/python
fi
host_uid=$(id -u "$host_user")
host_gid=$(id -g "$host_user")
host_home=$(getent passwd "$host_user" | cut -d: -f6)
become=false
[ "$host_user" = "$(id -un)" ] || become=true

run_as_host() { if [ "$become" = true ]; then runuser -u "$host_user" -- "$@"; else "$@"; fi; }
# STAND-IN model (tiny, random weights, real format), made once into .cache/tiny-model and copied into
# the dry-run tree where a file differs; Molecule's prepare copies the same files.
model_stamp=$(sha256sum tests/testbed/make-tiny-model.py requirements/test.txt | sha256sum | cut -c1-16)
if [ "$(cat .cache/tiny-model.stamp 2>/dev/null)" != "$model_stamp" ]; then
  rm -rf .cache/tiny-model
  .venv/bin/python tests/testbed/make-tiny-model.py .cache/tiny-model
  echo "$model_stamp" >.cache/tiny-model.stamp
fi
model_dir=$host_home/sglang-observability/models/standin/tiny-model
run_as_host mkdir -p "$model_dir"
for f in .cache/tiny-model/*; do
  cmp -s "$f" "$model_dir/${f##*/}" || run_as_host install -m 0644 "$f" "$model_dir/${f##*/}"
done
# STAND-IN Hugging Face Hub on loopback (tests/testbed/hub_standin.py), serving the tiny model as standin/tiny-model:
# the dry-run fetches it from there when models/ lacks it (host_prep_model_fetch), with the real huggingface_hub
# client from an interpreter the host user can run (GH200_DRYRUN_HUB_PYTHON: a venv of its own as root, .venv otherwise).
hub_port=${GH200_HUB_PORT:-18808}
hub_repo=.cache/hub-repos/standin/tiny-model
mkdir -p "$hub_repo"
for f in .cache/tiny-model/*; do cmp -s "$f" "$hub_repo/${f##*/}" || install -m 0644 "$f" "$hub_repo/${f##*/}"; done
hub_pidfile=/tmp/gh200-hub-standin-$hub_port.pid
# Answers, and serves this checkout's folder (a stand-in another checkout started is replaced).
hub_answers() { .venv/bin/python -c 'import json, sys, urllib.request
sys.exit(json.load(urllib.request.urlopen(sys.argv[1], timeout=2))["repos"] != sys.argv[2])' \
  "http://127.0.0.1:$hub_port/api/standin" "$repo/.cache/hub-repos" >/dev/null 2>&1; }
if ! hub_answers; then
  if [ -f "$hub_pidfile" ]; then kill "$(cat "$hub_pidfile")" 2>/dev/null || true; sleep 0.5; fi
  say "starting the hub stand-in on 127.0.0.1:$hub_port; log in .cache/hub-standin.log"
  setsid nohup .venv/bin/python tests/testbed/hub_standin.py --repos "$repo/.cache/hub-repos" --port "$hub_port" \
    --pidfile "$hub_pidfile" >>.cache/hub-standin.log 2>&1 </dev/null &
  for _ in $(seq 1 30); do hub_answers && break; sleep 0.5; done
  hub_answers || die "the hub stand-in did not answer on 127.0.0.1:$hub_port: see .cache/hub-standin.log."
fi
if is_root; then
  opt_venv hub-client "huggingface_hub for the dry-run host user" "$(grep -h '^huggingface' requirements/managed-host.txt)"
  hub_python=/opt/gh200-sglang/hub-client/bin/python
else
  hub_python=$repo/.venv/bin/python
fi
# STAND-IN workspace (a miniature repository shaped like SGLang's), mounted at /workspaces/sglang.
workspace_dir=$host_home/sglang
if [ ! -e "$workspace_dir" ]; then
  tar -C tests/testbed/standin-workspace -cf - . | run_as_host tar -C "$host_home" --one-top-level=sglang -xf -
fi
# The dev image's Dockerfile follows the test bed's (the dry-run rebuilds the image when it changes).
devfile=tests/testbed/standin-workspace/.devcontainer/Dockerfile
cmp -s "$devfile" "$workspace_dir/.devcontainer/Dockerfile" || run_as_host install -D -m 0644 "$devfile" "$workspace_dir/.devcontainer/Dockerfile"

# --- 5. Test-bed images (stand-ins) -------------------------------------------------------
if ! command -v debootstrap >/dev/null 2>&1; then
  need_build=0
  for img in gh200-testhost sglang-dev-standin; do docker image inspect "$img:testbed" >/dev/null 2>&1 || need_build=1; done
  [ "$need_build" -eq 0 ] || apt_install debootstrap
fi
for img in gh200-testhost sglang-dev-standin; do
  GH200_PIP_PYTHON="$repo/.venv/bin/python" tests/testbed/build-image.sh "$img" "$host_uid" "$host_gid"
done
# The upstream-shaped stand-in (root, no entrypoint, `sleep infinity`, no devuser), derived from sglang-dev-standin.
tests/testbed/upstream-image.sh

cat >.cache/testbed.env <<EOF
# Written by scripts/setup.sh
GH200_DRYRUN_USER=$host_user
GH200_DRYRUN_PYTHON=$host_python
GH200_DRYRUN_BECOME=$become
GH200_DRYRUN_HUB_PYTHON=$hub_python
GH200_DRYRUN_HUB_ENDPOINT=http://127.0.0.1:$hub_port
GH200_TESTBED_UID=$host_uid
GH200_TESTBED_GID=$host_gid
EOF
# --- 6. arm64 test-bed images (only with GH200_ARM64=1; scripts/test.sh builds them beside its first steps) --
[ "${GH200_ARM64:-0}" != 1 ] || scripts/arm64-images.sh
say "ready (host user $host_user, uid $host_uid)"
