#!/bin/sh
# Set up, build and start a local tinykv cluster on loopback: tinykv-scheduler
# and three tinykvd stores (TINYKV_STORES), store N on 127.0.0.N, the first
# of which bootstraps the cluster on the first run; wait until the region has
# a replica on every store and a leader (as the scheduler's region info says),
# then open tinykv-cli on the leader.  Data dirs and logs live under the
# working tree (./run/, or $TINYKV_RUN_DIR); the daemons stop when the shell
# exits.
#
# Environment: TINYKV_BUILDDIR (use binaries built there, skip set-up and
# build), TINYKV_RUN_DIR (data and logs, default ./run), TINYKV_STORES (1 to
# 9, default 3; 1 runs a single store, a region with one replica),
# TINYKV_PORT (every store's port, each on its own address, default 20160),
# TINYKV_STATUS_PORT (their /status, 20180), TINYKV_SCHEDULER_PORT (2379,
# on 127.0.0.1; its status is the next port), TINYKV_REPLICA_WAIT (seconds
# to wait for the replicas, default 30; on timeout it says what it saw and
# exits 1).  A second run while the first is up, or a port in use, is
# refused with a message.  Ctrl-C at the shell prompt cancels the line; it
# never reaches the daemons (they run in their own session).
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
stores=${TINYKV_STORES:-3}
replica_wait=${TINYKV_REPLICA_WAIT:-30}
case $stores in [1-9]) ;; *) echo "run-local: TINYKV_STORES must be 1 to 9" >&2; exit 2 ;; esac
case $replica_wait in '' | *[!0-9]*) echo "run-local: TINYKV_REPLICA_WAIT must be a number of seconds" >&2; exit 2 ;; esac
cli="$bin/src/cli/tinykv-cli"
pids=
trap 'rc=$?; [ -z "$pids" ] || { kill $pids 2>/dev/null; wait $pids 2>/dev/null; }; exit $rc' EXIT
trap 'exit 130' TERM HUP

# refuse to start over a running instance or a taken port: the new daemons
# would die on the data-dir lock or the bind, and the shell would talk to
# the old ones
for d in "$run/scheduler" $(seq -f "$run/store%.0f" 1 "$stores"); do
	if [ -f "$d/LOCK" ] && pid=$(cat "$d/LOCK" 2>/dev/null) && [ -n "$pid" ] &&
		kill -0 "$pid" 2>/dev/null; then
		echo "run-local: tinykv is already running on $d (pid $pid); stop it first" >&2
		exit 1
	fi
done
# (any address: a listener on 0.0.0.0 takes the port on every 127.0.0.N)
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

# the region's line in the scheduler's region info ("region 2 [-inf, +inf)
# epoch 1/1 peers 3@1*,5@2,6@3 leader 3 (store 1 127.0.0.1:20160) ...")
region_line() { "$cli" -s 127.0.0.1:$sport region list 2>/dev/null | grep '^region ' | head -n 1; }
replicas() { region_line | sed -n 's/.* peers \([^ ]*\) .*/\1/p' | tr ',' '\n' | grep -c . || true; }

: >"$run/tinykv-scheduler.log"
setsid "$bin/src/schedd/tinykv-scheduler" --listen 127.0.0.1:$sport --status-addr 127.0.0.1:$((sport + 1)) \
	--data-dir "$run/scheduler" --log-file "$run/tinykv-scheduler.log" &
pids="$pids $!"
wait_ready tinykv-scheduler $! "$run/tinykv-scheduler.log"
# Store N on 127.0.0.N, all on the same ports: a store's peer connections
# leave from its own address, so that one can be cut off by address.  (A
# ./run/data of an older run-local was a standalone store's: it cannot join
# a cluster, so store N lives in run/storeN.)
n=1
while [ $n -le "$stores" ]; do
	log=$run/tinykvd$n.log
	: >"$log"
	setsid "$bin/src/store/tinykvd" --listen 127.0.0.$n:$port --status-addr 127.0.0.$n:$status \
		--data-dir "$run/store$n" --scheduler 127.0.0.1:$sport --log-file "$log" &
	pids="$pids $!"
	wait_ready tinykvd $! "$log"
	if [ $n = 1 ]; then
		# the first store bootstraps the cluster on the first run; the
		# scheduler learns the region's leader from its first region
		# heartbeat, which follows the ready line at once; the others
		# join only then, so that the first one is the one that bootstraps
		i=0
		until region_line | grep -q ' leader [0-9]'; do
			i=$((i + 1))
			if [ $i -gt 100 ]; then
				echo "the scheduler does not know the region's leader; see $log" >&2
				exit 1
			fi
			sleep 0.1
		done
	fi
	n=$((n + 1))
done
# a replica on every store, and a leader: the scheduler adds the missing
# peers itself (replica repair), one conf change at a time; none of them
# pending (still catching up) or down; and the leader the scheduler names
# serves a read (right after a restart its view can name the old leader)
leader_of() { printf '%s\n' "$1" | sed -n 's/.* leader [0-9]* (store [0-9]* \([^)]*\)).*/\1/p'; }
ready() {
	l=$(region_line)
	leader=$(leader_of "$l")
	leader_note=""
	[ "$(replicas)" -ge "$stores" ] && [ -n "$leader" ] &&
		! printf '%s\n' "$l" | grep -q ' pending ' && {
		rc=0
		"$cli" -a "$leader" get run-local:probe >/dev/null 2>&1 || rc=$?
		[ $rc -le 1 ] || leader_note=" (it did not serve a read)"
		[ $rc -le 1 ] # found or not found, not an error
	}
}
i=0
until ready; do
	i=$((i + 1))
	if [ $i -gt $((replica_wait * 10)) ]; then
		echo "run-local: after $replica_wait s the region has $(replicas) replica(s) of $stores, leader ${leader:-unknown}$leader_note (TINYKV_STORES=$stores)" >&2
		echo "run-local: the scheduler's region info: $(region_line)" >&2
		echo "run-local: the scheduler's stores:" >&2
		"$cli" -s 127.0.0.1:$sport store list 2>&1 | sed 's/^/  /' >&2
		echo "run-local: see the logs in $run/ (TINYKV_STORES=1 runs one store)" >&2
		exit 1
	fi
	sleep 0.1
done
n=1
while [ $n -le "$stores" ]; do
	log=$run/tinykvd$n.log
	echo "tinykvd is up on 127.0.0.$n:$port (status: http://127.0.0.$n:$status/status, log: $log)"
	n=$((n + 1))
done
echo "the region: $(region_line)"
echo "tinykv-scheduler is up on 127.0.0.1:$sport (the cluster: store list, region list; timestamps; log: $run/tinykv-scheduler.log)"
echo "type 'help'; 'begin' starts a transaction; the shell is on the region's leader, $leader"
echo "binaries: $bin/src/store/tinykvd, $bin/src/schedd/tinykv-scheduler, $bin/src/cli/tinykv-cli"
# the shell handles Ctrl-C itself (cancel the line); this script survives it
# (and a one-shot command can still be interrupted: SIGINT is not ignored)
trap : INT
"$cli" -a "$leader" -s 127.0.0.1:$sport "$@"
