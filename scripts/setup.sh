#!/usr/bin/env bash
# Installs everything on a fresh Debian machine with Node 20: the Debian packages the tests and the
# demo use (real distcc peers, compilers, cross compilers, qemu-user), pnpm 12.4.2, the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 TURBO_NO_UPDATE_NOTIFIER=1 NO_COLOR=1
export NODE_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(distcc distcc-pump gcc g++ clang make binutils python3 python3-lzo lzop lz4 bubblewrap util-linux systemd
  iproute2 dbus avahi-daemon avahi-utils
  gcc-arm-linux-gnueabihf gcc-arm-linux-gnueabi gcc-aarch64-linux-gnu qemu-user binutils-multiarch)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The permission tests run their cases a second time as this user (root writes anywhere and hides
# permission bugs); packages/testkit/src/users.ts finds it.
if [ "$(id -u)" = 0 ] && ! id distcc-ci >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin distcc-ci
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "12.4.2" ]; then
  echo "setup: installing pnpm 12.4.2"
  $SUDO npm i -g pnpm@12.4.2 >/dev/null 2>&1
fi

pnpm install --frozen-lockfile
pnpm build
