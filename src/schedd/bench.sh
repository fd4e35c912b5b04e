#!/bin/sh
# Start tinykv-scheduler on temporary data dirs and run sched_bench_tso's
# modes against it (make bench-sched-daemon).  $1: the build dir.
set -eu
b=${1:-.}
dir=$(mktemp -d "${TMPDIR:-/tmp}/tksched-bench.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT

# start NAME: a scheduler on a free port; sets pid and addr
start() {
	"$b/src/schedd/tinykv-scheduler" --data-dir "$dir/$1" --listen 127.0.0.1:0 --status-addr off \
		--log-file "$dir/$1.log" --schedule-interval 1000 &
	pid=$!
	addr=
	for _ in $(seq 200); do
		addr=$(grep -o 'ready listen=[0-9.:]*' "$dir/$1.log" 2>/dev/null | cut -d= -f2)
		[ -n "$addr" ] && break
		sleep 0.05
	done
	[ -n "$addr" ] || { echo "tinykv-scheduler did not start"; cat "$dir/$1.log"; exit 1; }
}
stop() { kill "$pid"; wait "$pid" || true; pid=; }

start tso
"$b/src/schedd/bench_tso" tso "$addr" 4 1 3 1
"$b/src/schedd/bench_tso" tso "$addr" 4 100 3 1
"$b/src/schedd/bench_tso" tso "$addr" 4 1000 3 1
"$b/src/schedd/bench_tso" tso "$addr" 4 100 3 8
stop
start hb1
SCHED_PID=$pid "$b/src/schedd/bench_tso" heartbeat "$addr" 100000 3
stop
start hb2
SCHED_PID=$pid "$b/src/schedd/bench_tso" heartbeat "$addr" 100000 3 1000
stop
