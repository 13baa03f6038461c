#!/bin/sh
# Compile every product source against musl's headers (musl-gcc), so that
# a glibc-only API cannot creep in: the plugin ships as a static musl binary
# for Stash's Alpine image. The dependencies' headers are copied into a
# scratch include directory (musl-gcc must not see glibc's /usr/include).
# Exit 77 (ctest: skipped) when musl-gcc is not installed.
set -eu
SRC=${1:-$(dirname "$0")/../src}
command -v musl-gcc >/dev/null 2>&1 || { echo "SKIP: musl-gcc not installed"; exit 77; }
INC=$(mktemp -d)
trap 'rm -rf "$INC"' EXIT
for h in sqlite3.h jansson.h jansson_config.h utf8proc.h; do
	cp "$(find /usr/include -name "$h" | head -n 1)" "$INC/"
done
cp -r "$(dirname "$(find /usr/include -path '*curl/curl.h' | head -n 1)")" "$INC/curl"
fail=0
for f in "$SRC"/*/*.c; do
	# stash2plex-statusd is a separate glibc program (libmicrohttpd), not
	# part of the static plugin binary.
	case "$f" in */statusd/*) continue ;; esac
	if ! musl-gcc -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	    -DS2P_VERSION='"check"' -I"$SRC" -I"$INC" -fsyntax-only \
	    -Werror=implicit-function-declaration -Wall "$f"; then
		echo "FAIL: $f does not build against musl"
		fail=1
	fi
done
[ $fail = 0 ] && echo "musl: every source builds against musl headers"
exit $fail
