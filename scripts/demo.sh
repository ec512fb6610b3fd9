#!/usr/bin/env bash
# The main job: set everything up, then compile a file through a real distcc server on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
node packages/protocol/examples/compile-with-distccd.mjs "$@"
