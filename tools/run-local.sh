#!/bin/sh
# Set up, build and start a local tinykv on loopback (tinykv-scheduler for
# timestamps and tinykvd), then open tinykv-cli on it.  Data dirs live under
# the working tree (./run/); the daemons stop when the shell exits.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/setup-deps.sh
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure -q
make -j"$(nproc)" >/dev/null
mkdir -p run
port=${TINYKV_PORT:-20160}
status=${TINYKV_STATUS_PORT:-20180}
sport=${TINYKV_SCHEDULER_PORT:-2379}
pids=
trap 'kill $pids 2>/dev/null; wait $pids 2>/dev/null' EXIT INT TERM

# wait_ready NAME PID LOG: poll the log for the daemon's ready line
wait_ready() {
	i=0
	until grep -q "$1 ready" "$3" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$2" 2>/dev/null; then
			echo "$1 did not start; see $3:" >&2
			tail -n 5 "$3" >&2
			exit 1
		fi
		sleep 0.1
	done
}

./src/schedd/tinykv-scheduler --listen 127.0.0.1:$sport --status-addr 127.0.0.1:$((sport + 1)) \
	--data-dir run/scheduler --log-file run/tinykv-scheduler.log &
pids="$pids $!"
wait_ready tinykv-scheduler $! run/tinykv-scheduler.log
./src/store/tinykvd --listen 127.0.0.1:$port --status-addr 127.0.0.1:$status \
	--data-dir run/data --log-file run/tinykvd.log &
pids="$pids $!"
wait_ready tinykvd $! run/tinykvd.log
echo "tinykvd is up on 127.0.0.1:$port (status: http://127.0.0.1:$status/status, log: run/tinykvd.log)"
echo "tinykv-scheduler is up on 127.0.0.1:$sport (timestamps for transactions; log: run/tinykv-scheduler.log)"
echo "type 'help'; 'begin' starts a transaction"
./src/cli/tinykv-cli -a 127.0.0.1:$port -s 127.0.0.1:$sport "$@"
