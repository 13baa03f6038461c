#!/bin/sh
# ctest.sh - the ui/browser test: build the UI plugin and the harness with
# the pinned esbuild into <build dir>/ui, then run the browser tests
# (run.mjs) against the fakes and the binary of <build dir>.
# usage: ctest.sh <build dir>
# Exits 77 (ctest SKIP), loudly, when node, the npm packages or chromium
# are missing; scripts/install-deps.sh installs all of them.
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)

skip() {
	echo "" >&2
	echo "*** SKIP ui/browser: $*" >&2
	echo "*** run scripts/install-deps.sh (apt chromium, npm ci in ui/)" >&2
	exit 77
}
command -v node >/dev/null 2>&1 || skip "node is not installed"
if [ ! -f "$here/node_modules/.package-lock.json" ]; then
	command -v npm >/dev/null 2>&1 || skip "npm is not installed"
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) ||
		skip "npm ci in ui/ failed"
fi
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] ||
	skip "no chromium at ${CHROMIUM:-/usr/bin/chromium}"
node "$here/build.mjs" --out "$build/ui" --harness
exec node "$here/test/run.mjs" "$build" "$build/ui"
