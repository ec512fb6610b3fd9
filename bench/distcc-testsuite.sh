#!/bin/bash
# Runs distcc 3.4's own test suite (test/testdistcc.py, unchanged) against a pairing of clients and
# servers: real distcc and distccd (Debian's, in /usr/bin) or ours (apps/*/dist/cli.js).
#
#   bench/distcc-testsuite.sh DISTCC_SOURCE_TREE [PAIRING...] [-- TEST_NAME...]
#
# PAIRING is CLIENT-SERVER with each side `real` or `ours`: real-real (the baseline), real-ours,
# ours-real, ours-ours; default all four. The source tree is a checkout of distcc 3.4 (not part of
# this repository); its test helpers (h_strip, h_scanargs, ...) are built there first if missing,
# which needs autoconf, automake, gcc and make. The suite runs as the unprivileged user distcc-ci
# (as distcc's suite expects; root hides permission bugs) with PATH = a directory holding `distcc`,
# `distccd` and the helpers, then distcc's RESTRICTED_PATH. Per pairing it prints the pass count and
# leaves the full output in $OUT (default /tmp/distcc-testsuite/PAIRING.log).
# Needs `pnpm build` first. Not a CI test: the suite takes minutes and measures, it does not gate.
set -euo pipefail

src=$(realpath "${1:?usage: $0 DISTCC_SOURCE_TREE [real-real|real-ours|ours-real|ours-ours...] [-- TEST...]}")
shift
pairings=()
while [[ $# -gt 0 && "$1" != "--" ]]; do pairings+=("$1"); shift; done
[[ "${1:-}" == "--" ]] && shift
tests=("$@")
[[ ${#pairings[@]} -gt 0 ]] || pairings=(real-real real-ours ours-real ours-ours)

repo=$(cd "$(dirname "$0")/.." && pwd)
user=${DISTCC_TESTSUITE_USER:-distcc-ci}
out=${OUT:-/tmp/distcc-testsuite}
helpers=(h_argvtostr h_exten h_fix_debug_info h_hosts h_issource h_parsemask h_sa2str h_scanargs h_strip h_dotd h_compile h_getline lsdistcc)

[[ -f "$src/test/testdistcc.py" ]] || { echo "$src has no test/testdistcc.py: not a distcc source tree" >&2; exit 2; }
id "$user" >/dev/null || { echo "no user $user (scripts/setup.sh creates it)" >&2; exit 2; }
for bin in apps/client/dist/cli.js apps/server/dist/cli.js; do
  [[ -f "$repo/$bin" ]] || { echo "$repo/$bin missing: run pnpm build" >&2; exit 2; }
done

if [[ ! -x "$src/h_strip" ]]; then
  echo "building distcc's test helpers in $src" >&2
  (cd "$src" && { [[ -x configure ]] || ./autogen.sh; } &&
    { [[ -f Makefile ]] || ./configure --disable-pump-mode --without-libiberty --without-avahi --without-gtk --without-gnome --disable-Werror; } &&
    make -j2 "${helpers[@]}") >"$out.build.log" 2>&1 || { echo "build failed: see $out.build.log" >&2; exit 2; }
fi

mkdir -p "$out"
chmod 0755 "$out"
for pairing in "${pairings[@]}"; do
  client=${pairing%-*} server=${pairing#*-}
  work=$(mktemp -d /tmp/distcc-testsuite-XXXXXX)
  mkdir "$work/bin" "$work/home"
  for h in "${helpers[@]}"; do ln -s "$src/$h" "$work/bin/$h"; done
  # Our bins are symlinks named as distcc's: the client decides its mode by the name it is called by.
  case $client in
    real) ln -s /usr/bin/distcc "$work/bin/distcc" ;;
    ours) ln -s "$repo/apps/client/dist/cli.js" "$work/bin/distcc" ;;
    *) echo "bad pairing $pairing" >&2; exit 2 ;;
  esac
  case $server in
    real) ln -s /usr/bin/distccd "$work/bin/distccd" ;;
    ours) ln -s "$repo/apps/server/dist/cli.js" "$work/bin/distccd" ;;
    *) echo "bad pairing $pairing" >&2; exit 2 ;;
  esac
  ln -s "$(command -v node)" "$work/bin/node"
  cp "$src/test/testdistcc.py" "$src/test/comfychair.py" "$work/"
  chown -R "$user:" "$work"
  chmod -R a+rX "$work"
  log="$out/$pairing.log"
  # The suite prints one line per test, "NAME    OK" or "NAME    FAIL", then the failures' detail.
  (cd "$work" && timeout 1800 setpriv --reuid="$user" --regid="$user" --init-groups \
    env -i HOME="$work/home" USER="$user" LANG=C.UTF-8 PATH="$work/bin:/usr/local/bin:/bin:/usr/bin" \
    python3 testdistcc.py "${tests[@]}") >"$log" 2>&1 || true
  passed=$(grep -cE '^[A-Za-z0-9_]+ +OK$' "$log" || true)
  notrun=$(grep -cE '^[A-Za-z0-9_]+ +NOTRUN' "$log" || true)
  failed=$(grep -E '^[A-Za-z0-9_]+ +FAIL' "$log" | awk '{print $1}' | tr '\n' ' ' || true)
  echo "$pairing: $passed passed, $(wc -w <<<"$failed") failed, $notrun not run${failed:+; failed: $failed}  ($log)"
  # Daemons the suite left behind (each has a --lifetime) and our client's agents, by process id:
  # only this run's, whose command line or environment (the agents' DISTCC_DIR) names its directory.
  for pid in $(pgrep -u "$user" || true); do
    if tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$work/" ||
      tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qF "$work/"; then
      kill "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
done
