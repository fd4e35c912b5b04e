#!/bin/sh
# A short libFuzzer pass over the decoders (make check); `make fuzz` runs longer.
set -eu
fuzzer=${top_builddir:-.}/src/codec/fuzz_decode
seconds=${FUZZ_SECONDS:-15}
if [ ! -x "$fuzzer" ]; then
	echo "fuzz-short: $fuzzer not built (needs clang); nothing to run"
	exit 77
fi
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for h in "${top_srcdir:-.}"/proto-spec/golden/*.hex; do
	perl -e 'local $/; my $h = <STDIN>; $h =~ s/\s+//g; print pack("H*", $h)' < "$h" > "$corpus/$(basename "$h" .hex)"
done
"$fuzzer" -max_total_time="$seconds" -seed=1 -print_final_stats=1 "$corpus" 2>&1 | tail -n 15
