#!/bin/sh
# make bench: figures at 1,000 / 10,000 / 100,000 scenes with the floor
# beside each (tests/bench/bench.c), written to bench/results/<date>.json,
# then what the package's launcher adds to a hook (tests/bench/launcher.c,
# with the static x86_64 binary when `make static` built one).
#   BENCH_SIZES   comma-separated library sizes (default 1000,10000,100000)
#   BENCH_REPEATS runs per size up to 10,000 scenes (default 3);
#                 BENCH_REPEATS_LARGE above that (default 1)
#   BENCH_RUNS    hook runs per median (default 40)
#   BENCH_LATENCY_MAX  largest size for the 5 ms first sync (default 10000)
#   STASH2PLEX_BATCH   the worker's batch size (default 100)
#   BENCH_CONCURRENCY  plex_concurrency for the runs (default 4)
set -eu
BUILD=${1:-build}
mkdir -p bench/results
out=bench/results/$(date -u +%Y-%m-%dT%H%M%SZ).json
"$BUILD/s2p-bench" "${BENCH_SIZES:-1000,10000,100000}" \
    "${BENCH_REPEATS:-3}" "${BENCH_RUNS:-40}" "$out"
bin=$BUILD/stash2plex
[ -x build/static/x86_64/stash2plex ] && bin=build/static/x86_64/stash2plex
echo
"$BUILD/s2p-bench-launcher" "$bin" "${BENCH_RUNS:-200}"
echo
# The Stash UI's status operation on a 100k-scene database (budget 50 ms).
exec "$BUILD/s2p-bench-uistatus" "${BENCH_UI_SCENES:-100000}" 30
