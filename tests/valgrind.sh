#!/bin/sh
# valgrind.sh - the `valgrind` ctest label: run one test binary with every
# process it starts under valgrind's memcheck. A unit test runs under it
# directly; an integration test (--integ) runs as usual and the harness
# wraps every plugin run (S2P_VALGRIND, tests/integ/harness.c), forked
# background workers included. Fails when a run exits non-zero or any
# process left a report (an error or a definite leak).
#   valgrind.sh [--integ] <test binary> [args...]
set -u
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed (scripts/install-deps.sh installs it)"; exit 77; }
integ=0
if [ "${1:-}" = "--integ" ]; then integ=1; shift; fi
dir=$(mktemp -d /tmp/s2p-valgrind-XXXXXX) || exit 1
if [ $integ = 1 ]; then
	S2P_VALGRIND=$dir "$@"
	rc=$?
else
	valgrind --quiet --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	    --log-file="$dir/vg.%p.log" "$@"
	rc=$?
fi
runs=$(ls "$dir" | grep -c '^vg\.' || true)
bad=0
for f in "$dir"/vg.*.log; do
	[ -s "$f" ] || continue
	echo "valgrind report $f:"; cat "$f"
	bad=$((bad + 1))
done
echo "valgrind: $runs process(es) checked, $bad with a report, exit $rc"
rm -rf "$dir"
[ $rc = 0 ] && [ $bad = 0 ]
