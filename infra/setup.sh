#!/usr/bin/env bash
# Installs everything the demo and the tests need, once; fast when all is already there.
#   - Debian packages: the Fashion-MNIST data set, Chromium (for the web-UI test), HAProxy and OpenSSL
#     (the security tests' TLS-terminating proxy and certificates)
#   - npm packages (npm ci when node_modules is missing or older than package-lock.json)
#   - the Temporal CLI and MinIO server binaries (PATH, else `go install` of pinned versions into the cache)
#   - native TensorFlow: the PyPI wheel's C library and tfjs-node's addon built against it, once into the
#     cache, linked into node_modules (infra/native-tensorflow.ts; AMTO_NATIVE_TF=0 skips, AMTO_GPU=1 forces GPU)
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -d /usr/share/datasets/fashion-mnist ] || need_apt+=(dataset-fashion-mnist)
if [ "${AMTO_SKIP_CHROMIUM:-0}" != "1" ] && ! command -v chromium >/dev/null 2>&1; then need_apt+=(chromium); fi
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need_apt+=(haproxy)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
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
  # Without scripts: tfjs-node's install script would download libtensorflow 2.9.1 from Google's storage,
  # which this network (and many clusters) refuses; infra/native-tensorflow.ts builds it from PyPI instead.
  npm ci --no-audit --no-fund --ignore-scripts
  with_scripts=$(node -e '
    const lock = require("./package-lock.json");
    const names = Object.entries(lock.packages)
      .filter(([path, entry]) => entry.hasInstallScript && !/@tensorflow\/tfjs-node/.test(path))
      .map(([path]) => path.replace(/^.*node_modules\//, ""));
    console.log([...new Set(names)].join(" "));')
  [ -z "$with_scripts" ] || npm rebuild --foreground-scripts=false $with_scripts >/dev/null
  echo "[setup] npm ci took $(( $(date +%s) - start )) s"
fi

node --import tsx infra/install-servers.ts
node --import tsx infra/native-tensorflow.ts
bash infra/build-graph-engine.sh
