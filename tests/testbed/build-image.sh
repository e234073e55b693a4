#!/usr/bin/env bash
# Build one test-bed image offline: debootstrap (minbase) from the mirror apt already uses,
# apply the recipe, then `docker import`. STAND-IN images for tests only; never product defaults.
#
#   tests/testbed/build-image.sh <recipe-name> <uid> <gid> [<debian-arch>]
#
# <debian-arch> (default: this machine's) builds for another architecture, e.g. arm64 for a Grace-like
# host, through qemu-user-static registered with binfmt_misc (scripts/setup.sh does that). A foreign image
# goes without the recipe's wheels (they are this machine's). Every image is also tagged <name>:testbed-<arch>;
# the native one keeps <name>:testbed.
#
# A recipe is tests/testbed/images/<name>/ with:
#   packages   Debian packages to include (one per line, # comments)
#   packages-with-wheels  Debian packages only the wheels need (compilers for torch's stages); a foreign
#              image, which goes without the wheels, goes without these too (optional)
#   setup.sh   run inside the chroot as root with TESTBED_UID/TESTBED_GID set
#   rootfs/    files copied over the tree before setup.sh runs (optional)
#   changes    `docker import --change` lines (ENTRYPOINT, ENV, USER, LABEL ...)
#   wheels*    pip requirement lists (optional), downloaded on this machine with its pip configuration (which
#              finds the CPU build of torch on local disk) by $GH200_PIP_PYTHON into the chroot's /tmp/wheels,
#              each list beside them as /tmp/wheels/<list name>.txt for setup.sh to install offline; a list
#              named *nodeps* is downloaded without dependencies
# The image is tagged <name>:<hash of recipe+uid+gid> and <name>:testbed; an unchanged recipe
# is not rebuilt.
set -euo pipefail

name=${1:?recipe name}
uid=${2:?uid}
gid=${3:?gid}
native=$(dpkg --print-architecture)
arch=${4:-$native}
here=$(cd "$(dirname "$0")" && pwd)
recipe="$here/images/$name"
[ -d "$recipe" ] || { echo "build-image: no recipe at $recipe" >&2; exit 1; }

suite=${GH200_TESTBED_SUITE:-bookworm}
# The native image keeps the hash it always had; another architecture is part of its image's hash.
arch_line=""
[ "$arch" = "$native" ] || arch_line="arch=$arch"
hash=$( (cd "$recipe" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; echo "uid=$uid gid=$gid suite=$suite"; [ -z "$arch_line" ] || echo "$arch_line") | sha256sum | cut -c1-12)
tag="$name:$hash"
testbed_tag="$name:testbed"
[ "$arch" = "$native" ] || testbed_tag="$name:testbed-$arch"

if docker image inspect "$tag" >/dev/null 2>&1; then
  docker tag "$tag" "$testbed_tag"
  docker tag "$tag" "$name:testbed-$arch"
  echo "build-image: $tag is up to date"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "build-image: building $tag needs root (debootstrap makes a chroot); run scripts/setup.sh as root or with sudo once." >&2
  exit 1
fi

# The mirror apt already uses (deb822 .sources files first, then one-line sources.list).
mirror=${GH200_TESTBED_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
fi
if [ -z "$mirror" ]; then
  mirror=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
fi
[ -n "$mirror" ] || { echo "build-image: no Debian mirror found in apt's sources; set GH200_TESTBED_MIRROR." >&2; exit 1; }

lists=("$recipe/packages")
if [ -f "$recipe/packages-with-wheels" ] && [ "$arch" = "$native" ]; then
  lists+=("$recipe/packages-with-wheels")
fi
pkgs=$(cat "${lists[@]}" | grep -vE '^\s*(#|$)' | tr -s ' \n' ',' | sed 's/,$//')
work=$(mktemp -d /var/tmp/gh200-testbed-XXXXXX)
trap 'umount -R "$work/rootfs/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
cache=/var/cache/gh200-testbed/debs
mkdir -p "$cache"

if [ "$arch" != "$native" ]; then
  qemu=$(grep -lsx "enabled" /proc/sys/fs/binfmt_misc/qemu-* 2>/dev/null | head -n1 || true)
  chroot_ok=$(grep -ls "^flags: .*F" /proc/sys/fs/binfmt_misc/qemu-* 2>/dev/null | head -n1 || true)
  if [ -z "$qemu" ] || [ -z "$chroot_ok" ]; then
    echo "build-image: building for $arch needs qemu-user-static registered with binfmt_misc (fix-binary): run scripts/arm64-images.sh." >&2
    exit 1
  fi
fi
echo "build-image: debootstrap $suite ($arch) from $mirror for $tag"
debootstrap --arch="$arch" --variant=minbase --cache-dir="$cache" --include="$pkgs" "$suite" "$work/rootfs" "$mirror" \
  >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

if [ -d "$recipe/rootfs" ]; then
  cp -a "$recipe/rootfs/." "$work/rootfs/"
fi
if [ "$arch" = "$native" ] && compgen -G "$recipe/wheels*" >/dev/null; then
  pip_python=${GH200_PIP_PYTHON:-python3}
  mkdir -p "$work/rootfs/tmp/wheels"
  for list in "$recipe"/wheels*; do
    # A list named *nodeps* is downloaded without dependencies (a package whose declared ones are GPU builds).
    nodeps=()
    case "$(basename "$list")" in *nodeps*) nodeps=(--no-deps) ;; esac
    echo "build-image: downloading the wheels of $list with $pip_python"
    "$pip_python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: "${nodeps[@]}" \
      --dest "$work/rootfs/tmp/wheels" -r "$list" >"$work/pip-download.log" 2>&1 || { tail -n 30 "$work/pip-download.log" >&2; exit 1; }
    grep -vE '^\s*(#|$)' "$list" >"$work/rootfs/tmp/wheels/$(basename "$list").txt"
  done
fi
install -m 0755 "$recipe/setup.sh" "$work/rootfs/tmp/recipe-setup.sh"
mount -t proc proc "$work/rootfs/proc"
chroot "$work/rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  TESTBED_UID="$uid" TESTBED_GID="$gid" /bin/bash /tmp/recipe-setup.sh
umount "$work/rootfs/proc"
rm -rf "$work/rootfs/tmp/recipe-setup.sh" "$work/rootfs/tmp/wheels"
chroot "$work/rootfs" apt-get clean
rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin

changes=()
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  changes+=(--change "$line")
done <"$recipe/changes"
# The architecture as a label too: an image another architecture's build imports is known as such before its
# config is corrected (tests that watch the engine leave the arm64 build running beside them out).
changes+=(--change "LABEL org.gh200-sglang.testbed.recipe=$name" --change "LABEL org.gh200-sglang.testbed.hash=$hash"
  --change "LABEL org.gh200-sglang.testbed.arch=$arch")

tar -C "$work/rootfs" --numeric-owner -c . | docker import "${changes[@]}" - "$tag" >/dev/null
if [ "$arch" != "$native" ]; then
  # docker import records the engine's architecture; the image's config must say the tree's.
  imported=$(docker image inspect --format '{{.Id}}' "$tag")
  docker save "$tag" | python3 "$here/set-image-arch.py" "$arch" | docker load >/dev/null
  docker rmi "$imported" >/dev/null 2>&1 || true
fi
docker tag "$tag" "$testbed_tag"
docker tag "$tag" "$name:testbed-$arch"  # every image also by its architecture (the native one on an arm64 machine)
# Earlier builds of this recipe are untagged: every <name>:<hash> that no <name>:testbed* tag points at (each
# architecture keeps its own); an image a container still uses stays until that container goes.
keep=$(docker images "$name" --format '{{.Tag}} {{.ID}}' | awk '$1 ~ /^testbed(-[a-z0-9]+)?$/ {print $2}')
docker images "$name" --format '{{.Tag}} {{.ID}}' | while read -r t id; do
  case "$t" in testbed|testbed-*) continue ;; esac
  printf '%s\n' "$keep" | grep -qxF "$id" || docker rmi "$name:$t" >/dev/null 2>&1 || true
done
echo "build-image: built $tag"
