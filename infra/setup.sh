#!/usr/bin/env bash
# Installs everything the demo and the tests need, once; fast when all is already there.
#   - Debian packages: the Fashion-MNIST data set and Chromium (for the web-UI test)
#   - npm packages (npm ci when node_modules is missing or older than package-lock.json)
#   - the Temporal CLI and MinIO server binaries (PATH, else `go install` of pinned versions into the cache)
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -d /usr/share/datasets/fashion-mnist ] || need_apt+=(dataset-fashion-mnist)
if [ "${AMTO_SKIP_CHROMIUM:-0}" != "1" ] && ! command -v chromium >/dev/null 2>&1; then need_apt+=(chromium); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "[setup] installing Debian packages: ${need_apt[*]}"
  sudo_cmd=""
  [ "$(id -u)" = "0" ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] installing npm packages (npm ci)"
  start=$(date +%s)
  npm ci --no-audit --no-fund
  echo "[setup] npm ci took $(( $(date +%s) - start )) s"
fi

node --import tsx infra/install-servers.ts
