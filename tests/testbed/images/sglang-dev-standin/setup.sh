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
if [ -f /tmp/wheels/requirements.txt ]; then
  /opt/sglang-venv/bin/pip install --no-index --find-links /tmp/wheels --quiet -r /tmp/wheels/requirements.txt
fi
rm -rf /sgl-workspace/python/build /sgl-workspace/python/*.egg-info
chown -R "$TESTBED_UID:$TESTBED_GID" /opt/sglang-venv
mkdir -p /workspaces /models /profiles /telemetry
chmod 0755 /usr/local/bin/init-run.sh /usr/local/bin/standin-stage
