#!/bin/sh
# Regenerate proto-spec/golden/*.hex from the *.json beside them with the frame
# tool.  Only for new vectors: an existing .hex changing means the wire format
# changed, which needs a protocol version bump (proto-spec/README.md).
set -eu
tool=${1:-tools/tkframe}
dir=$(dirname "$0")/../proto-spec/golden
for j in "$dir"/*.json; do
	h=${j%.json}.hex
	[ -e "$h" ] && [ "${FORCE:-0}" != 1 ] && continue
	"$tool" encode "$(cat "$j")" | od -An -v -tx1 | tr -d ' \n' | fold -w 64 > "$h"
	echo >> "$h"
done
