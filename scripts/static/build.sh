#!/bin/sh
# make static: fully static musl binaries of stash2plex.
#   build.sh [BUILD_DIR] [ARCH...]      (ARCH: x86_64 aarch64 armv7)
# Output: BUILD_DIR/static/<arch>/stash2plex (BUILD_DIR defaults to build).
#
# 1. Source packages: adds deb-src entries mirroring the deb ones (once),
#    fetches every package of scripts/static/pins with `apt-get source`
#    into the cache, and generates SQLite's amalgamation once.
# 2. Dependencies per target: built by deps.sh into
#    $S2P_STATIC_CACHE/<arch>-<key>/, key = hash of the pins, deps.sh, the
#    toolchain file and the compiler's version. A prefix without its .complete stamp is rebuilt.
# 3. The product: CMake with cmake/static-<arch>.cmake and S2P_STATIC=ON,
#    linked -static against that prefix.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
[ $# -gt 0 ] && shift
ARCHES=${*:-x86_64 aarch64 armv7}
CACHE=${S2P_STATIC_CACHE:-/var/cache/stash2plex-static}
JOBS=${JOBS:-2}
PINS=$HERE/pins
export JOBS
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac

die() { echo "static: $*" >&2; exit 1; }

"$HERE/install-deps.sh" --check 2>/dev/null || "$HERE/install-deps.sh"
mkdir -p "$CACHE/src" || die "cannot create the cache $CACHE (set S2P_STATIC_CACHE)"

pins() { grep -v '^#' "$PINS" | grep -v '^[[:space:]]*$'; }

# deb-src entries for the suites the machine already installs from.
SRCLIST=/etc/apt/sources.list.d/stash2plex-src.sources
add_deb_src() {
	[ -f "$SRCLIST" ] && return 0
	[ "$(id -u)" = 0 ] || die "need root to add $SRCLIST (deb-src entries)"
	echo "static: adding deb-src entries ($SRCLIST)"
	{
		echo "# Added by Stash2Plex scripts/static/build.sh: the static build"
		echo "# compiles its dependencies from Debian source packages."
		for f in /etc/apt/sources.list.d/*.sources; do
			[ "$f" = "$SRCLIST" ] && continue
			awk 'BEGIN{RS="";ORS="\n\n"} /(^|\n)Types:[^\n]*deb([ \n]|$)/ &&
			    /URIs:[^\n]*debian/ {
				sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f"
		done
		if [ -f /etc/apt/sources.list ]; then
			grep -E '^deb [^ ]*debian' /etc/apt/sources.list |
			    sed 's/^deb /deb-src /' |
			    awk '{print "Types: deb-src\nURIs: "$2"\nSuites: "$3"\nComponents: "$4"\n"}'
		fi
	} >"$SRCLIST"
	apt-get update -qq || die "apt-get update failed"
}

# Fetch and unpack one pinned source package into $CACHE/src/<name>/.
fetch() {
	name=$1 ver=$2
	d=$CACHE/src/$name-$(echo "$ver" | tr ':' '_')
	if [ ! -f "$d/.done" ]; then
		add_deb_src
		rm -rf "$d" && mkdir -p "$d"
		echo "static: apt-get source $name=$ver"
		if ! (cd "$d" && apt-get source -qq "$name=$ver" >log 2>&1); then
			apt-get update -qq >/dev/null 2>&1 || true
			(cd "$d" && apt-get source -qq "$name=$ver" >log 2>&1) || {
				sed 's/^/  /' "$d/log" >&2
				die "the mirror does not serve $name=$ver any more. Update the pin in scripts/static/pins (apt-cache showsrc $name lists what it serves) and rebuild."
			}
		fi
		touch "$d/.done"
	fi
	tree=$(find "$d" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	[ -n "$tree" ] || die "apt-get source $name=$ver unpacked nothing"
	ln -sfn "$tree" "$CACHE/src/$name"
}

# SQLite's amalgamation (sqlite3.c) is generated on the build host (tclsh)
# and is the same for every target.
amalgamate() {
	d=$CACHE/src/sqlite3-amalgamation-$1
	if [ ! -f "$d/sqlite3.c" ]; then
		echo "static: generating the SQLite amalgamation"
		rm -rf "$d.tmp" && mkdir -p "$d.tmp"
		(cd "$d.tmp" && "$CACHE/src/sqlite3/configure" >/dev/null &&
		    make sqlite3.c >/dev/null) || die "SQLite amalgamation failed"
		mkdir -p "$d"
		cp "$d.tmp/sqlite3.c" "$d.tmp/sqlite3.h" "$d/"
		rm -rf "$d.tmp"
	fi
	ln -sfn "$d" "$CACHE/src/sqlite3-amalgamation"
}

pins | while read -r name ver; do fetch "$name" "$ver"; done
amalgamate "$(pins | awk '$1=="sqlite3"{print $2}' | tr ':' '_')"

# Cache key of one target: what decides the bytes of its dependencies.
key() {
	case $1 in
	x86_64) cc_id="$(musl-gcc --version | head -n 1) musl-dev $(dpkg-query -W -f='${Version}' musl-dev)" ;;
	aarch64) cc_id=$(aarch64-linux-gnu-gcc --version | head -n 1) ;;
	armv7) cc_id=$(arm-linux-gnueabihf-gcc --version | head -n 1) ;;
	*) die "unknown arch $1 (x86_64, aarch64, armv7)" ;;
	esac
	{ echo "$1"; echo "$cc_id"; pins; cat "$HERE/deps.sh" \
	    "$ROOT/cmake/static-$1.cmake"; } |
	    sha256sum | cut -c1-16
}

for arch in $ARCHES; do
	prefix=$CACHE/$arch-$(key "$arch")
	if [ ! -f "$prefix/.complete" ]; then
		echo "static[$arch]: building dependencies into $prefix"
		t0=$(date +%s)
		rm -rf "$prefix" "$prefix.work"
		"$HERE/deps.sh" "$arch" "$prefix" "$CACHE/src" "$prefix.work" ||
		    die "dependencies for $arch failed"
		rm -rf "$prefix.work"
		touch "$prefix/.complete"
		echo "static[$arch]: dependencies took $(($(date +%s) - t0)) s"
	fi
	out=$BUILD/static/$arch
	# A build directory made for another prefix (or compiler) starts over.
	grep -qx "S2P_STATIC_PREFIX:PATH=$prefix" "$out/cmake/CMakeCache.txt" \
	    2>/dev/null || rm -rf "$out/cmake"
	S2P_STATIC_PREFIX=$prefix
	export S2P_STATIC_PREFIX
	cmake -S "$ROOT" -B "$out/cmake" -DS2P_STATIC=ON \
	    -DS2P_STATIC_PREFIX="$prefix" -DCMAKE_BUILD_TYPE=Release \
	    -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/static-$arch.cmake" >/dev/null ||
	    die "cmake configure for $arch failed"
	cmake --build "$out/cmake" -j"$JOBS" --target stash2plex >/dev/null ||
	    die "build for $arch failed (run: cmake --build $out/cmake)"
	cp "$out/cmake/stash2plex" "$out/stash2plex.tmp"
	mv "$out/stash2plex.tmp" "$out/stash2plex"
	echo "static[$arch]: $out/stash2plex ($(wc -c <"$out/stash2plex") bytes)"
done

# The full licence texts of what the binaries contain, from the very sources
# they were built from (THIRD-PARTY lists the components); shipped with them.
{
	echo "Licences of the third-party code in the static stash2plex binaries"
	echo "(see THIRD-PARTY). Stash2Plex itself: LICENSE (MIT)."
	for f in musl/COPYRIGHT curl/COPYING mbedtls/LICENSE jansson/LICENSE \
	    utf8proc/LICENSE.md zlib/LICENSE; do
		printf '\n\n==== %s (%s) ====\n\n' "${f%%/*}" \
		    "$(basename "$(dirname "$(readlink "$CACHE/src/${f%%/*}")")")"
		cat "$CACHE/src/$f"
	done
	printf '\n\n==== sqlite3 ====\n\n'
	sed -n '/The author disclaims/,/^\*\*\*\*\*\*/p' \
	    "$CACHE/src/sqlite3-amalgamation/sqlite3.h" | head -n 8
	printf '\n\n==== libgcc ====\n\n'
	echo "libgcc is under GPL-3.0 with the GCC Runtime Library Exception"
	echo "3.1, which allows combining it with code under any licence."
} >"$BUILD/static/LICENSES.txt"

