#!/usr/bin/env bash
# A STAND-IN image shaped like the upstream SGLang image (lmsysorg/sglang), for tests only: derived from the test
# bed's sglang-dev-standin:testbed with what the upstream image does not have taken away. It runs as root, has no
# entrypoint and a `sleep infinity` command (so nothing runs Prometheus, the node exporter or an INIT_RUN_HOOK, and
# nothing logs a ready line), no devuser (the venv and everything else root's), and no /profiles scaffolding. The
# stand-in stage commands, server and parser stay: they are the test bed's GPU-less SGLang, as in the dev stand-in.
#
#   tests/testbed/upstream-image.sh
#
# Tagged sglang-upstream-standin:<hash of this script and the base image id> and sglang-upstream-standin:testbed;
# an unchanged base is not derived again. Needs nothing but the engine (no network: the container has none).
set -euo pipefail

base=sglang-dev-standin:testbed
name=sglang-upstream-standin
base_id=$(docker image inspect --format '{{.Id}}' "$base") || {
  echo "upstream-image: $base is missing; scripts/setup.sh builds it" >&2
  exit 1
}
hash=$( (cat "$0"; echo "$base_id") | sha256sum | cut -c1-12)
tag="$name:$hash"
if docker image inspect "$tag" >/dev/null 2>&1; then
  docker tag "$tag" "$name:testbed"
  echo "upstream-image: $tag is up to date"
  exit 0
fi

work="gh200-upstream-image-$$"
trap 'docker rm -f "$work" >/dev/null 2>&1 || true' EXIT
docker run --name "$work" --network none --user root --entrypoint "" "$base" /bin/sh -c '
  set -e
  userdel -r devuser 2>/dev/null || userdel devuser
  getent group devuser >/dev/null && groupdel devuser || true
  chown -R root:root /opt/sglang-venv
  rm -rf /profiles/* /etc/gh200-devimage /usr/local/bin/init-run.sh
'
# --entrypoint "" above leaves the container, and so the image, with none (a commit's ENTRYPOINT [] does not clear it).
docker commit \
  --change 'CMD ["sleep", "infinity"]' \
  --change 'USER root' \
  --change 'WORKDIR /sgl-workspace' \
  --change 'LABEL org.gh200-sglang.testbed.standin=sglang-upstream' \
  "$work" "$tag" >/dev/null
docker tag "$tag" "$name:testbed"
echo "upstream-image: built $tag"
