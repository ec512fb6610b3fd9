#!/usr/bin/env bash
# Writes one npm tarball per publishable package into packs/ (gitignored), built fresh:
#
#   packs/x-distcc-server-<v>.tgz     the helper: self-contained (workspace code bundled), needs only
#                                     zod from the registry
#   packs/x-distcc-client-<v>.tgz     the client: self-contained, no dependencies at all
#   packs/x-distcc-protocol-<v>.tgz   the libraries, for embedders (the apps do not need them):
#   packs/x-distcc-hosts-<v>.tgz        each lists its third-party dependencies only
#   packs/x-distcc-toolchain-<v>.tgz
#   packs/x-distcc-scheduler-<v>.tgz
#   packs/x-distcc-includes-<v>.tgz
#
# A machine installs a role with scripts/install.sh (or `npm i -g` of the app's tarball alone).
# Usage: bash scripts/pack.sh [--no-build] [--out DIR]
#   --no-build: dist/ is already fresh (the tests: `pnpm test` builds first); --out: instead of packs/
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 TURBO_NO_UPDATE_NOTIFIER=1

build=1
out="$root/packs"
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0; shift ;;
    --out) out=$(mkdir -p "${2:?--out needs a directory}" && cd "$2" && pwd); shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "pack.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

packages=(packages/protocol packages/hosts packages/toolchain packages/scheduler packages/includes apps/client apps/server)

if [ "$build" = 1 ]; then
  # turbo rebuilds whatever changed since its last build (inputs are hashed, so this is fresh).
  pnpm build >/dev/null
fi

mkdir -p "$out"
rm -f "$out"/x-distcc-*.tgz
for dir in "${packages[@]}"; do
  [ -f "$dir/dist/index.js" ] || { echo "pack.sh: $dir/dist is missing; run without --no-build" >&2; exit 1; }
  # pnpm pack writes the real versions where package.json says workspace:*.
  (cd "$dir" && pnpm pack --pack-destination "$out" >/dev/null)
done

# The apps' tarballs must not name a workspace package as a dependency (they bundle them): a
# registry does not have them, so `npm i -g` of the tarball would fail.
for tgz in "$out"/x-distcc-client-*.tgz "$out"/x-distcc-server-*.tgz; do
  if tar -xOzf "$tgz" package/package.json | node -e '
    const pkg = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const bad = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies }).filter((n) => n.startsWith("@x/"));
    if (bad.length) { console.error(`${pkg.name} depends on ${bad.join(", ")}`); process.exit(0); }
    process.exit(1);'; then
    echo "pack.sh: $tgz names workspace packages as dependencies (bundle them: tsup noExternal)" >&2
    exit 1
  fi
done

ls -1 "$out"/x-distcc-*.tgz
