#!/bin/sh
# Fail when a function in src/ is longer than MAX lines (default 100),
# counted from the line of its name to its closing brace. Functions are
# found in the house style: the name starts a line ("name(" at column 0)
# and the body ends with "}" at column 0.
# usage: scripts/check-func-length.sh [MAX] [DIR]
MAX=${1:-100}
DIR=${2:-$(dirname "$0")/../src}
find "$DIR" -name '*.c' | sort | xargs awk -v max="$MAX" '
FNR == 1 { name = "" }
/^[A-Za-z_][A-Za-z0-9_]*\(/ && name == "" {
	name = $0; sub(/\(.*/, "", name); start = FNR
	if ($0 ~ /\);[ \t]*$/) name = ""	# a prototype
	next
}
/^}/ && name != "" {
	len = FNR - start + 1
	if (len > max) {
		printf "%s:%d: %s is %d lines (max %d)\n", FILENAME, start, name, len, max
		bad = 1
	}
	name = ""
}
/^[;]/ { name = "" }
END { exit bad }
'
