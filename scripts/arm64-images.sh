#!/usr/bin/env bash
# The arm64 (Grace-like) STAND-IN images for molecule/aarch64: gh200-testhost:testbed-arm64 and
# sglang-dev-standin:testbed-arm64, built from the same recipes as the native ones (idempotent: an unchanged
# recipe is not rebuilt). On another architecture they run under emulation: Debian's qemu-user-static,
# registered with binfmt_misc (fix-binary, so it works in chroots and containers), about five times slower.
# Needs scripts/setup.sh first (it writes .cache/testbed.env); scripts/test.sh runs this beside its first steps.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
die() { echo "arm64-images: $*" >&2; exit 1; }
[ -f .cache/testbed.env ] || die "run scripts/setup.sh first (no .cache/testbed.env)."
# shellcheck source=/dev/null
. .cache/testbed.env
is_root() { [ "$(id -u)" -eq 0 ]; }

if ! is_root; then
  for img in gh200-testhost sglang-dev-standin; do
    docker image inspect "$img:testbed-arm64" >/dev/null 2>&1 \
      || die "the test image $img:testbed-arm64 is missing and building it needs root (debootstrap): run scripts/arm64-images.sh as root once."
  done
  exit 0
fi
if [ "$(dpkg --print-architecture)" != arm64 ]; then
  if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    if [ ! -e /usr/libexec/qemu-binfmt/aarch64-binfmt-P ] || ! command -v update-binfmts >/dev/null 2>&1; then
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static binfmt-support >/dev/null
    fi
    update-binfmts --enable qemu-aarch64
  fi
fi
command -v debootstrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
for img in gh200-testhost sglang-dev-standin; do
  tests/testbed/build-image.sh "$img" "$GH200_TESTBED_UID" "$GH200_TESTBED_GID" arm64
done
