#!/usr/bin/env bash
# ansible-test sanity needs the collection under an ansible_collections/<ns>/<name> path: copy the
# files git knows about (tracked or new, not ignored) there and run it with this venv's Python.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# Outside this checkout: inside it, ansible-test would ask this repo's git and see an ignored dir. A folder of this
# run's own, so that two runs on one machine (a developer's beside a CI run) never delete each other's files.
work=$(mktemp -d "${TMPDIR:-/tmp}/gh200-sglang-sanity.XXXXXX")
trap 'rm -rf "$work"' EXIT
dest=$work/ansible_collections/gh200/sglang
mkdir -p "$dest"
(cd "$repo" && git ls-files -co --exclude-standard -z | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' \
  | tar --null -cf - -T -) | tar -xf - -C "$dest"
# `--requirements` fetches a pip bootstrap script from a host the build machines cannot reach, and
# hides the pip configuration (so the system CA bundle is not used). Provide that script: it
# bootstraps pip from the standard library and upgrades it from the package index.
pip_ver=$("$repo/.venv/bin/python" - <<'PY'
import pathlib, re, ansible_test
src = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
match = re.search(r"pip='([0-9.]+)'", src.read_text())
print(match.group(1) if match else "")
PY
)
if [ -n "$pip_ver" ]; then
  cache=${HOME}/.ansible/test/cache
  mkdir -p "$cache"
  cat >"$cache/get_pip_${pip_ver//./_}.py" <<'PY'
"""Local stand-in for ansible-test's pip bootstrap script (written by scripts/sanity.sh)."""
import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap()
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
cert = os.environ.get("GH200_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
extra = ["--cert", cert] if os.path.exists(cert) else []
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade"] + extra + args))
PY
fi

cd "$dest"
git init -q . && git add -A && git -c user.name=sanity -c user.email=sanity@localhost commit -qm sanity
pyver=$("$repo/.venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
"$repo/.venv/bin/ansible-test" sanity --venv --requirements --python "$pyver" --color no "$@"
