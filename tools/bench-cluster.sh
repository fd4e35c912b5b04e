#!/bin/bash
# `make bench-cluster`: a 3-store tinykv cluster against a 3-member etcd on
# this machine, in the same run, under the same load (figures, never
# pass/fail).
#
#  - tinykv: tinykv-scheduler and three tinykvd stores (--sync on), each on
#    its own loopback address (127.0.0.20 for the scheduler, .21-.23 for the
#    stores); the first store bootstraps the cluster, the other two join it.
#    The load goes to the region's leader, as the scheduler's region info
#    names it.  The script waits up to BENCH_REPLICA_WAIT seconds for the
#    region to have three replicas; a build that does not replicate yet
#    never gets there, and its figures are labelled "1 replica".
#  - etcd: three etcd members (Debian's etcd-server, fsync on, as always) on
#    127.0.0.31-.33; the load goes to the leader too (a follower would
#    forward each request to it: one more hop than tinykv pays).
#
# Load: 16-byte keys ("key:" + 12 digits, uniform over BENCH_KEYSPACE),
# 100-byte values; closed loop, N clients each with its own connection and
# one request in flight: puts at 1, 16 and 64 clients, linearizable gets at
# 64 (etcd's default, serializable=false: ReadIndex; tinykv's reads are
# linearizable by default) on a keyspace written once beforehand.  tinykv is
# driven by tinykv-bench -c N -P 1, etcd by tools/etcd-bench (the same
# design over etcd's own Go client, clientv3 over gRPC, built here offline
# against Debian's golang-etcd-server-dev).  The two systems take turns
# workload by workload, so that both see the same machine.
#
# Reported per run: throughput, p50, p99, and the CPU time (user + system,
# all threads, from /proc/PID/stat) per 1,000 requests summed over the
# servers: the three stores for tinykv (the scheduler apart, in a note: it
# is off the request path), the three members for etcd; then the ratios
# against the targets of issue 9: put at 64 clients >= 4x etcd, get at 64
# clients >= 5x etcd, put p99 at 16 clients <= 0.5x etcd, CPU per
# replicated put (64 clients, summed over the three stores) <= 50 us.
# The table is printed and written to bench-cluster.txt in the build dir.
#
# Everything runs on loopback in a temporary directory and is killed on
# exit; every wait has a deadline.  A broken run (a server that does not
# start, a benchmark that fails) exits non-zero.
#
# Environment: BENCH_SECONDS (per run, default 10), BENCH_KEYSPACE (10000),
# BENCH_VALUE_SIZE (100), BENCH_BIN_DIR (the build directory, default the
# current one), BENCH_SYSTEMS ("tinykv etcd", or one of them),
# BENCH_REPLICA_WAIT (seconds to wait for three replicas, default 20),
# BENCH_TINYKVD_FLAGS (extra tinykvd options, split on spaces),
# BENCH_ETCD_CONNS (etcd-bench -conns: gRPC connections the clients share;
# default 0, one per client, as tinykv-bench opens one per client).
set -eu

secs=${BENCH_SECONDS:-10}
keys=${BENCH_KEYSPACE:-10000}
vsize=${BENCH_VALUE_SIZE:-100}
systems=${BENCH_SYSTEMS:-tinykv etcd}
replica_wait=${BENCH_REPLICA_WAIT:-20}
etcd_conns=${BENCH_ETCD_CONNS:-0}
kvflags=${BENCH_TINYKVD_FLAGS:-}
bindir=$(cd "${BENCH_BIN_DIR:-$(pwd)}" && pwd)
srcdir=$(cd "$(dirname "$0")/.." && pwd)
bench=$bindir/src/bench/tinykv-bench
tinykvd=$bindir/src/store/tinykvd
scheduler=$bindir/src/schedd/tinykv-scheduler
cli=$bindir/src/cli/tinykv-cli
report=$bindir/bench-cluster.txt
# the etcd client and its Go build cache live in the build dir
work=$bindir/bench-cluster.d
etcd_bench=$work/etcd-bench

say() { printf 'bench-cluster: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 1
}

case $secs in '' | *[!0-9]* | 0) die "BENCH_SECONDS must be a positive integer" ;; esac
case $keys in '' | *[!0-9]* | 0) die "BENCH_KEYSPACE must be a positive integer" ;; esac
case $replica_wait in '' | *[!0-9]*) die "BENCH_REPLICA_WAIT must be a number of seconds" ;; esac
case $etcd_conns in '' | *[!0-9]*) die "BENCH_ETCD_CONNS must be a number" ;; esac
run_kv=false run_etcd=false
for s in $systems; do
	case $s in
	tinykv) run_kv=true ;;
	etcd) run_etcd=true ;;
	*) die "BENCH_SYSTEMS: unknown system $s (tinykv, etcd)" ;;
	esac
done
if $run_kv; then
	for f in "$bench" "$tinykvd" "$scheduler" "$cli"; do
		[ -x "$f" ] || die "$f not built (run make first, or set BENCH_BIN_DIR)"
	done
fi

# ---- etcd and its client ------------------------------------------------------
etcd_pkgs="etcd-server etcd-client golang-go golang-etcd-server-dev"
if $run_etcd; then
	missing=""
	for p in $etcd_pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		[ "$(id -u)" = 0 ] || die "missing:$missing; as root run: apt-get install -y$missing (or tools/setup-deps.sh --bench)"
		say "installing$missing"
		export DEBIAN_FRONTEND=noninteractive
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $missing >&2 ||
			{ apt-get update -q >&2 && apt-get install -y -q --no-install-recommends $missing >&2; } ||
			die "apt-get install$missing failed"
	fi
	# GOPATH mode against the sources Debian ships in /usr/share/gocode:
	# no module download, no network
	# rebuilt when the source's content changes (a checkout or a rebase
	# touches its time, not always its content)
	src=$srcdir/tools/etcd-bench/main.go
	sum=$(sha1sum <"$src")
	if [ ! -x "$etcd_bench" ] || [ "$(cat "$etcd_bench.src" 2>/dev/null)" != "$sum" ]; then
		say "building $etcd_bench (Go, offline; the first build takes a minute or two)"
		mkdir -p "$work"
		(cd "$srcdir/tools/etcd-bench" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS='' \
			GOCACHE=$work/gocache GOTOOLCHAIN=local timeout 900 nice -n 10 \
			go build -o "$etcd_bench" main.go) >&2 || die "go build of tools/etcd-bench failed"
		echo "$sum" >"$etcd_bench.src"
	fi
fi

# ---- processes and clean-up ---------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tinykv-bench-cluster.XXXXXX")
pids=""
cleanup() {
	local p n=50
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	# give them 5 s to stop, then SIGKILL: the clean-up must not hang
	while [ $n -gt 0 ]; do
		local alive=""
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 0.1
		n=$((n - 1))
	done
	for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

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

# A free TCP port in $port (checked, then bound by its server: a race
# with another program is possible, and then that server fails to start).
ports_given=""
free_port() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		case " $ports_given " in *" $port "*) continue ;; esac
		ss -Htln "sport = :$port" 2>/dev/null | grep -q . && continue
		ports_given="$ports_given $port"
		return 0
	done
	die "no free port found"
}

# CPU time (user + system, all threads) of the processes $@ in microseconds.
tck=$(getconf CLK_TCK)
cpu_us() {
	local p sum=0 t
	for p in "$@"; do
		t=$(awk -v t="$tck" '{ printf "%.0f\n", ($14 + $15) * 1e6 / t }' "/proc/$p/stat") ||
			die "process $p is gone"
		sum=$((sum + t))
	done
	echo "$sum"
}

# CPU time of this shell's waited-for children (the benchmark client, run
# in a command substitution's subshell, and its helpers) in microseconds:
# on a small machine the client's cost shares the cores with the servers.
child_cpu_us() { # sets child_cpu (a function: $(...) would count its own children)
	local f=$tmp/times.$BASHPID
	times >"$f"
	child_cpu=$(awk 'NR == 2 {
		split($1, u, /[ms]/); split($2, s, /[ms]/)
		printf "%.0f\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1e6 }' "$f")
}

# First number after "KEY": in a JSON file (the top-level one comes first;
# the first "p50" is the latency over all requests).
json_num() { grep -o "\"$1\":[0-9.e+-]*" "$2" | head -n1 | cut -d: -f2; }

# ---- tinykv -------------------------------------------------------------------
sched_addr="" sched_pid="" kv_leader_n=""
kv_pids=() kv_addrs=() kv_leader="" kv_replicas=0

# Start a daemon whose log says "NAME ready ... listen=ADDR"; prints the
# address.  $1 name, $2 log, the rest the command.
start_daemon() {
	local name=$1 log=$2 line
	shift 2
	"$@" &
	last_pid=$!
	pids="$pids $last_pid"
	wait_for 100 grep -q "$name ready" "$log" 2>/dev/null ||
		die "$name did not start in 10 s: $(tail -n 5 "$log" 2>/dev/null)"
	line=$(grep -m1 "$name ready" "$log")
	last_addr=$(printf '%s\n' "$line" | sed -n 's/.* listen=\([^ ]*\).*/\1/p')
	[ -n "$last_addr" ] || die "cannot parse: $line"
}

region_line() { "$cli" -s "$sched_addr" region list 2>/dev/null | grep '^region ' | head -n1; }
region_has_leader() { region_line | grep -q ' leader [0-9]'; }
# three peers, a leader, none of them pending (still catching up) or down
region_has_3() {
	local l
	l=$(region_line)
	printf '%s\n' "$l" | grep -Eq ' peers [0-9]+@[0-9]+\*?,[0-9]+@[0-9]+\*?,[0-9]+@[0-9]+\*? leader [0-9]' &&
		! printf '%s\n' "$l" | grep -q ' pending '
}
leader_addr() { region_line | sed -n 's/.* leader [0-9]* (store [0-9]* \([^)]*\)).*/\1/p'; }
# the leader the scheduler names serves a read (get: 0 found, 1 not found)
leader_serves() {
	local a rc=0
	a=$(leader_addr)
	[ -n "$a" ] || return 1
	"$cli" -a "$a" get bench-cluster:probe >/dev/null 2>&1 || rc=$?
	[ $rc -le 1 ]
}

start_tinykv() {
	local i
	start_daemon tinykv-scheduler "$tmp/scheduler.log" "$scheduler" --listen 127.0.0.20:0 \
		--status-addr off --data-dir "$tmp/scheduler" --log-file "$tmp/scheduler.log"
	sched_addr=$last_addr sched_pid=$last_pid
	for i in 1 2 3; do
		# shellcheck disable=SC2086
		start_daemon tinykvd "$tmp/store$i.log" "$tinykvd" --listen "127.0.0.2$i:0" \
			--status-addr "127.0.0.2$i:0" --data-dir "$tmp/store$i" --sync on \
			--scheduler "$sched_addr" --log-file "$tmp/store$i.log" $kvflags
		kv_pids+=("$last_pid")
		kv_addrs+=("$last_addr")
		# the first store bootstraps the cluster: wait for its region's
		# leader before the others join, so that it is the one that does
		[ "$i" = 1 ] && { wait_for 100 region_has_leader ||
			die "the scheduler does not know the region's leader after 10 s: $(region_line)"; }
	done
	if wait_for $((replica_wait * 10)) region_has_3; then
		kv_replicas=3
	else
		kv_replicas=$(region_line | sed -n 's/.* peers \([^ ]*\) .*/\1/p' | tr ',' '\n' | grep -c .)
		say "the region has $kv_replicas replica(s) after ${replica_wait} s, not 3: $(region_line)"
		say "(this tinykvd does not replicate yet: its figures are for $kv_replicas replica(s))"
	fi
	wait_for 100 leader_serves || die "the leader does not serve reads after 10 s: $(region_line)"
	kv_leader=$(leader_addr)
	kv_leader_n=$(printf '%s\n' "${kv_addrs[@]}" | grep -nx "$kv_leader" | cut -d: -f1)
	say "tinykv: scheduler $sched_addr, stores ${kv_addrs[*]}, leader $kv_leader, $kv_replicas replica(s)"
}

# tinykv-bench against the leader, closed loop: $1 put|get, $2 clients, $3
# tag.  Prints result_line's fields (aside: the scheduler's CPU).
tinykv_run() { # (in a subshell: child_cpu_us counts its client only)
	local type=$1 c=$2 out=$tmp/tinykv-$3.json c0 c1 s0 s1 k0 k1 p per0=() per1=()
	for p in "${kv_pids[@]}"; do per0+=("$(cpu_us "$p")"); done
	c0=$(cpu_us "${kv_pids[@]}")
	s0=$(cpu_us "$sched_pid")
	child_cpu_us
	k0=$child_cpu
	timeout $((secs * 2 + 120)) "$bench" -a "$kv_leader" -t "$type" -c "$c" -P 1 -k "$keys" \
		-d "$vsize" -D "$secs" --json -q >"$out" ||
		die "tinykv-bench -t $type -c $c failed: $(cat "$out")"
	child_cpu_us
	k1=$child_cpu
	c1=$(cpu_us "${kv_pids[@]}")
	for p in "${kv_pids[@]}"; do per1+=("$(cpu_us "$p")"); done
	s1=$(cpu_us "$sched_pid")
	# each store's share, for the report (this runs in a subshell)
	for p in 0 1 2; do
		awk -v d=$((per1[p] - per0[p])) -v n="$(json_num requests "$out")" \
			'BEGIN { printf "%.1f ", (n > 0 ? d / n : 0) }'
	done >"$tmp/tinykv-$3.per-store"
	result_line "$out" $((c1 - c0)) $((s1 - s0)) $((k1 - k0))
}

# ---- etcd ---------------------------------------------------------------------
etcd_pids=() etcd_eps="" etcd_leader="" etcd_version=""

etcd_status() {
	timeout 10 etcdctl --endpoints="$etcd_eps" --dial-timeout=2s --command-timeout=5s \
		endpoint status -w simple 2>/dev/null
}
etcd_leader_ep() { etcd_status | awk -F', ' '$5 == "true" { print $1; exit }'; }
etcd_healthy() {
	timeout 10 etcdctl --endpoints="$etcd_eps" --dial-timeout=2s --command-timeout=5s \
		endpoint health >/dev/null 2>&1 && [ -n "$(etcd_leader_ep)" ]
}

start_etcd() {
	local i ip cport pport cluster="" urls=()
	etcd_version=$(etcd --version | sed -n 's/^etcd Version: //p')
	for i in 1 2 3; do
		ip=127.0.0.3$i
		free_port
		cport=$port
		free_port
		pport=$port
		urls[i]="$cport $pport"
		cluster="$cluster${cluster:+,}m$i=http://$ip:$pport"
		etcd_eps="$etcd_eps${etcd_eps:+,}$ip:$cport"
	done
	for i in 1 2 3; do
		ip=127.0.0.3$i
		read -r cport pport <<<"${urls[$i]}"
		etcd --name "m$i" --data-dir "$tmp/etcd$i" \
			--listen-client-urls "http://$ip:$cport" --advertise-client-urls "http://$ip:$cport" \
			--listen-peer-urls "http://$ip:$pport" --initial-advertise-peer-urls "http://$ip:$pport" \
			--initial-cluster "$cluster" --initial-cluster-state new \
			--initial-cluster-token tinykv-bench-cluster --logger zap \
			--log-outputs "$tmp/etcd$i.log" >"$tmp/etcd$i.out" 2>&1 &
		pids="$pids $!"
		etcd_pids+=("$!")
	done
	wait_for 300 etcd_healthy ||
		die "etcd did not become healthy with a leader in 30 s: $(tail -n 3 "$tmp"/etcd1.log) $(etcd_status)"
	etcd_leader=$(etcd_leader_ep)
	say "etcd $etcd_version: members $etcd_eps, leader $etcd_leader"
}

# etcd-bench against the leader: as tinykv_run.
etcd_run() {
	local type=$1 c=$2 out=$tmp/etcd-$3.json c0 c1 k0 k1
	c0=$(cpu_us "${etcd_pids[@]}")
	child_cpu_us
	k0=$child_cpu
	timeout $((secs * 2 + 120)) "$etcd_bench" -endpoints "$etcd_leader" -t "$type" -c "$c" \
		-conns "$etcd_conns" -k "$keys" -d "$vsize" -D "${secs}s" >"$out" ||
		die "etcd-bench -t $type -c $c failed: $(cat "$out")"
	# clientv3's Get is linearizable unless WithSerializable: say so
	[ "$type" != get ] || grep -q '"linearizable":true' "$out" ||
		die "etcd-bench's gets were not linearizable: $(cat "$out")"
	child_cpu_us
	k1=$child_cpu
	c1=$(cpu_us "${etcd_pids[@]}")
	result_line "$out" $((c1 - c0)) 0 $((k1 - k0))
}

# "ops/s p50_ms p99_ms errors cpu_ms_per_1000 aside_ms_per_1000
# client_ms_per_1000" from a JSON result $1 and CPU microseconds $2
# (servers), $3 (aside) and $4 (the client).
result_line() {
	local out=$1
	awk -v ops="$(json_num ops_per_sec "$out")" -v p50="$(json_num p50 "$out")" \
		-v p99="$(json_num p99 "$out")" -v err="$(json_num errors "$out")" \
		-v n="$(json_num requests "$out")" -v cpu="$2" -v aside="$3" -v cl="$4" 'BEGIN {
		printf "%.0f %.3f %.3f %d %.1f %.1f %.1f\n", ops, p50 / 1000, p99 / 1000, err,
			(n > 0 ? cpu / n : 0), (n > 0 ? aside / n : 0), (n > 0 ? cl / n : 0) }'
}

# ---- the runs -------------------------------------------------------------------
# the machine's load, before and after: other work on it moves the figures
load0=$(cut -d' ' -f1-3 /proc/loadavg)
$run_kv && start_tinykv
$run_etcd && start_etcd

# the keyspace written once, so that the gets find their keys
if $run_kv; then
	timeout $((keys / 100 + 120)) "$bench" -a "$kv_leader" -t get -n 1 --preload -c 16 -P 16 \
		-k "$keys" -d "$vsize" -q >/dev/null || die "tinykv-bench --preload failed"
fi
if $run_etcd; then
	timeout $((keys / 50 + 120)) "$etcd_bench" -endpoints "$etcd_leader" -t get -c 64 -k "$keys" \
		-d "$vsize" -D 0s -preload >/dev/null || die "etcd-bench -preload failed"
fi

# CPU the idle servers burn (heartbeats, timers), for reading the cpu
# column at low throughput: ms per second over 2 s
idle_secs=2
kv_idle=- etcd_idle=-
i0=$($run_kv && cpu_us "${kv_pids[@]}" || echo 0)
e0=$($run_etcd && cpu_us "${etcd_pids[@]}" || echo 0)
sleep $idle_secs
$run_kv && kv_idle=$(( ($(cpu_us "${kv_pids[@]}") - i0) / 1000 / idle_secs ))
$run_etcd && etcd_idle=$(( ($(cpu_us "${etcd_pids[@]}") - e0) / 1000 / idle_secs ))

workloads="put:1 put:16 put:64 get:64"
declare -A res
for w in $workloads; do
	t=${w%:*} c=${w#*:}
	if $run_kv; then
		say "tinykv $t, $c clients, ${secs} s"
		res[kv:$w]=$(tinykv_run "$t" "$c" "$t-$c")
	fi
	if $run_etcd; then
		say "etcd $t, $c clients, ${secs} s"
		res[etcd:$w]=$(etcd_run "$t" "$c" "$t-$c")
	fi
done

# ---- report -------------------------------------------------------------------
etcd_conns_arg=""
[ "$etcd_conns" = 0 ] || etcd_conns_arg=" -conns $etcd_conns"
field() { # system workload index (1 ops, 2 p50, 3 p99, 4 errors, 5 cpu, 6 aside, 7 client)
	local v=${res[$1:$2]:-}
	[ -n "$v" ] && echo "$v" | awk -v i="$3" '{ print $i }' || echo -
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%.2f\n", a / b }'; }
verdict() { # value op target
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		if (v == "-") { print "-"; exit }
		ok = (op == ">=") ? v >= t : v <= t
		print ok ? "yes" : "NO" }'
}

kv_label="tinykv, 3 stores"
$run_kv && [ "$kv_replicas" != 3 ] &&
	kv_label="tinykv, 3 stores, region NOT replicated ($kv_replicas replica)"
{
	echo "bench-cluster: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores (load average $load0 before, $(cut -d' ' -f1-3 /proc/loadavg) after), loopback, sync on"
	if $run_kv; then
		echo "  tinykv: $kv_label; load on the leader $kv_leader"
	else
		echo "  tinykv: not run"
	fi
	if $run_etcd; then
		echo "  etcd:   etcd $etcd_version, 3 members; load on the leader $etcd_leader"
	else
		echo "  etcd:   not run"
	fi
	echo "  closed loop (each client: one connection, one request in flight), 16-byte keys uniform over $keys (written once first), ${vsize}-byte values, ${secs} s per run"
	echo "  cpu: ms of user+system time per 1,000 requests, summed over the 3 stores (tinykv) / the 3 members (etcd);"
	echo "  client: the same for the benchmark client (tinykv-bench, C; etcd-bench, Go), which shares the cores;"
	echo "  idle servers: tinykv $kv_idle ms/s, etcd $etcd_idle ms/s (included in cpu: it weighs at 1 client)"
	echo
	printf '%-9s %7s | %9s %7s %7s %6s %6s %4s | %9s %7s %7s %6s %6s %4s\n' workload clients \
		"tinykv/s" "p50 ms" "p99 ms" "cpu" "client" "errs" "etcd/s" "p50 ms" "p99 ms" "cpu" \
		"client" "errs"
	for w in $workloads; do
		t=${w%:*} c=${w#*:}
		[ "$t" = get ] && t="get(lin)"
		printf '%-9s %7s | %9s %7s %7s %6s %6s %4s | %9s %7s %7s %6s %6s %4s\n' "$t" "$c" \
			"$(field kv "$w" 1)" "$(field kv "$w" 2)" "$(field kv "$w" 3)" "$(field kv "$w" 5)" \
			"$(field kv "$w" 7)" "$(field kv "$w" 4)" "$(field etcd "$w" 1)" \
			"$(field etcd "$w" 2)" "$(field etcd "$w" 3)" "$(field etcd "$w" 5)" \
			"$(field etcd "$w" 7)" "$(field etcd "$w" 4)"
	done
	if $run_kv; then
		echo "  tinykv cpu by store (ms per 1,000 requests; store 1, 2, 3; the leader is store $kv_leader_n):" \
			"$(for w in $workloads; do printf ' %s=%s' "$w" "$(tr ' ' / <"$tmp/tinykv-${w/:/-}.per-store" | sed 's,/$,,')"; done)"
		echo "  tinykv-scheduler, off the request path: cpu ms per 1,000 requests" \
			"$(for w in $workloads; do printf ' %s=%s' "$w" "$(field kv "$w" 6)"; done)"
	fi
	echo
	echo "targets (issue 9)"
	r=$(ratio "$(field kv put:64 1)" "$(field etcd put:64 1)")
	printf '  %-44s %8s  target >= 4     %s\n' "put throughput at 64 clients, tinykv/etcd" "$r" "$(verdict "$r" '>=' 4)"
	r=$(ratio "$(field kv get:64 1)" "$(field etcd get:64 1)")
	printf '  %-44s %8s  target >= 5     %s\n' "get throughput at 64 clients, tinykv/etcd" "$r" "$(verdict "$r" '>=' 5)"
	r=$(ratio "$(field kv put:16 3)" "$(field etcd put:16 3)")
	printf '  %-44s %8s  target <= 0.5   %s\n' "put p99 at 16 clients, tinykv/etcd" "$r" "$(verdict "$r" '<=' 0.5)"
	r=$(field kv put:64 5)
	printf '  %-44s %8s  target <= 50    %s\n' "cpu us per put at 64 clients, 3 stores" "$r" "$(verdict "$r" '<=' 50)"
	[ "$kv_replicas" = 3 ] || ! $run_kv ||
		echo "  (tinykv's region had $kv_replicas replica: these are not replicated figures)"
	echo
	echo "commands: tinykv-bench -a LEADER -t put|get -c 1|16|64 -P 1 -k $keys -d $vsize -D $secs --json -q"
	echo "          etcd-bench -endpoints LEADER -t put|get -c 1|16|64${etcd_conns_arg} -k $keys -d $vsize -D ${secs}s"
	echo "          (preload: tinykv-bench -t get -n 1 --preload -c 16 -P 16; etcd-bench -t get -c 64 -D 0s -preload)"
} | tee "$report"
say "written to $report"
