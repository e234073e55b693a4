# shellcheck shell=sh
# STAND-IN image: login shells (INIT_RUN_HOOK runs under `bash -lc`) keep the dev venv first on PATH.
export VIRTUAL_ENV=/opt/sglang-venv
case ":$PATH:" in *":/opt/sglang-venv/bin:"*) ;; *) export PATH="/opt/sglang-venv/bin:$PATH" ;; esac
