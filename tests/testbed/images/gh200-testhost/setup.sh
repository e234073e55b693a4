#!/usr/bin/env bash
# Runs inside the chroot. The host user `ubuntu` has the test bed's uid/gid, like a GH200's ubuntu user.
set -euo pipefail
getent group "$TESTBED_GID" >/dev/null || groupadd -g "$TESTBED_GID" ubuntu
useradd -m -u "$TESTBED_UID" -g "$TESTBED_GID" -s /bin/bash ubuntu
echo 'ubuntu ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/ubuntu
chmod 0440 /etc/sudoers.d/ubuntu
echo gh200-testhost >/etc/hostname
