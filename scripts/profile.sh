#!/bin/sh
# Profile the worker's hot paths with callgrind (instruction counts, so runs
# repeat exactly): a library of N scenes against the fakes, a first sync,
# then an unchanged re-sync (Sync All + Process Queue) under
#   valgrind --tool=callgrind
# The profile lands in bench/profile/callgrind.out.<phase>; the top
# functions are printed with callgrind_annotate.
#   usage: scripts/profile.sh [BUILD] [SCENES] [PHASE]
#   PHASE: resync (default), first (the first sync itself), all (the
#   Sync All task that queues every scene) or index (a full path index
#   build of N items: the client's s2p_indexer_full in
#   callgrind.out.index.client, the fake Plex's route_request, what serves
#   the pages, in callgrind.out.index.fake)
set -eu
BUILD=${1:-build}
N=${2:-10000}
PHASE=${3:-resync}
OUT=$(pwd)/bench/profile
mkdir -p "$OUT"
if [ "$PHASE" = index ]; then
	rm -f "$OUT"/callgrind.out.index.*
	BENCH_ONLY=index BENCH_REPEATS=1 BENCH_REPEATS_MID=1 \
	    BENCH_REPEATS_LARGE=1 valgrind --tool=callgrind \
	    --trace-children=yes \
	    --trace-children-skip='*fake-stash*,/bin/*,/usr/bin/*' \
	    --toggle-collect=s2p_indexer_full --toggle-collect=route_request \
	    --callgrind-out-file="$OUT/callgrind.out.index.%p" \
	    "$BUILD/s2p-bench" "$N" 1 /dev/null >/dev/null 2>&1
	for f in "$OUT"/callgrind.out.index.[0-9]*; do
		if grep -q '^cmd:.*fake-plex' "$f"; then
			mv "$f" "$OUT/callgrind.out.index.fake"
		else
			mv "$f" "$OUT/callgrind.out.index.client"
		fi
	done
	for w in client fake; do
		echo "== $w"
		callgrind_annotate --inclusive=yes \
		    "$OUT/callgrind.out.index.$w" 2>/dev/null | sed -n '20,45p'
	done
	exit 0
fi
dir=$(mktemp -d /tmp/s2p-profile-XXXXXX)
token=profile-token
"$BUILD/fake-plex" --port 0 --port-file "$dir/plex.port" \
    --control-port-file "$dir/plex.ctl" --scenes "$N" --seed 42 \
    --token "$token" --log-max 0 2>"$dir/plex.log" &
pp=$!
"$BUILD/fake-stash" --port 0 --port-file "$dir/stash.port" \
    --control-port-file "$dir/stash.ctl" --scenes "$N" --seed 42 \
    --log-max 0 2>"$dir/stash.log" &
sp=$!
trap 'kill $pp $sp 2>/dev/null; rm -rf "$dir"' EXIT
while [ ! -s "$dir/plex.ctl" ] || [ ! -s "$dir/stash.ctl" ]; do sleep 0.1; done
plex=$(cat "$dir/plex.port")
stash=$(cat "$dir/stash.port")
sctl=$(cat "$dir/stash.ctl")
curl -s -o /dev/null -X POST "http://127.0.0.1:$sctl/settings" \
    -d "{\"plex_url\": \"http://127.0.0.1:$plex\", \"plex_token\": \"$token\"}"
run() { # mode [prefix...]
	mode=$1
	shift
	printf '{"server_connection": {"Scheme": "http", "Host": "0.0.0.0", "Port": %s, "SessionCookie": {"Name": "session", "Value": "c", "Path": "", "MaxAge": 0}, "Dir": "%s", "PluginDir": "%s"}, "args": {"mode": "%s"}}' \
	    "$stash" "$dir" "$dir" "$mode" |
	    STASH2PLEX_AUTODRAIN=0 "$@" "$BUILD/stash2plex" >/dev/null 2>&1
}
cg="valgrind --tool=callgrind --callgrind-out-file=$OUT/callgrind.out.$PHASE"
case $PHASE in
all) run all $cg ;;
first) run all; run process_queue $cg ;;
*) run all; run process_queue; run all; run process_queue $cg ;;
esac
callgrind_annotate "$OUT/callgrind.out.$PHASE" 2>/dev/null | head -40
