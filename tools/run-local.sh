#!/bin/sh
# Set up, build and start a local tinykv on loopback (tinykv-scheduler and a
# tinykvd store of its cluster, which bootstraps it on the first run), wait
# until the store leads its region, then open tinykv-cli on it.  Data dirs
# live under the working tree (./run/, or $TINYKV_RUN_DIR); the daemons stop
# when the shell exits.
#
# Environment: TINYKV_BUILDDIR (use binaries built there, skip set-up and
# build), TINYKV_RUN_DIR (data and logs, default ./run), TINYKV_PORT (tinykvd, default 20160), TINYKV_STATUS_PORT
# (its /status, 20180), TINYKV_SCHEDULER_PORT (2379; its status is the next
# port).  A second run while the first is up, or a port in use, is refused
# with a message.  Ctrl-C at the shell prompt cancels the line; it never
# reaches the daemons (they run in their own session).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ -n "${TINYKV_BUILDDIR:-}" ]; then
	bin=$TINYKV_BUILDDIR # already built there (the tests use this)
else
	bin=$top
	tools/setup-deps.sh
	[ -x configure ] || { echo "autoreconf ..."; autoreconf -fi; }
	[ -f Makefile ] || { echo "configure ..."; ./configure -q; }
	echo "building (make -j$(nproc)) ..."
	make -j"$(nproc)" 2>&1 | grep -E '^(make|[^ ]*: (error|warning))' | grep -v 'Nothing to be done' || true
	[ -x src/store/tinykvd ] || { echo "build failed: run make to see why" >&2; exit 1; }
fi
run=${TINYKV_RUN_DIR:-run}
mkdir -p "$run"
port=${TINYKV_PORT:-20160}
status=${TINYKV_STATUS_PORT:-20180}
sport=${TINYKV_SCHEDULER_PORT:-2379}
pids=
trap 'rc=$?; [ -z "$pids" ] || { kill $pids 2>/dev/null; wait $pids 2>/dev/null; }; exit $rc' EXIT
trap 'exit 130' TERM HUP

# refuse to start over a running instance or a taken port: the new daemons
# would die on the data-dir lock or the bind, and the shell would talk to
# the old ones
for d in "$run/store1" "$run/scheduler"; do
	if [ -f "$d/LOCK" ] && pid=$(cat "$d/LOCK" 2>/dev/null) && [ -n "$pid" ] &&
		kill -0 "$pid" 2>/dev/null; then
		echo "run-local: tinykv is already running on $d (pid $pid); stop it first" >&2
		exit 1
	fi
done
for p in $port $status $sport $((sport + 1)); do
	if ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
		echo "run-local: port $p is in use; set TINYKV_PORT, TINYKV_STATUS_PORT or TINYKV_SCHEDULER_PORT" >&2
		exit 1
	fi
done

# wait_ready NAME PID LOG: poll the new daemon's own log (started empty)
# for its ready line, while the process lives
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

: >"$run/tinykv-scheduler.log"
: >"$run/tinykvd.log"
setsid "$bin/src/schedd/tinykv-scheduler" --listen 127.0.0.1:$sport --status-addr 127.0.0.1:$((sport + 1)) \
	--data-dir "$run/scheduler" --log-file "$run/tinykv-scheduler.log" &
pids="$pids $!"
wait_ready tinykv-scheduler $! "$run/tinykv-scheduler.log"
# (a ./run/data of an older run-local was a standalone store's: it cannot
# join a cluster, so the store lives in run/store1)
setsid "$bin/src/store/tinykvd" --listen 127.0.0.1:$port --status-addr 127.0.0.1:$status \
	--data-dir "$run/store1" --scheduler 127.0.0.1:$sport --log-file "$run/tinykvd.log" &
pids="$pids $!"
wait_ready tinykvd $! "$run/tinykvd.log"
# the scheduler learns the region's leader from the store's first region
# heartbeat, which follows the ready line at once
i=0
until "$bin/src/cli/tinykv-cli" -s 127.0.0.1:$sport region list 2>/dev/null | grep -q ' leader [0-9]'; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "the scheduler does not know the region's leader; see $run/tinykvd.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "tinykvd is up on 127.0.0.1:$port (status: http://127.0.0.1:$status/status, log: $run/tinykvd.log)"
echo "tinykv-scheduler is up on 127.0.0.1:$sport (the cluster: store list, region list; timestamps; log: $run/tinykv-scheduler.log)"
echo "type 'help'; 'begin' starts a transaction"
echo "binaries: $bin/src/store/tinykvd, $bin/src/schedd/tinykv-scheduler, $bin/src/cli/tinykv-cli"
# the shell handles Ctrl-C itself (cancel the line); this script survives it
# (and a one-shot command can still be interrupted: SIGINT is not ignored)
trap : INT
"$bin/src/cli/tinykv-cli" -a 127.0.0.1:$port -s 127.0.0.1:$sport "$@"
