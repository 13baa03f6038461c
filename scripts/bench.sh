#!/bin/sh
# make bench: print hook and sync figures (see tests/bench/bench.c).
# BENCH_SCENES (default 5000) and BENCH_RUNS (default 200) tune it.
set -eu
BUILD=${1:-build}
exec "$BUILD/s2p-bench" "${BENCH_SCENES:-5000}" "${BENCH_RUNS:-200}"
