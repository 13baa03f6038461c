#!/bin/sh
# Stash2Plex launcher, shipped as "stash2plex" next to Stash2Plex.yml (the
# manifest's exec). One package serves every CPU: bin/ holds one static
# binary per architecture. On its first run this script picks the binary for
# this machine and puts a copy of it in its own place (atomic rename), so
# every later hook starts the binary directly, with no shell in between (a
# copy, not a hard link: copying over one name must never change the
# other). Upgrades and uninstalls delete "stash2plex" by name like any other
# packaged file, which brings this script back. In a read-only folder the
# choice is simply made again on each run.
d=${0%/*}
[ "$d" = "$0" ] && d=.
m=$(uname -m 2>/dev/null)
case $m in
x86_64 | amd64) a=x86_64 ;;
aarch64 | arm64 | armv8b) a=aarch64 ;;
armv7* | armv8l) a=armv7 ;; # armv8l: 32-bit userland on a 64-bit CPU
*) a= ;;
esac
b=$d/bin/stash2plex-$a
if [ -z "$a" ] || [ ! -x "$b" ]; then
	case $m in '' | *[!A-Za-z0-9_.-]*) m=unknown ;; esac
	echo "Stash2Plex: no binary for this CPU ($m) in $d/bin" >&2
	printf '{"error": "Stash2Plex has no binary for this CPU (%s); the package holds x86_64, aarch64 and armv7"}\n' "$m"
	exit 1
fi
case $0 in
*/stash2plex)
	t=$d/.stash2plex.$$
	if cp "$b" "$t" 2>/dev/null; then
		mv -f "$t" "$0" 2>/dev/null || rm -f "$t"
	fi
	;;
esac
exec "$b" "$@"
