#!/usr/bin/env bash
# Builds amto's graph-engine addon (native/graph-engine) against the TensorFlow C library in the cache,
# once per (addon source, TensorFlow build, Node ABI), and links it into this clone. Optional: without a
# compiler, Node headers or the library it says what is missing and exits 0; amto then trains on tfjs.
#   AMTO_TF_DIR   the TensorFlow C library (default: the one infra/native-tensorflow.ts put in the cache,
#                 tensorflow/tf-<version>-gpu on NVIDIA machines, else tensorflow/tf-<version>-cpu)
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${AMTO_CACHE_DIR:-$HOME/.cache/amto}"
version=$(node --import tsx -p "require('./ml/native-tensorflow-build').NATIVE_TENSORFLOW_VERSION")
tf_dir="${AMTO_TF_DIR:-}"
if [ -z "$tf_dir" ]; then
  tf_dir="$cache/tensorflow/tf-$version-cpu"
  [ -f "$cache/tensorflow/tf-$version-gpu/lib/libtensorflow.so" ] && tf_dir="$cache/tensorflow/tf-$version-gpu"
fi
link=native/graph-engine/amto_graph_engine.node

skip() {
  echo "[graph-engine] not built: $1; amto trains with the tfjs engine instead" >&2
  rm -f "$link"
  exit 0
}

[ -f "$tf_dir/lib/libtensorflow.so" ] && [ -f "$tf_dir/include/tensorflow/c/c_api.h" ] ||
  skip "no TensorFlow C library at $tf_dir (lib/libtensorflow.so, include/tensorflow/c/c_api.h); set AMTO_TF_DIR"
command -v g++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1 ||
  skip "g++ or make is missing (apt-get install -y g++ make)"
node_dir=""
for candidate in "${AMTO_NODE_DIR:-}" /usr /usr/local "$(dirname "$(dirname "$(command -v node)")")"; do
  if [ -n "$candidate" ] && [ -f "$candidate/include/node/node_api.h" ] && [ -f "$candidate/include/node/common.gypi" ]; then
    node_dir="$candidate"
    break
  fi
done
[ -n "$node_dir" ] || skip "no Node.js headers (include/node/node_api.h); install them (apt-get install -y libnode-dev) or set AMTO_NODE_DIR"
napi_include=$(node -p "require('path').resolve(require('node-addon-api').include_dir)" 2>/dev/null) ||
  skip "the npm package node-addon-api is missing (run npm ci)"
node_gyp="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$node_gyp" ] || skip "node-gyp (bundled with npm) is not at $node_gyp"

tf_lib_real=$(dirname "$(readlink -f "$tf_dir/lib/libtensorflow.so")")
source_key=$(cat native/graph-engine/binding.gyp native/graph-engine/graph-engine.cc | sha256sum | cut -c1-12)
abi=$(node -p 'process.versions.modules')
out="$cache/graph-engine/$(basename "$tf_dir")-node-abi$abi-$source_key"
if [ ! -f "$out/amto_graph_engine.node" ]; then
  echo "[graph-engine] building against $tf_dir (Node ABI $abi)" >&2
  start=$(date +%s)
  work=$(mktemp -d "$cache/graph-engine-build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  cp native/graph-engine/binding.gyp native/graph-engine/graph-engine.cc "$work/"
  if ! (cd "$work" && AMTO_TF_DIR="$tf_dir" AMTO_TF_LIB_REAL="$tf_lib_real" AMTO_NAPI_INCLUDE="$napi_include" \
    nice -n 10 node "$node_gyp" rebuild --nodedir="$node_dir" >"$work/build.log" 2>&1); then
    tail -20 "$work/build.log" >&2
    skip "the compile failed (log above)"
  fi
  mkdir -p "$out"
  cp "$work/build/Release/amto_graph_engine.node" "$out/amto_graph_engine.node.tmp"
  mv "$out/amto_graph_engine.node.tmp" "$out/amto_graph_engine.node"
  echo "[graph-engine] built in $(( $(date +%s) - start )) s" >&2
fi
ln -sfn "$out/amto_graph_engine.node" "$link"
