#!/bin/bash
# `make bench`: bench-kv runs `tools/bench.sh` (or `tools/bench.sh kv`),
# tinykvd against redis-server on this machine; bench-modes runs
# `tools/bench.sh modes`, the TSO and transaction figures (see "modes" below).
#
# kv:
#  1. GET and PUT on tinykvd --sync off versus GET and SET on redis-server
#     without persistence, same connections, pipeline depth, key space and
#     value size; prints both figures, the ratio tinykv/redis and the target,
#     the latencies, and each server's CPU time per request (user + system
#     of all its threads, from /proc: unlike ops/s it hardly depends on what
#     else the machine is running).  tinykv's GET runs on a store preloaded
#     with every key once; a second GET run after the PUT run shows reads
#     over the versions and compaction debt that the writes left (no target).
#  2. PUT on tinykvd --sync on: puts/s, fsyncs/s (from /metrics) and puts per
#     fsync, which shows group commit at work; then the default mix (90% get,
#     10% put) with sync on beside the same mix with sync off: the ratio
#     (target >= 0.7) and fsyncs/s against put-only (target: no higher).
#
# modes (no redis needed):
#  3. tinykv-bench --mode tso against tinykv-scheduler: 4 connections, one
#     get_ts in flight each, 100 timestamps per request, then 1; timestamps/s,
#     requests/s, round-trip p50/p99, the scheduler's CPU time per request,
#     and the monotonicity check.
#  4. tinykv-bench --mode txn against tinykvd --sync off (BENCH_TXN_SYNC) and
#     the scheduler: 4 workers, transactions of 1 and of 10 keys (read and
#     write each, commit) over a keyspace of 100000 and of 100 (contention);
#     txn/s, begin-to-commit p50/p99 and the abort rate.
#     Each run lasts BENCH_MODE_SECONDS (default 5).
#
# Everything runs on loopback, on free ports, in a temporary directory, and is
# killed on exit.  The figures never fail the run; a broken run (a server that
# does not start, a benchmark that fails) exits non-zero.
#
# Environment: BENCH_SECONDS (per run, default 10), BENCH_CONNECTIONS (50),
# BENCH_PIPELINE (16), BENCH_KEYSPACE (100000), BENCH_VALUE_SIZE (100),
# BENCH_THREADS (tinykv-bench --threads, default 1: redis-benchmark gets the
# same number), BENCH_BIN_DIR (the build directory, default the current one),
# BENCH_TARGET (the ratio to reach, default 0.5), BENCH_TINYKVD_FLAGS (extra
# tinykvd options to try, e.g. "--write-buffer 4M"; split on spaces).
set -eu

what=${1:-kv}
secs=${BENCH_SECONDS:-10}
msecs=${BENCH_MODE_SECONDS:-5}
txn_sync=${BENCH_TXN_SYNC:-off}
conns=${BENCH_CONNECTIONS:-50}
pipe=${BENCH_PIPELINE:-16}
keys=${BENCH_KEYSPACE:-100000}
vsize=${BENCH_VALUE_SIZE:-100}
threads=${BENCH_THREADS:-1}
target=${BENCH_TARGET:-0.5}
kvflags=${BENCH_TINYKVD_FLAGS:-}
bindir=${BENCH_BIN_DIR:-$(pwd)}
rthreads=""
[ "$threads" -gt 1 ] && rthreads="--threads $threads"
bench=$bindir/src/bench/tinykv-bench
tinykvd=$bindir/src/store/tinykvd
scheduler=$bindir/src/schedd/tinykv-scheduler

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

case $what in kv | modes) ;; *) die "usage: bench.sh [kv|modes]" ;; esac
for f in "$bench" "$tinykvd"; do
	[ -x "$f" ] || die "$f not built (run make first, or set BENCH_BIN_DIR)"
done
[ "$what" = kv ] || [ -x "$scheduler" ] || die "$scheduler not built (run make first, or set BENCH_BIN_DIR)"
case $secs in '' | *[!0-9]* | 0) die "BENCH_SECONDS must be a positive integer" ;; esac
case $msecs in '' | *[!0-9]* | 0) die "BENCH_MODE_SECONDS must be a positive integer" ;; esac

# ---- redis ------------------------------------------------------------------
if [ "$what" = kv ] && { ! command -v redis-server >/dev/null ||
	! command -v redis-benchmark >/dev/null || ! command -v redis-cli >/dev/null; }; then
	if [ "$(id -u)" != 0 ]; then
		say "redis is missing; as root run:"
		say "  apt-get install -y redis-server redis-tools"
		exit 1
	fi
	say "installing redis-server and redis-tools"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends redis-server redis-tools >&2 ||
		{ apt-get update -q >&2 && apt-get install -y -q --no-install-recommends redis-server redis-tools >&2; } ||
		die "apt-get install redis-server redis-tools failed"
fi

# ---- processes and clean-up ---------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tinykv-bench.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Poll a command until it succeeds, for at most $1 tenths of a second.
wait_for() {
	local n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

port_in_use() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

redis_port=""
redis_pid=""
start_redis() {
	local try port
	for try in 1 2 3 4 5 6 7 8; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		port_in_use "$port" && continue
		redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
			--daemonize no --dir "$tmp" --logfile "$tmp/redis.log" &
		redis_pid=$!
		pids="$pids $redis_pid"
		if wait_for 50 redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
			redis_port=$port
			return 0
		fi
		kill "$redis_pid" 2>/dev/null || true
	done
	die "redis-server did not start (see $tmp/redis.log)"
}

# Start tinykv-scheduler on a free port; sets sched_addr and sched_pid.
sched_addr=""
sched_pid=""
start_scheduler() {
	local log=$tmp/scheduler.log line
	"$scheduler" --listen 127.0.0.1:0 --status-addr off --data-dir "$tmp/sched-data" \
		--log-file "$log" &
	sched_pid=$!
	pids="$pids $sched_pid"
	wait_for 100 grep -q 'tinykv-scheduler ready' "$log" 2>/dev/null ||
		die "tinykv-scheduler did not start: $(tail -n 5 "$log" 2>/dev/null)"
	line=$(grep -m1 'tinykv-scheduler ready' "$log")
	sched_addr=$(printf '%s\n' "$line" | sed -n 's/.* listen=\([^ ]*\).*/\1/p')
	[ -n "$sched_addr" ] || die "cannot parse: $line"
}

# Start tinykvd with --sync $1 on free ports; sets kv_addr and kv_status.
kv_addr=""
kv_status=""
kv_pid=""
start_tinykvd() {
	local sync=$1 log line
	starts=$((${starts:-0} + 1))
	log=$tmp/tinykvd-$1-$starts.log
	"$tinykvd" --listen 127.0.0.1:0 --status-addr 127.0.0.1:0 --data-dir "$tmp/data-$sync" \
		--sync "$sync" --log-file "$log" $kvflags &
	kv_pid=$!
	pids="$pids $kv_pid"
	wait_for 100 grep -q 'tinykvd ready' "$log" 2>/dev/null ||
		die "tinykvd --sync $sync did not start: $(tail -n 5 "$log" 2>/dev/null)"
	line=$(grep -m1 'tinykvd ready' "$log")
	kv_addr=$(printf '%s\n' "$line" | sed -n 's/.* listen=\([^ ]*\).*/\1/p')
	kv_status=$(printf '%s\n' "$line" | sed -n 's/.* status=\([^ ]*\).*/\1/p')
	[ -n "$kv_addr" ] && [ -n "$kv_status" ] || die "cannot parse: $line"
}

# ---- measurements -----------------------------------------------------------
# First number after "KEY": in a JSON file (the top-level one comes first).
json_num() { grep -o "\"$1\":[0-9.e+-]*" "$2" | head -n1 | cut -d: -f2; }

# CPU time (user + system, all threads) of process $1 in microseconds: the
# server's cost per request, which unlike ops/s does not depend much on what
# else runs on the machine.
tck=$(getconf CLK_TCK)
cpu_us() { awk -v t="$tck" '{ printf "%.0f\n", ($14 + $15) * 1e6 / t }' "/proc/$1/stat"; }
per_op() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.2f\n", (n > 0 ? c / n : 0) }'; }

# redis-benchmark has no duration option: time a short run, then size -n
# so that the real one lasts about $secs seconds.
redis_run() {
	local test=$1 out=$tmp/redis-$1.csv n rps
	redis-benchmark -h 127.0.0.1 -p "$redis_port" -t "$test" -P "$pipe" -c "$conns" \
		-r "$keys" -d "$vsize" -n 200000 $rthreads --csv >"$out" 2>/dev/null ||
		die "redis-benchmark -t $test failed"
	rps=$(awk -F'"' 'NR == 2 { print $4 }' "$out")
	n=$(awk -v r="$rps" -v s="$secs" 'BEGIN { n = int(r * s); if (n < 100000) n = 100000; print n }')
	c0=$(cpu_us "$redis_pid")
	timeout $((secs * 4 + 60)) redis-benchmark -h 127.0.0.1 -p "$redis_port" -t "$test" \
		-P "$pipe" -c "$conns" -r "$keys" -d "$vsize" -n "$n" $rthreads --csv \
		>"$out" 2>/dev/null || die "redis-benchmark -t $test -n $n failed"
	c1=$(cpu_us "$redis_pid")
	# "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
	awk -F'"' -v cpu="$(per_op $((c1 - c0)) "$n")" 'NR == 2 { print $4, $10, $14, cpu }' "$out"
}

# tinykv-bench -t $1 against $kv_addr for $secs seconds; prints
# "ops/s p50_ms p99_ms ok errors seconds server_cpu_us_per_op" and keeps the
# JSON in $tmp.
tinykv_run() {
	local type=$1 tag=$2 out=$tmp/tinykv-$2.json c0 c1
	c0=$(cpu_us "$kv_pid")
	local sel="-t $type"
	[ "$type" = mix ] && sel="--mix 90:10:0"
	# shellcheck disable=SC2086
	timeout $((secs * 2 + 120)) "$bench" -a "$kv_addr" $sel -c "$conns" -P "$pipe" \
		-k "$keys" -d "$vsize" -D "$secs" --threads "$threads" --json -q >"$out" ||
		die "tinykv-bench -t $type failed: $(cat "$out")"
	c1=$(cpu_us "$kv_pid")
	awk -v ops="$(json_num ops_per_sec "$out")" -v p50="$(json_num p50 "$out")" \
		-v p99="$(json_num p99 "$out")" -v ok="$(json_num ok "$out")" \
		-v err="$(json_num errors "$out")" -v s="$(json_num seconds "$out")" \
		-v cpu="$(per_op $((c1 - c0)) "$(json_num requests "$out")")" \
		'BEGIN { printf "%s %.3f %.3f %s %s %s %s\n", ops, p50 / 1000, p99 / 1000, ok, err, s, cpu }'
}

metric() {
	curl -sf "http://$kv_status/metrics" | awk -v m="$1" '$1 == m { print $2; exit }'
}

# ---- modes: TSO and transactions ------------------------------------------------
# tinykv-bench --mode tso, batch $1: prints "ts/s req/s p50_ms p99_ms errors
# violations cpu_us_per_request".
tso_run() {
	local batch=$1 out=$tmp/tso-$1.json c0 c1
	c0=$(cpu_us "$sched_pid")
	timeout $((msecs * 2 + 120)) "$bench" --mode tso -s "$sched_addr" -c 4 -P 1 \
		--tso-batch "$batch" -D "$msecs" --json -q >"$out" ||
		die "tinykv-bench --mode tso --tso-batch $batch failed: $(cat "$out")"
	c1=$(cpu_us "$sched_pid")
	awk -v ts="$(json_num timestamps_per_sec "$out")" -v rq="$(json_num requests_per_sec "$out")" \
		-v p50="$(json_num p50 "$out")" -v p99="$(json_num p99 "$out")" \
		-v err="$(json_num errors "$out")" -v vio="$(json_num monotonic_violations "$out")" \
		-v cpu="$(per_op $((c1 - c0)) "$(json_num requests "$out")")" \
		'BEGIN { printf "%.0f %.0f %.3f %.3f %s %s %s\n", ts, rq, p50 / 1000, p99 / 1000, err, vio, cpu }'
}

# tinykv-bench --mode txn, $1 keys per transaction over a keyspace of $2:
# prints "txn/s p50_ms p99_ms abort_rate committed aborted errors".
txn_run() {
	local keys=$1 space=$2 out=$tmp/txn-$1-$2.json
	timeout $((msecs * 2 + 120)) "$bench" --mode txn -a "$kv_addr" -s "$sched_addr" -c 4 \
		--txn-keys "$keys" -k "$space" -D "$msecs" --json -q >"$out" ||
		die "tinykv-bench --mode txn --txn-keys $keys -k $space failed: $(cat "$out")"
	awk -v tps="$(json_num txn_per_sec "$out")" -v p50="$(json_num p50 "$out")" \
		-v p99="$(json_num p99 "$out")" -v ar="$(json_num abort_rate "$out")" \
		-v c="$(json_num committed "$out")" -v a="$(json_num aborted "$out")" \
		-v err="$(json_num errors "$out")" \
		'BEGIN { printf "%.0f %.3f %.3f %.2f%% %s %s %s\n", tps, p50 / 1000, p99 / 1000, ar * 100, c, a, err }'
}

run_modes() {
	local res b k space
	start_scheduler
	say "tinykv-scheduler on $sched_addr"
	echo
	echo "TSO: tinykv-bench --mode tso, 4 connections, 1 get_ts in flight each, ${msecs} s per run"
	printf '%-6s %14s %12s %8s %8s %7s %11s %17s\n' "batch" "timestamps/s" "requests/s" \
		"p50 ms" "p99 ms" "errors" "violations" "sched cpu us/req"
	for b in 100 1; do
		res=$(tso_run "$b")
		read -r ts rq p50 p99 err vio cpu <<<"$res"
		printf '%-6s %14s %12s %8s %8s %7s %11s %17s\n' "$b" "$ts" "$rq" "$p50" "$p99" \
			"$err" "$vio" "$cpu"
	done
	start_tinykvd "$txn_sync"
	say "tinykvd --sync $txn_sync on $kv_addr"
	echo
	echo "transactions: tinykv-bench --mode txn, 4 workers, tinykvd --sync $txn_sync, read + write each key then commit, ${msecs} s per run"
	printf '%-5s %9s %9s %8s %8s %11s %10s %9s %7s\n' "keys" "keyspace" "txn/s" "p50 ms" \
		"p99 ms" "abort rate" "committed" "aborted" "errors"
	for space in 100000 100; do
		for k in 1 10; do
			res=$(txn_run "$k" "$space")
			read -r tps p50 p99 ar c a err <<<"$res"
			printf '%-5s %9s %9s %8s %8s %11s %10s %9s %7s\n' "$k" "$space" "$tps" "$p50" \
				"$p99" "$ar" "$c" "$a" "$err"
		done
	done
	echo
	echo "commands: tinykv-bench --mode tso -s ADDR -c 4 -P 1 --tso-batch 100|1 -D $msecs --json -q"
	echo "          tinykv-bench --mode txn -a ADDR -s ADDR -c 4 --txn-keys 1|10 -k 100000|100 -D $msecs --json -q"
}

if [ "$what" = modes ]; then
	run_modes
	exit 0
fi

say "redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $conns connections, pipeline $pipe, keyspace $keys, $vsize-byte values, ${secs}s per run, $threads client thread(s)"
start_redis
say "redis-server on 127.0.0.1:$redis_port"
res=$(redis_run set)
read -r r_set r_set_p50 r_set_p99 r_set_cpu <<<"$res"
res=$(redis_run get)
read -r r_get r_get_p50 r_get_p99 r_get_cpu <<<"$res"
kill "$redis_pid" 2>/dev/null || true

start_tinykvd off
say "tinykvd --sync off on $kv_addr"
# GET first, on a store where --preload wrote every key once (load, then
# read, as YCSB does); then PUT; then GET again, now over the versions and
# the compaction debt that the PUT run left behind (shown, not targeted).
"$bench" -a "$kv_addr" -t get -n 1 --preload -c "$conns" -P "$pipe" -k "$keys" -d "$vsize" -q \
	>/dev/null || die "tinykv-bench --preload failed"
res=$(tinykv_run get get)
read -r k_get k_get_p50 k_get_p99 _ k_get_err _ k_get_cpu <<<"$res"
res=$(tinykv_run put put-off)
read -r k_put k_put_p50 k_put_p99 _ k_put_err _ k_put_cpu <<<"$res"
res=$(tinykv_run get get-after-put)
read -r k_get2 k_get2_p50 k_get2_p99 _ k_get2_err _ k_get2_cpu <<<"$res"
kill "$kv_pid" 2>/dev/null || true

start_tinykvd on
say "tinykvd --sync on on $kv_addr"
f0=$(metric tinykv_engine_fsyncs_total)
g0=$(metric tinykv_group_committed_writes_total)
res=$(tinykv_run put put-on)
read -r s_put s_put_p50 s_put_p99 s_put_ok s_put_err s_secs s_put_cpu <<<"$res"
f1=$(metric tinykv_engine_fsyncs_total)
g1=$(metric tinykv_group_committed_writes_total)
[ -n "$f0" ] && [ -n "$f1" ] || die "no tinykv_engine_fsyncs_total in http://$kv_status/metrics"
# the default mix (90% get, 10% put) with sync on: reads behind a
# connection's own writes wait for the group commit, never force it
m0=$(metric tinykv_engine_fsyncs_total)
res=$(tinykv_run mix mix-on)
read -r m_on m_on_p50 m_on_p99 _ m_on_err m_secs _ <<<"$res"
m1=$(metric tinykv_engine_fsyncs_total)
kill "$kv_pid" 2>/dev/null || true
wait "$kv_pid" 2>/dev/null || true
cp -r "$tmp/data-on" "$tmp/data-off-mix" # the same data as the sync-on mix
mv "$tmp/data-off" "$tmp/data-off-first"
mv "$tmp/data-off-mix" "$tmp/data-off"
start_tinykvd off
res=$(tinykv_run mix mix-off)
read -r m_off m_off_p50 m_off_p99 _ m_off_err _ _ <<<"$res"

# ---- report -------------------------------------------------------------------
row() { # name redis tinykv
	awk -v n="$1" -v r="$2" -v k="$3" -v t="$target" 'BEGIN {
		ratio = r > 0 ? k / r : 0
		printf "%-16s %12.0f %13.0f %7.2f   >= %.2f  %s\n", n, r, k, ratio, t,
			(ratio >= t ? "yes" : "NO") }'
}
cost() { # name redis_p50 redis_p99 kv_p50 kv_p99 redis_cpu kv_cpu ("" = not measured)
	local r=-
	[ -n "$2" ] && r=$2/$3
	printf '%-16s %17s %17s %15s %16s\n' "$1" "$r" "$4/$5" "${6:--}" "$7"
}
echo
echo "tinykv vs redis on loopback: $conns connections, pipeline $pipe, keyspace $keys, $vsize-byte values, ${secs} s per run${kvflags:+, tinykvd $kvflags}"
printf '%-16s %12s %13s %7s   %-7s  %s\n' "workload" "redis ops/s" "tinykv ops/s" "ratio" "target" "met"
row "GET" "$r_get" "$k_get"
row "PUT (sync off)" "$r_set" "$k_put"
awk -v r="$r_get" -v k="$k_get2" 'BEGIN {
	printf "%-16s %12.0f %13.0f %7.2f   (not a target: GET right after the PUT run)\n",
		"GET after PUT", r, k, (r > 0 ? k / r : 0) }'
echo
printf '%-16s %17s %17s %15s %16s\n' "workload" "redis p50/p99 ms" "tinykv p50/p99 ms" \
	"redis cpu us/op" "tinykv cpu us/op"
cost "GET" "$r_get_p50" "$r_get_p99" "$k_get_p50" "$k_get_p99" "$r_get_cpu" "$k_get_cpu"
cost "PUT (sync off)" "$r_set_p50" "$r_set_p99" "$k_put_p50" "$k_put_p99" "$r_set_cpu" "$k_put_cpu"
cost "GET after PUT" "" "" "$k_get2_p50" "$k_get2_p99" "" "$k_get2_cpu"
echo "(cpu: the server process's user+system time, all threads, per request; tinykv errors: GET $k_get_err, PUT $k_put_err, GET after PUT $k_get2_err)"
echo
echo "group commit: tinykvd --sync on, PUT, same connections and pipeline"
awk -v ops="$s_put" -v ok="$s_put_ok" -v s="$s_secs" -v f="$((f1 - f0))" -v g="$((${g1:-0} - ${g0:-0}))" \
	-v p50="$s_put_p50" -v p99="$s_put_p99" -v err="$s_put_err" -v cpu="$s_put_cpu" 'BEGIN {
	fs = s > 0 ? f / s : 0
	printf "puts/s %.0f   fsyncs/s %.0f   puts per fsync %.1f\n", ops, fs, (f > 0 ? ok / f : 0)
	printf "(%d puts and %d fsyncs in %.1f s, %d group-committed writes, p50/p99 %s/%s ms, server cpu %s us/op, %d errors)\n",
		ok, f, s, g, p50, p99, cpu, err }'
echo
echo "group commit with reads in the mix: tinykv-bench --mix 90:10:0, same connections and pipeline"
awk -v on="$m_on" -v off="$m_off" -v put="$s_put" -v mf="$((m1 - m0))" -v ms="$m_secs" \
	-v pf="$((f1 - f0))" -v ps="$s_secs" -v p1="$m_on_p50" -v p2="$m_on_p99" -v p3="$m_off_p50" \
	-v p4="$m_off_p99" -v e1="$m_on_err" -v e2="$m_off_err" 'BEGIN {
	r = off > 0 ? on / off : 0
	mfs = ms > 0 ? mf / ms : 0; pfs = ps > 0 ? pf / ps : 0
	printf "mix sync on %.0f ops/s (p50/p99 %s/%s ms)   mix sync off %.0f ops/s (p50/p99 %s/%s ms)\n", on, p1, p2, off, p3, p4
	printf "ratio on/off %.2f (target >= 0.70: %s)   fsyncs/s mix %.0f vs put-only %.0f (target: no higher: %s)   errors %d/%d\n",
		r, (r >= 0.7 ? "yes" : "NO"), mfs, pfs, (mfs <= pfs ? "yes" : "NO"), e1, e2 }'
echo
echo "commands: redis-benchmark -h 127.0.0.1 -p PORT -t set|get -P $pipe -c $conns -r $keys -d $vsize -n N${rthreads:+ $rthreads} --csv"
echo "            (N sized from a 200000-request trial so that each run lasts about $secs s; SET runs first and fills the keyspace)"
echo "          tinykv-bench -a ADDR -t get|put -c $conns -P $pipe -k $keys -d $vsize -D $secs --threads $threads --json -q [--preload]"
