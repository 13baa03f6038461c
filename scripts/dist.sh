#!/bin/sh
# Package Stash2Plex the way Stash's package manager installs plugins.
#
#   scripts/dist.sh [--out DIR]          DIR/<version>/Stash2Plex.zip and
#                                        DIR/index.yml (a plugin source)
#   scripts/dist.sh --install PLUGIN_DIR the same files, copied into a
#                                        Stash plugin folder (make install)
# Options: --static DIR (where <arch>/stash2plex live, default build/static),
# --ui DIR (the built UI plugin, stash2plex.js and stash2plex.css; default
# build/ui, from `make ui`),
# --arches "x86_64 aarch64 armv7" (all required), --bin ARCH=PATH (take this
# binary for ARCH), --allow-dynamic (accept binaries that need a dynamic
# loader: a development build), --version V and --date "YYYY-MM-DD HH:MM:SS"
# (defaults: the manifest's version, the last commit's time in UTC).
#
# Layout (zip and folder alike): bin/stash2plex-<arch> (0755), stash2plex
# (the launcher, scripts/launcher.sh, 0755), ui/stash2plex.js and
# ui/stash2plex.css (0644, the manifest's `ui` section), README.md, LICENSE,
# THIRD-PARTY, LICENSES.txt (the full licence texts of what the static
# binaries contain, written by `make static`; a development build with
# --allow-dynamic may go without), Stash2Plex.yml (0644), and no other .yml
# file (Stash parses every .yml
# under its plugins folder as a manifest). Stash unpacks the zip keeping each
# entry's mode, so the modes are set here; file times are the commit time, so
# the same commit gives the same zip, byte for byte.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=dist
static=build/static
ui=build/ui
arches="x86_64 aarch64 armv7"
install_dir=
allow_dynamic=0
version=
date_s=
bins=

die() {
	echo "dist: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--static) static=$2; shift 2 ;;
	--ui) ui=$2; shift 2 ;;
	--arches) arches=$2; shift 2 ;;
	--install) install_dir=$2; shift 2 ;;
	--bin) bins="$bins $2"; shift 2 ;;
	--allow-dynamic) allow_dynamic=1; shift ;;
	--version) version=$2; shift 2 ;;
	--date) date_s=$2; shift 2 ;;
	*) die "unknown option $1" ;;
	esac
done

yml=$top/Stash2Plex.yml
yml_version=$(sed -n 's/^version: *//p' "$yml")
[ -n "$yml_version" ] || die "no version in $yml"
cmake_version=$(sed -n 's/^project(stash2plex VERSION \([^ ]*\).*/\1/p' \
	"$top/CMakeLists.txt")
[ "$cmake_version" = "$yml_version" ] ||
	die "Stash2Plex.yml says $yml_version, CMakeLists.txt $cmake_version"
version=${version:-$yml_version}
case $version in
'' | *[!A-Za-z0-9._+-]*) die "bad version '$version'" ;;
esac

# The commit time makes the package reproducible and orders releases (Stash
# offers an update when the index date is newer than the installed one).
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	epoch=$SOURCE_DATE_EPOCH
elif epoch=$(git -C "$top" log -1 --format=%ct 2>/dev/null) && [ -n "$epoch" ]; then
	:
else
	epoch=$(date +%s)
fi
if [ -n "$date_s" ]; then
	epoch=$(TZ=UTC date -d "$date_s" +%s) || die "bad --date '$date_s'"
fi
date_s=$(TZ=UTC date -d "@$epoch" '+%Y-%m-%d %H:%M:%S')

# The binary for an architecture: --bin ARCH=PATH, else <static>/<arch>.
bin_for() {
	for kv in $bins; do
		case $kv in "$1="*) echo "${kv#*=}"; return ;; esac
	done
	echo "$static/$1/stash2plex"
}

# Refuse a binary for the wrong CPU, or one that needs a dynamic loader
# (Stash's Docker image has no glibc).
check_bin() {
	[ -f "$2" ] && [ -x "$2" ] || die "no $1 binary at $2 (run 'make static')"
	machine=$(readelf -h "$2" 2>/dev/null | sed -n 's/^ *Machine: *//p')
	case $1:$machine in
	x86_64:*X86-64* | aarch64:*AArch64* | armv7:ARM) ;;
	*) die "$2 is not an $1 binary (ELF machine: ${machine:-unknown})" ;;
	esac
	if [ "$allow_dynamic" = 0 ] && readelf -l "$2" | grep -q INTERP; then
		die "$2 is dynamically linked; 'make static' builds the static one"
	fi
}

for f in README.md LICENSE THIRD-PARTY; do
	[ -f "$top/$f" ] || die "$f is missing (it ships in the package)"
done
licenses=$static/LICENSES.txt
if [ ! -f "$licenses" ]; then
	[ "$allow_dynamic" = 1 ] ||
		die "no $licenses (run 'make static'): the package must carry the licence texts"
	licenses=
fi
for f in stash2plex.js stash2plex.css; do
	[ -s "$ui/$f" ] || die "no $ui/$f (run 'make ui')"
	grep -q "ui/$f" "$yml" || die "Stash2Plex.yml does not declare ui/$f"
done
for a in $arches; do
	case $a in x86_64 | aarch64 | armv7) ;; *) die "unknown arch $a" ;; esac
	check_bin "$a" "$(bin_for "$a")"
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/bin"
files=
for a in $arches; do
	cp "$(bin_for "$a")" "$stage/bin/stash2plex-$a"
	chmod 0755 "$stage/bin/stash2plex-$a"
	files="$files bin/stash2plex-$a"
done
cp "$top/scripts/launcher.sh" "$stage/stash2plex"
chmod 0755 "$stage/stash2plex"
mkdir "$stage/ui"
for f in stash2plex.js stash2plex.css; do
	cp "$ui/$f" "$stage/ui/$f"
	chmod 0644 "$stage/ui/$f"
	files="$files ui/$f"
done
chmod 0755 "$stage/ui"
for f in README.md LICENSE THIRD-PARTY; do
	cp "$top/$f" "$stage/$f"
	chmod 0644 "$stage/$f"
done
docs="README.md LICENSE THIRD-PARTY"
if [ -n "$licenses" ]; then
	cp "$licenses" "$stage/LICENSES.txt"
	chmod 0644 "$stage/LICENSES.txt"
	docs="$docs LICENSES.txt"
fi
sed "s/^version: .*/version: $version/" "$yml" >"$stage/Stash2Plex.yml"
chmod 0644 "$stage/Stash2Plex.yml"
# Binaries first and the manifest last: a plugin half-way through being
# unpacked has no manifest yet, so Stash cannot run it.
files="$files stash2plex $docs Stash2Plex.yml"
chmod 0755 "$stage/bin"
for f in $files; do
	touch -d "@$epoch" "$stage/$f"
done

if [ -n "$install_dir" ]; then
	mkdir -p "$install_dir/bin" "$install_dir/ui"
	for f in $files; do
		# install(1) unlinks the old file first: a running worker keeps
		# its own copy, and notices the new one.
		install -m "$(stat -c %a "$stage/$f")" "$stage/$f" "$install_dir/$f"
	done
	echo "installed Stash2Plex $version ($arches) into $install_dir"
	exit 0
fi

mkdir -p "$out/$version"
zip=$(cd "$out/$version" && pwd)/Stash2Plex.zip
rm -f "$zip"
# -X: no uid/gid or extra time fields; -D: no directory entries; TZ: zip
# stores local time.
(cd "$stage" && TZ=UTC zip -X -D -q -9 "$zip" $files)
sha=$(sha256sum "$zip" | cut -d' ' -f1)
desc=$(sed -n 's/^description: *//p' "$yml" | sed 's/\\/\\\\/g; s/"/\\"/g')
cat >"$out/index.yml.tmp" <<EOF
# Stash plugin source: add this file's URL in Stash under Settings >
# Plugins > Available Plugins > Add Source.
- id: Stash2Plex
  name: Stash2Plex
  metadata:
    description: "$desc"
  version: $version
  date: "$date_s"
  path: $version/Stash2Plex.zip
  sha256: $sha
  requires: []
EOF
mv "$out/index.yml.tmp" "$out/index.yml"
echo "$out/$version/Stash2Plex.zip ($(wc -c <"$zip") bytes, sha256 $sha)"
echo "$out/index.yml (version $version, date $date_s)"
