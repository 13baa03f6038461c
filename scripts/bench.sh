#!/bin/sh
# make bench: print hook and sync figures (see tests/bench/bench.c), then
# what the package's launcher adds to a hook (tests/bench/launcher.c, with
# the static x86_64 binary when `make static` built one).
# BENCH_SCENES (default 5000) and BENCH_RUNS (default 200) tune it.
set -eu
BUILD=${1:-build}
# The static x86_64 binary of `make static`, when built, is measured in the
# same rounds; then what the package's launcher adds to a hook.
"$BUILD/s2p-bench" "${BENCH_SCENES:-5000}" "${BENCH_RUNS:-200}" \
    "${STATIC_BIN:-build/static/x86_64/stash2plex}"
bin=$BUILD/stash2plex
[ -x build/static/x86_64/stash2plex ] && bin=build/static/x86_64/stash2plex
echo
exec "$BUILD/s2p-bench-launcher" "$bin" "${BENCH_RUNS:-200}"
