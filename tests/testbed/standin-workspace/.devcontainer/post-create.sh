#!/usr/bin/env bash
# STAND-IN post-create hook (run by the entrypoint as devuser through INIT_RUN_HOOK): editable
# install of the workspace. Offline in the test bed, hence --no-index --no-build-isolation.
set -euo pipefail
python -m pip install --quiet --no-index --no-build-isolation -e /workspaces/sglang/python
echo "post-create: sglang imports from $(python -c 'import sglang; print(sglang.__file__)')"
