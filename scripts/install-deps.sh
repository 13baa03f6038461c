#!/bin/sh
# Install the Debian packages the build, the tests and the demo need.
# `install-deps.sh --check` only reports whether anything is missing (exit 1).
set -eu
PKGS="gcc make cmake pkg-config libcurl4-openssl-dev libsqlite3-dev
libjansson-dev libutf8proc-dev libmicrohttpd-dev libcmocka-dev curl ca-certificates openssl musl-tools
clang-format zip zlib1g-dev valgrind
prometheus chromium"
# prometheus: only for promtool, which checks the daemon endpoint's
# /metrics in tests/integ/test_daemon.c (the server is never started).
# chromium: the Stash UI plugin's browser tests (ui/test/run.mjs).
# valgrind: `make valgrind` (the ctest label).
# `--fuzz`: only what `make fuzz` needs on top (clang and its libFuzzer
# runtime); plain builds and `make test` never need them.
if [ "${1:-}" = "--fuzz" ]; then
	PKGS="$PKGS clang libclang-rt-14-dev"
	shift
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
# node + npm run the GraphQL schema test (graphql-js), build the Stash UI
# plugin (esbuild) and drive chromium in its browser tests (playwright-core)
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
top=$(cd "$(dirname "$0")/.." && pwd)
# The UI's pinned npm packages (ui/package-lock.json), once apt is done.
ui_deps() {
	if [ ! -f "$top/ui/node_modules/.package-lock.json" ] ||
		[ "$top/ui/package-lock.json" -nt "$top/ui/node_modules/.package-lock.json" ]; then
		if [ "${1:-}" = "--check" ]; then
			echo "missing: ui/node_modules (npm ci in ui/)" >&2
			exit 1
		fi
		echo "install-deps: npm ci in ui/" >&2
		(cd "$top/ui" && npm ci --no-audit --no-fund --loglevel=error)
	fi
}
if [ -z "$missing" ]; then
	ui_deps "${1:-}"
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	echo "missing packages:$missing" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: need root to install:$missing" >&2
	echo "run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "install-deps: installing$missing" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
ui_deps
