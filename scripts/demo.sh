#!/bin/bash
# make demo: start the simulated Stash and Plex on free loopback ports with a
# generated library (Plex starts with other metadata), run stash2plex exactly
# as Stash runs it (a hook for a few edited scenes, then the "Sync All Scenes
# to Plex" and "Process Queue" tasks), show a before/after and exit 0 only if
# every Plex item now matches Stash.
set -euo pipefail
BUILD=${1:-build}
BIN=$BUILD/stash2plex
SCENES=${DEMO_SCENES:-300}
WORK=$(mktemp -d /tmp/stash2plex-demo.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

port() { # wait for a port file
	for _ in $(seq 200); do [ -s "$1" ] && { cat "$1"; return; }; sleep 0.05; done
	echo "demo: a fake server did not start (see $1)" >&2; exit 1
}
start() { # name binary
	"$BUILD/fake-$1" --port 0 --port-file "$WORK/$1.port" \
		--control-port-file "$WORK/$1.ctl" --scenes "$SCENES" --seed 42 \
		${2:-} >"$WORK/$1.log" 2>&1 &
	PIDS+=($!)
}
start plex "--token demo-plex-token"
start stash
PLEX=$(port "$WORK/plex.port"); PLEXCTL=$(port "$WORK/plex.ctl")
STASH=$(port "$WORK/stash.port"); STASHCTL=$(port "$WORK/stash.ctl")
ctl() { curl -fsS -X "$1" -H 'Content-Type: application/json' \
	${3:+--data "$3"} "http://127.0.0.1:$2" >/dev/null; }
ctl POST "$STASHCTL/settings" \
	"{\"plex_url\": \"http://127.0.0.1:$PLEX\", \"plex_token\": \"demo-plex-token\"}"

plugin() { # args-json: run the binary as Stash does; print its stdout line
	printf '{"server_connection": {"Scheme": "http", "Host": "0.0.0.0", "Port": %s, "SessionCookie": {"Name": "session", "Value": "demo-session"}, "Dir": "%s", "PluginDir": "%s"}, "args": %s}' \
		"$STASH" "$WORK" "$WORK" "$1" |
		STASH2PLEX_IDLE_EXIT=1 "$BIN" 2>>"$WORK/stash-log.txt"
}

echo "== Simulated Stash (port $STASH) and Plex (port $PLEX), $SCENES scenes"
echo "== Before: Plex has the metadata its agent guessed"
"$BUILD/fake-compare" --stash-control "$STASHCTL" --plex-control "$PLEXCTL" \
	--ids 1,2,3 --allow-unmatched || true

echo
echo "== A user edits scenes 1-3 in Stash; Stash runs the hook for each"
ctl POST "$STASHCTL/scene/1" '{"title": "Harbor Lights (Director'"'"'s Cut)", "tags": ["Drama", "Night", "Remastered"]}'
ctl POST "$STASHCTL/scene/2" '{"details": "First paragraph.\n\nSecond paragraph, kept as a paragraph.", "performers": ["Alex Stone"]}'
ctl POST "$STASHCTL/scene/3" '{"studio": "Quiet Hour", "date": "2024-05-17"}'
for id in 1 2 3; do
	t0=$(date +%s%N)
	out=$(plugin "{\"mode\": \"hook\", \"hookContext\": {\"id\": $id, \"type\": \"Scene.Update.Post\", \"input\": {\"id\": \"$id\"}, \"inputFields\": [\"id\", \"title\", \"details\", \"tag_ids\", \"performer_ids\", \"studio_id\", \"date\"]}}")
	t1=$(date +%s%N)
	echo "   hook scene $id: $out ($(( (t1 - t0) / 1000000 )) ms)"
done

echo
echo "== Task \"Sync All Scenes to Plex\", then \"Process Queue\""
start_ns=$(date +%s%N)
echo "   all: $(plugin '{"mode": "all"}')"
echo "   process_queue: $(plugin '{"mode": "process_queue"}')"
# The background worker started by the hook may still hold jobs in flight.
for _ in $(seq 600); do
	flock -n "$WORK/data/worker.lock" true 2>/dev/null && break
	sleep 0.1
done
end_ns=$(date +%s%N)

echo
echo "== After"
set +e
"$BUILD/fake-compare" --stash-control "$STASHCTL" --plex-control "$PLEXCTL" --ids 1,2,3
"$BUILD/fake-compare" --stash-control "$STASHCTL" --plex-control "$PLEXCTL" \
	--show 0 > "$WORK/compare.txt"
rc=$?
set -e
tail -n 1 "$WORK/compare.txt"
echo
echo "== Plugin log (as Stash shows it):"
tr -d '\001\002' < "$WORK/stash-log.txt" | sed -n 's/^i/   /p' | tail -n 8
echo
ms=$(( (end_ns - start_ns) / 1000000 ))
echo "demo: $SCENES scenes synced in $((ms / 1000)).$(printf %03d $((ms % 1000)))s; Plex $( [ $rc = 0 ] && echo matches || echo DOES NOT match ) Stash"
exit $rc
