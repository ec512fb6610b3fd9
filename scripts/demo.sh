#!/usr/bin/env bash
# The main job: install everything, start a distcc-server on loopback, build a bundled sample C
# project through distcc-client with make, print where each file was compiled and the totals.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
node apps/client/demo/run-demo.mjs "$@"
