#!/usr/bin/env bash
# Runs inside the chroot. The host user `ubuntu` has the test bed's uid/gid, like a GH200's ubuntu user.
set -euo pipefail
getent group "$TESTBED_GID" >/dev/null || groupadd -g "$TESTBED_GID" ubuntu
useradd -m -u "$TESTBED_UID" -g "$TESTBED_GID" -s /bin/bash ubuntu
echo 'ubuntu ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/ubuntu
chmod 0440 /etc/sudoers.d/ubuntu
echo gh200-testhost >/etc/hostname
# The fleet operator (ops) a host is reached as over SSH: not root, with sudo, as on a real fleet (the simulated fleet's
# SSH hosts become the host user from it). No host keys in the image: each host makes its own as its sshd starts.
useradd -m -U -s /bin/bash ops
echo 'ops ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/ops
chmod 0440 /etc/sudoers.d/ops
rm -f /etc/ssh/ssh_host_*
