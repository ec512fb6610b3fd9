#!/usr/bin/env bash
# Installs one role of distcc-ts on a Debian-like machine from the npm tarballs that
# `bash scripts/pack.sh` writes (the machine needs only this script and the tarballs):
#
#   bash install.sh server [--cross LIST] [--no-service] [--from DIR] [--prefix DIR] [SETTINGS...]
#       gcc/g++ (and with --cross aarch64,armhf,armel the Debian cross compilers), the server's
#       tarball, and (where systemd runs) the service: /etc/systemd/system/distcc-server.service
#       plus /etc/distcc-server.json seeded from SETTINGS (server flags: --allow 192.168.1.0/24 ...).
#       Then: systemctl enable --now distcc-server
#   bash install.sh client [--from DIR] [--prefix DIR]
#       the client's tarball only (no dependencies; its native launcher is built later by
#       `distcc-client links` with the C compiler the machine builds with).
#
# Tarballs: --from DIR, else $DISTCC_PACKS, else the script's folder, its packs/ or ../packs
# (a checkout after `bash scripts/pack.sh`). --prefix DIR: npm's global prefix (default npm's own:
# /usr for Debian's and NodeSource's node, /usr/local for the nodejs.org tarballs).
# Needs Node 20.18.1 or newer with npm; prints how to get it when missing or too old.
set -euo pipefail

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

role="${1:-}"
case "$role" in
  client|server) shift ;;
  -h|--help|"") sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; [ -n "$role" ]; exit $? ;;
  *) die "unknown role \"$role\": use client or server (see --help)" ;;
esac

from="${DISTCC_PACKS:-}"
prefix=""
cross=""
service=1
settings=()
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from="${2:?--from needs a directory}"; shift 2 ;;
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --cross) cross="${2:?--cross needs a list, e.g. aarch64,armhf}"; shift 2 ;;
    --no-service) service=0; shift ;;
    *)
      [ "$role" = server ] || die "unknown option $1 (see --help)"
      settings+=("$1"); shift ;;
  esac
done

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

# --- Node 20 -----------------------------------------------------------------------------------
node_fix() {
  local arch candidate
  arch=$(uname -m)
  echo "Install Node 20 (20.18.1 or newer) with npm, then run this again:"
  if [ "$arch" = armv6l ]; then
    # Pi Zero / Pi 1: no distribution or NodeSource package runs on ARMv6; the Node project's
    # unofficial builds do.
    cat <<'FIX'
  # ARMv6 (Pi Zero, Pi 1): the newest v20 from unofficial-builds.nodejs.org, into /usr/local
  V=$(curl -fsSL https://unofficial-builds.nodejs.org/download/release/index.json | tr '{' '\n' | grep '"v20\.' | grep -m1 linux-armv6l | grep -o '"v20\.[0-9.]*"' | tr -d '"')
  curl -fsSL "https://unofficial-builds.nodejs.org/download/release/$V/node-$V-linux-armv6l.tar.xz" | sudo tar -xJ -C /usr/local --strip-components=1
FIX
    return
  fi
  candidate=$(apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: *\([0-9]*\).*/\1/p' || true)
  if [ -n "$candidate" ] && [ "$candidate" -ge 20 ] 2>/dev/null; then
    echo "  sudo apt-get install -y nodejs npm          # this distribution has Node $candidate"
  else
    cat <<'FIX'
  # NodeSource's Node 20 packages (amd64, arm64, armhf), for Debian 12 / Raspberry Pi OS 12 / Ubuntu:
  curl -fsSL https://deb.nodesource.com/setup_20.x | sudo -E bash - && sudo apt-get install -y nodejs
FIX
  fi
}

if ! command -v node >/dev/null; then
  node_fix >&2
  die "node is not installed"
fi
if ! node -e 'const [a,b,c]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&(b>18||(b===18&&c>=1)))?0:1)'; then
  node_fix >&2
  die "node $(node --version) is too old"
fi
command -v npm >/dev/null || { node_fix >&2; die "npm is missing (Debian packages it apart: sudo apt-get install -y npm)"; }

# --- the tarball ---------------------------------------------------------------------------------
here=$(cd "$(dirname "$0")" && pwd)
dirs=()
if [ -n "$from" ]; then dirs=("$from"); else dirs=("$here" "$here/packs" "$here/../packs"); fi
tarball=""
for d in "${dirs[@]}"; do
  found=$(ls -1 "$d"/x-distcc-"$role"-*.tgz 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$found" ]; then tarball="$(cd "$(dirname "$found")" && pwd)/$(basename "$found")"; break; fi
done
[ -n "$tarball" ] || die "no x-distcc-$role-*.tgz in ${dirs[*]}: make them in a checkout with \`bash scripts/pack.sh\` and copy packs/ (or pass --from DIR)"

# --- compilers (server) ----------------------------------------------------------------------------
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  command -v apt-get >/dev/null || die "not a Debian-like system: install ${missing[*]} yourself, then run this again"
  say "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

if [ "$role" = server ]; then
  packages=(gcc g++)
  IFS=',' read -r -a wanted <<<"$cross"
  for a in "${wanted[@]}"; do
    case "$a" in
      "") ;;
      aarch64|arm64) packages+=(gcc-aarch64-linux-gnu g++-aarch64-linux-gnu) ;;
      armhf) packages+=(gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf) ;;
      armel) packages+=(gcc-arm-linux-gnueabi g++-arm-linux-gnueabi) ;;
      riscv64) packages+=(gcc-riscv64-linux-gnu g++-riscv64-linux-gnu) ;;
      x86_64|amd64) packages+=(gcc-x86-64-linux-gnu g++-x86-64-linux-gnu) ;;
      *) die "--cross $a: known are aarch64, armhf (Pi 2 and newer, 32-bit), armel (Pi Zero/1), riscv64, x86_64" ;;
    esac
  done
  apt_install "${packages[@]}"
elif ! command -v cc >/dev/null && ! command -v gcc >/dev/null && ! command -v clang >/dev/null; then
  say "note: no C compiler here; \`distcc-client links\` needs one (sudo apt-get install -y gcc)"
fi

# --- npm -------------------------------------------------------------------------------------------
npm_args=(install --global --no-audit --no-fund)
[ -n "$prefix" ] && npm_args+=(--prefix "$prefix")
npm_sudo="$SUDO"
[ -n "$prefix" ] && [ -w "$(dirname "$prefix")" ] && npm_sudo=""
say "npm ${npm_args[*]} $tarball"
$npm_sudo npm "${npm_args[@]}" "$tarball" >/dev/null
bin_dir=$(if [ -n "$prefix" ]; then echo "$prefix/bin"; else npm prefix -g 2>/dev/null | sed 's|$|/bin|'; fi)
bin="$bin_dir/distcc-$role"
[ -x "$bin" ] || die "npm finished but $bin is missing"
say "installed $("$bin" --version)"

if [ "$role" = client ]; then
  say "next: distcc-client links ~/.distcc/bin   (compiler links + native launcher), then export DISTCC_HOSTS=..."
  exit 0
fi

if [ "$service" = 1 ] && [ -d /run/systemd/system ]; then
  $SUDO "$bin" service install "${settings[@]}"
else
  [ "$service" = 1 ] && say "systemd is not running here: start the server yourself"
  say "start: distcc-server ${settings[*]:-}"
fi
