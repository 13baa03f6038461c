#!/bin/sh
# Regenerate the settings table of docs/configuration.md from the settings
# table in src/core/config.c (through `stash2plex help settings
# --markdown`). Usage: scripts/gen-config-doc.sh [path/to/stash2plex]
set -eu
cd "$(dirname "$0")/.."
bin=${1:-build/stash2plex}
doc=docs/configuration.md
tmp=$(mktemp)
sed -n '1,/^<!-- BEGIN GENERATED/p' "$doc" >"$tmp"
"$bin" help settings --markdown >>"$tmp"
echo '<!-- END GENERATED -->' >>"$tmp"
mv "$tmp" "$doc"
