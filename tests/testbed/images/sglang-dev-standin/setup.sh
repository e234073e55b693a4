#!/usr/bin/env bash
# Runs inside the chroot: devuser with the host user's uid/gid, a venv devuser owns (so devuser can
# pip-install into it, as in the real dev image), and the miniature `sglang` baked in NON-editably
# from /sgl-workspace (the state that caused the editable-install regression of seed 001).
set -euo pipefail
getent group "$TESTBED_GID" >/dev/null || groupadd -g "$TESTBED_GID" devuser
useradd -m -u "$TESTBED_UID" -g "$TESTBED_GID" -s /bin/bash devuser
python3 -m venv --system-site-packages /opt/sglang-venv
/opt/sglang-venv/bin/pip install --no-index --find-links /usr/share/python-wheels --quiet wheel
/opt/sglang-venv/bin/pip install --no-index --no-build-isolation --quiet /sgl-workspace/python
# torch (CPU) for the STAND-IN kernel-cache stages, from the wheels build-image.sh downloaded (this machine's
# architecture only: an image for another one, such as arm64, goes without them and without the stages).
if [ -f /tmp/wheels/wheels.txt ]; then
  /opt/sglang-venv/bin/pip install --no-index --find-links /tmp/wheels --quiet -r /tmp/wheels/wheels.txt
fi
# The real SGLang from PyPI (its argument parser and metric collectors, no GPU dependencies) in a venv of its own,
# /opt/sglang-real, for the STAND-IN server and the role's parser probe; torch comes from the dev venv through a
# .pth file placed after the venv's own packages, so `import sglang` there finds the real package first.
if [ -f /tmp/wheels/wheels-sglang-nodeps.txt ]; then
  python3 -m venv /opt/sglang-real
  /opt/sglang-real/bin/pip install --no-index --find-links /tmp/wheels --quiet -r /tmp/wheels/wheels-sglang.txt
  /opt/sglang-real/bin/pip install --no-index --find-links /tmp/wheels --no-deps --quiet -r /tmp/wheels/wheels-sglang-nodeps.txt
  site=$(/opt/sglang-real/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  dev=$(/opt/sglang-venv/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$dev" >"$site/zz-dev-venv-torch.pth"
  /opt/sglang-real/bin/python3 -c 'import sglang.srt.server_args, sglang.srt.metrics.collector'
  sed -i '1s|.*|#!/opt/sglang-real/bin/python3 -I|' /usr/local/bin/standin-sglang-server
  chmod 0755 /usr/local/bin/standin-sglang-server /usr/local/bin/standin-sglang-python
fi
rm -rf /sgl-workspace/python/build /sgl-workspace/python/*.egg-info
chown -R "$TESTBED_UID:$TESTBED_GID" /opt/sglang-venv
mkdir -p /workspaces /models /profiles /telemetry
chmod 0755 /usr/local/bin/init-run.sh /usr/local/bin/standin-stage
