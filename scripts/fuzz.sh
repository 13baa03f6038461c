#!/bin/sh
# Build the libFuzzer targets with clang in BUILD_DIR and run each for
# SECONDS on its corpus (tests/fuzz/<target>/corpus/). New inputs go to
# BUILD_DIR/fuzz-work/<target>; a crash is copied into the target's corpus
# as crash-<hash> (make test then replays it) and the script fails.
#   scripts/fuzz.sh BUILD_DIR SECONDS TARGET...
set -eu
build=$1
secs=$2
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)
CC=clang cmake -S "$src" -B "$build" -DS2P_FUZZ=ON -DS2P_TESTS=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
for t in "$@"; do
	cmake --build "$build" --target "fuzz-$t" -j"${JOBS:-2}" >/dev/null
done
status=0
for t in "$@"; do
	work="$build/fuzz-work/$t"
	arts="$build/fuzz-artifacts/$t"
	mkdir -p "$work" "$arts"
	echo "fuzz: $t for ${secs}s"
	if ! "$build/fuzz-$t" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$arts/" "$work" \
		"$src/tests/fuzz/$t/corpus" >"$build/fuzz-$t.log" 2>&1; then
		status=1
		echo "fuzz: $t FOUND A CRASH (see $build/fuzz-$t.log)" >&2
		for f in "$arts"/*; do
			[ -f "$f" ] || continue
			cp "$f" "$src/tests/fuzz/$t/corpus/$(basename "$f")"
			echo "fuzz: reproducer tests/fuzz/$t/corpus/$(basename "$f")" >&2
		done
	fi
	grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec|^Done [0-9]+ runs' \
		"$build/fuzz-$t.log" | sed "s/^/fuzz: $t: /" || true
done
exit $status
