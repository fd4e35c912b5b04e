#!/bin/sh
# Run the libFuzzer targets (src/*/fuzz_*, built with clang), one after the
# other, each seeded from the golden vectors of proto-spec/golden.
#   make check   each target for FUZZ_SECONDS (default 2) seconds, seed 1,
#                in a throw-away corpus
#   make fuzz    FUZZ_CORPUS=fuzz-corpus: each target grows and keeps its
#                corpus in fuzz-corpus/NAME; FUZZ_SECONDS (300) per target,
#                or FUZZ_RUNS executions per target when set
# Arguments name the targets (default: every src/*/fuzz_* built).  A crash,
# leak, timeout or out-of-memory fails the run and leaves the input in
# $top_builddir/fuzz-crash-*.  Inputs are at most FUZZ_MAX_LEN (4096)
# bytes: every decoder is linear in its input, so a longer input finds
# nothing a shorter one cannot, and one that needs more than 64 MB in one
# malloc or 512 MB in all is a bug (-malloc_limit_mb, -rss_limit_mb).
# fuzz_inline takes at most FUZZ_INLINE_MAX_LEN (1200) bytes: its harness
# closes the connection at a line over 1 KiB (its max-frame), so 1200 bytes
# reach that path and hold a few lines, and each line is parsed on its own:
# a longer input only repeats lines, at a quarter of the runs per second.
set -eu
# A small ASan quarantine: each input's allocations are freed within the
# input, so 16 MB still catches a use after free, at a third of the system
# time of the default 256 MB (whose fresh pages cost more than the decoders).
ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16}
export ASAN_OPTIONS
builddir=${top_builddir:-.}
srcdir=${top_srcdir:-.}
seconds=${FUZZ_SECONDS:-2}
runs=${FUZZ_RUNS:-}
max_len=${FUZZ_MAX_LEN:-4096}
inline_max_len=${FUZZ_INLINE_MAX_LEN:-1200}
seed=${FUZZ_SEED:-1}
[ $# -gt 0 ] || set -- "$builddir"/src/*/fuzz_[a-z_]*
targets=""
for t in "$@"; do
	case $(basename "$t") in *.*) continue ;; esac
	[ -x "$t" ] && targets="$targets $t"
done
if [ -z "$targets" ]; then
	echo "fuzz-short: no fuzz target built (needs clang); nothing to run"
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Seeds, from each golden frame: the frame, its payload, its body.
mkdir "$work/frame" "$work/payload" "$work/body" "$work/raft" "$work/json" "$work/inline"
for h in "$srcdir"/proto-spec/golden/*.hex; do
	name=$(basename "$h" .hex)
	perl -e '
		my ($dir, $name) = @ARGV;
		local $/; my $h = <STDIN>; $h =~ s/\s+//g; my $f = pack("H*", $h);
		sub put { open(my $o, ">", $_[0]) or die; binmode $o; print $o $_[1]; close $o }
		put("$dir/frame/$name", $f);
		my $p = substr($f, 4);
		put("$dir/payload/$name", $p);
		put("$dir/json/$name", "\x01" . $p);
		# our encoder writes {"t": str, "id": uint, "b"|"r"|"e": body}
		my $i = 0; my @b = unpack("C*", $p);
		die "$name: not a 3-key envelope" unless $b[$i++] == 0x83;
		$i += 2;
		my $s = $b[$i++];
		$i += $s == 0xd9 ? 1 + $b[$i] : $s & 0x1f;
		$i += 3;
		my $u = $b[$i++];
		$i += $u < 0x80 ? 0 : (1, 2, 4, 8)[$u - 0xcc];
		$i += 2;
		my $body = substr($p, $i);
		put("$dir/raft/$name", $body) if $name =~ /^raft/;
		# fuzz_body: the first byte picks the schema; try every value
		put("$dir/body/$name-$_", chr($_) . $body) for 0 .. 255;
	' "$work" "$name" < "$h"
done
for j in "$srcdir"/proto-spec/golden/*.json; do
	{ printf '\000'; cat "$j"; } > "$work/json/$(basename "$j" .json)-json"
done
i=0
while IFS= read -r line; do
	i=$((i + 1))
	printf '%s\n' "$line" > "$work/inline/$i"
done <<'LINES'
PING
GET key
PUT "a key\x00\n" 'it''s'
SET k v
DEL k
DELETE "k"
SCAN a z 10
SCAN "" "" 5
INFO
HELP
QUIT
GET "\xff\x00" extra args here
GET /index.html HTTP/1.1
LINES

status=0
for t in $targets; do
	name=$(basename "$t")
	case $name in
	fuzz_frame) seeds=$work/frame ;;
	fuzz_envelope) seeds=$work/payload ;;
	fuzz_body) seeds=$work/body ;;
	fuzz_raft_wire) seeds=$work/raft ;;
	fuzz_json) seeds=$work/json ;;
	fuzz_inline) seeds=$work/inline ;;
	*) seeds=$work/payload ;;
	esac
	len=$max_len
	[ "$name" = fuzz_inline ] && len=$inline_max_len
	if [ -n "${FUZZ_CORPUS:-}" ]; then
		corpus=$FUZZ_CORPUS/$name
	else
		corpus=$work/corpus-$name
	fi
	mkdir -p "$corpus"
	if [ -n "$runs" ]; then
		limit="-runs=$runs"
	else
		limit="-max_total_time=$seconds"
	fi
	log=$work/$name.log
	rc=0
	times > "$work/cpu-before"
	"$t" "$limit" -seed="$seed" -max_len="$len" -rss_limit_mb=512 -malloc_limit_mb=64 \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$builddir/fuzz-crash-$name-" \
		"$corpus" "$seeds" > "$log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		echo "fuzz-short: $name FAILED (exit $rc):"
		grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)' "$log" | tail -n 60
		status=1
		continue
	fi
	times > "$work/cpu-after"
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
	stat() { sed -n "s/^stat::$1:[[:space:]]*//p" "$log"; }
	executed=$(stat number_of_executed_units)
	# exec/s is per wall-clock second, which on a shared machine says as much
	# about the other jobs; runs per CPU second (from the shell's `times`)
	# is what the target costs
	cpu=$(cat "$work/cpu-before" "$work/cpu-after" | awk '
		function sec(t) { split(t, a, /[ms]/); return a[1] * 60 + a[2] }
		NR == 2 { b = sec($1) + sec($2) } NR == 4 { e = sec($1) + sec($2) }
		END { printf "%.1f", e - b }')
	per_cpu=$(awk -v n="$executed" -v c="$cpu" 'BEGIN { printf "%d", (c > 0 ? n / c : 0) }')
	echo "$name: $executed runs, $(stat average_exec_per_sec) exec/s, $cpu CPU s" \
		"($per_cpu runs per CPU s), peak RSS $(stat peak_rss_mb) MB; ${done_line#*DONE }"
done
exit $status
