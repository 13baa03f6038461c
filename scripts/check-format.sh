#!/bin/sh
# Check that every C file of the project is formatted as .clang-format
# says (clang-format 14); exit 1 listing the files that are not.
#   scripts/check-format.sh         check (CI runs this)
#   scripts/check-format.sh --fix   rewrite the files in place (make format)
set -eu
cd "$(dirname "$0")/.."
CF=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$CF" ]; then
	echo "check-format: clang-format not found (scripts/install-deps.sh" \
	    "installs it)" >&2
	exit 1
fi
case "$("$CF" --version)" in
*" 14."*) ;;
*) echo "check-format: warning: $("$CF" --version) is not version 14;" \
    "its output may differ" >&2 ;;
esac
FILES=$(git ls-files 'src/*.[ch]' 'tests/*.[ch]')
if [ "${1:-}" = "--fix" ]; then
	# shellcheck disable=SC2086
	"$CF" -i --style=file $FILES
	exit 0
fi
bad=0
for f in $FILES; do
	if ! "$CF" --style=file "$f" | cmp -s - "$f"; then
		echo "not formatted: $f"
		bad=1
	fi
done
if [ "$bad" -ne 0 ]; then
	echo "check-format: run \`make format\` and commit the result" >&2
fi
exit "$bad"
