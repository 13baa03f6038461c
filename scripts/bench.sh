#!/bin/sh
# make bench: figures at 1,000 / 10,000 / 100,000 scenes with the floor
# beside each (tests/bench/bench.c), written to bench/results/<date>.json,
# then what the package's launcher adds to a hook (tests/bench/launcher.c,
# with the static x86_64 binary when `make static` built one), then the UI
# status operation on a 100k database; the total wall time last. Under 15
# minutes on a 2-core machine with the defaults (docs/performance.md).
#   BENCH_SIZES        comma-separated library sizes (default 1000,10000,100000)
#   BENCH_REPEATS      runs per size up to 1,000 scenes (default 5);
#   BENCH_REPEATS_MID  up to 10,000 (default 2); BENCH_REPEATS_LARGE above (1)
#   BENCH_RUNS         hook rounds per run up to 10,000 scenes (default 20);
#   BENCH_HOOK_ROUNDS_LARGE  above (default 200: the +-10 % comparison)
#   BENCH_LATENCY_MAX  largest size for the 5 ms first sync (default 10000)
#   BENCH_LATENCY_REPEATS / _MID  5 ms first syncs up to 1,000 scenes (3) /
#                      up to BENCH_LATENCY_MAX (1)
#   BENCH_LAUNCHER_RUNS  launcher hook runs (default 100)
#   BENCH_UI_SCENES    the UI status database size (default 100000)
#   BENCH_ONLY=index   only the path index figures (no launcher, no UI)
#   STASH2PLEX_BATCH   the worker's batch size
#   BENCH_CONCURRENCY  plex_concurrency for the runs (default 4)
set -eu
BUILD=${1:-build}
t0=$(date +%s)
mkdir -p bench/results
out=bench/results/$(date -u +%Y-%m-%dT%H%M%SZ).json
echo "load: $(uptime)"
"$BUILD/s2p-bench" "${BENCH_SIZES:-1000,10000,100000}" \
    "${BENCH_RUNS:-20}" "$out"
if [ "${BENCH_ONLY:-}" != index ]; then
	bin=$BUILD/stash2plex
	[ -x build/static/x86_64/stash2plex ] && bin=build/static/x86_64/stash2plex
	echo
	"$BUILD/s2p-bench-launcher" "$bin" "${BENCH_LAUNCHER_RUNS:-100}"
	echo
	# The Stash UI's status operation on a 100k-scene database (budget 50 ms).
	"$BUILD/s2p-bench-uistatus" "${BENCH_UI_SCENES:-100000}" 30
fi
echo
echo "load: $(uptime)"
echo "make bench: total wall time $(($(date +%s) - t0)) s"
