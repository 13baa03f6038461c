#!/bin/sh
# run.sh - validate the Stash client's GraphQL documents against Stash's real
# schema. usage: run.sh <dump-gql-docs binary> <schema dir>
# Exits 77 (ctest SKIP) when the schema directory is absent. Installs the
# pinned graphql-js from package-lock.json on first use.
set -eu

dump=$1
schema=$2
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -d "$schema" ]; then
	echo "SKIP: ../shared/stash-schema not found, GraphQL documents not validated"
	exit 77
fi

if [ ! -d "$here/node_modules/graphql" ]; then
	(cd "$here" && npm install --no-audit --no-fund --silent)
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT INT TERM
"$dump" >"$tmp"
# The C client's documents and the Stash UI plugin's.
node "$here/validate.mjs" "$schema" "$tmp" "$here/../../ui/src/queries.json"
