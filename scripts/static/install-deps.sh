#!/bin/sh
# Install what `make static` needs on Debian 12, on top of
# scripts/install-deps.sh: musl for x86_64, the ARM cross compilers (musl
# itself is built for them from Debian's source), dpkg-dev for apt-get source,
# tcl to generate SQLite's amalgamation, qemu-user-static for the empty-root
# tests of the ARM binaries and openssl for their TLS server. Kept apart so
# that plain `make test` stays light. `--check` only reports whether
# anything is missing (exit 1).
set -eu
PKGS="gcc make cmake dpkg-dev musl-tools tcl gcc-aarch64-linux-gnu
binutils-aarch64-linux-gnu gcc-arm-linux-gnueabihf binutils-arm-linux-gnueabihf
qemu-user-static ca-certificates openssl xz-utils bzip2"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "${1:-}" = "--check" ]; then
	echo "static: missing packages:$missing" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "static/install-deps: need root to install:$missing" >&2
	exit 1
fi
echo "static/install-deps: installing$missing" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
