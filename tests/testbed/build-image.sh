#!/usr/bin/env bash
# Build one test-bed image offline: debootstrap (minbase) from the mirror apt already uses,
# apply the recipe, then `docker import`. STAND-IN images for tests only; never product defaults.
#
#   tests/testbed/build-image.sh <recipe-name> <uid> <gid>
#
# A recipe is tests/testbed/images/<name>/ with:
#   packages   Debian packages to include (one per line, # comments)
#   setup.sh   run inside the chroot as root with TESTBED_UID/TESTBED_GID set
#   rootfs/    files copied over the tree before setup.sh runs (optional)
#   changes    `docker import --change` lines (ENTRYPOINT, ENV, USER, LABEL ...)
#   wheels     pip requirements (optional), downloaded on this machine with its pip configuration (which
#              finds the CPU build of torch on local disk) by $GH200_PIP_PYTHON, and put in the chroot's
#              /tmp/wheels with the list as /tmp/wheels/requirements.txt for setup.sh to install offline
# The image is tagged <name>:<hash of recipe+uid+gid> and <name>:testbed; an unchanged recipe
# is not rebuilt.
set -euo pipefail

name=${1:?recipe name}
uid=${2:?uid}
gid=${3:?gid}
here=$(cd "$(dirname "$0")" && pwd)
recipe="$here/images/$name"
[ -d "$recipe" ] || { echo "build-image: no recipe at $recipe" >&2; exit 1; }

suite=${GH200_TESTBED_SUITE:-bookworm}
hash=$( (cd "$recipe" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; echo "uid=$uid gid=$gid suite=$suite") | sha256sum | cut -c1-12)
tag="$name:$hash"

if docker image inspect "$tag" >/dev/null 2>&1; then
  docker tag "$tag" "$name:testbed"
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

pkgs=$(grep -vE '^\s*(#|$)' "$recipe/packages" | tr -s ' \n' ',' | sed 's/,$//')
work=$(mktemp -d /var/tmp/gh200-testbed-XXXXXX)
trap 'umount -R "$work/rootfs/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
cache=/var/cache/gh200-testbed/debs
mkdir -p "$cache"

echo "build-image: debootstrap $suite from $mirror for $tag"
debootstrap --variant=minbase --cache-dir="$cache" --include="$pkgs" "$suite" "$work/rootfs" "$mirror" \
  >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

if [ -d "$recipe/rootfs" ]; then
  cp -a "$recipe/rootfs/." "$work/rootfs/"
fi
if [ -f "$recipe/wheels" ]; then
  pip_python=${GH200_PIP_PYTHON:-python3}
  echo "build-image: downloading the wheels of $recipe/wheels with $pip_python"
  mkdir -p "$work/rootfs/tmp/wheels"
  "$pip_python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: --dest "$work/rootfs/tmp/wheels" \
    -r "$recipe/wheels" >"$work/pip-download.log" 2>&1 || { tail -n 30 "$work/pip-download.log" >&2; exit 1; }
  grep -vE '^\s*(#|$)' "$recipe/wheels" >"$work/rootfs/tmp/wheels/requirements.txt"
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
changes+=(--change "LABEL org.gh200-sglang.testbed.recipe=$name" --change "LABEL org.gh200-sglang.testbed.hash=$hash")

tar -C "$work/rootfs" --numeric-owner -c . | docker import "${changes[@]}" - "$tag" >/dev/null
docker tag "$tag" "$name:testbed"
# Earlier builds of this recipe are untagged (an image a container still uses stays until that container goes).
docker images "$name" --format '{{.Repository}}:{{.Tag}}' \
  | grep -vxF -e "$tag" -e "$name:testbed" | xargs -r docker rmi >/dev/null 2>&1 || true
echo "build-image: built $tag"
