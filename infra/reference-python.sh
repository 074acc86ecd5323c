#!/usr/bin/env bash
# Builds (once) the Python virtualenv with the reference frameworks in infra/reference-python-requirements.txt
# and prints its directory. The venv is keyed by the requirements' content, so a changed pin builds a new
# one and every clone on this machine reuses the same copy (PyPI's torch brings about 3 GB of CUDA packages).
#   venv=$(bash infra/reference-python.sh) && "$venv/bin/python" bench/pytorch-peer.py
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=infra/reference-python-requirements.txt
cache="${AMTO_CACHE_DIR:-$HOME/.cache/amto}"
key=$(sha256sum "$requirements" | cut -c1-12)
venv="$cache/python/reference-$key"
if [ ! -f "$venv/.complete" ]; then
  python=$(command -v python3 || true)
  if [ -z "$python" ]; then
    echo "[reference-python] python3 is not installed; install it (apt-get install -y python3 python3-venv)" >&2
    exit 1
  fi
  echo "[reference-python] building $venv from $requirements (several GB from PyPI, once)" >&2
  start=$(date +%s)
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
  touch "$venv/.complete"
  echo "[reference-python] built in $(( $(date +%s) - start )) s" >&2
fi
echo "$venv"
