# Helpers for tests of a replicated cluster on real processes: a
# tinykv-scheduler and tinykvd stores joined to it (t/replicate.t,
# t/raft-partition.t, t/store-move.t).  Source after lib.sh and sched-lib.sh.
#
# Stores are named s1, s2, ...; tkc_start_store NAME IP starts one listening
# on IP (a 127.0.0.x address, so that nftables can cut stores apart by
# address: their raft links leave from the same address).

TKC_STORES=()
TKC_HB=(--heartbeat-interval 200ms)

# tkc_start_sched [ARGS...]: the scheduler "pd", fast to repair and balance.
tkc_start_sched() {
	tks_start pd --schedule-interval 100 "$@"
}

# tkc_start_store NAME IP [ARGS...]
tkc_start_store() {
	local name=$1 ip=$2
	shift 2
	TKC_STORES+=("$name")
	tk_start "$name" --listen "$ip:0" --scheduler "${TK_ADDR[pd]}" "${TKC_HB[@]}" "$@"
}

tkc_status_num() { tk_http "$1" /status | grep -o "\"$2\":[0-9]*" | head -n 1 | cut -d: -f2; }
tkc_role() { tk_http "$1" /status | grep -o '"raft_role":"[a-z_-]*"' | cut -d'"' -f4; }

# tkc_leader: the name of the live store whose peer leads (empty: none).
tkc_leader() {
	local n
	for n in "${TKC_STORES[@]}"; do
		tk_alive "$n" || continue
		if [ "$(tkc_role "$n")" = leader ]; then
			echo "$n"
			return 0
		fi
	done
	return 1
}

# tkc_wait_leader SECONDS: wait for a leader; prints its name.
tkc_wait_leader() {
	local deadline=$(($(date +%s) + $1)) l
	while [ "$(date +%s)" -lt "$deadline" ]; do
		l=$(tkc_leader) && { echo "$l"; return 0; }
		sleep 0.1
	done
	return 1
}

# tkc_peers: the peer count of the (one) region, as the scheduler sees it.
tkc_peers() {
	"$TKCLI" -s "${TK_ADDR[pd]}" region list 2>/dev/null | grep -m1 '^region ' |
		sed -n 's/.* peers \([^ ]*\) .*/\1/p' | tr ',' '\n' | grep -c '@'
}

# tkc_wait_replicas N SECONDS: until the region has N peers and every live
# store that holds one applied as far as the leader committed.
tkc_wait_replicas() {
	local want=$1 deadline=$(($(date +%s) + $2))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		[ "$(tkc_peers)" = "$want" ] && return 0
		sleep 0.2
	done
	return 1
}

# tkc_converged SECONDS NAMES...: every named store applied the same index,
# the leader's commit.
tkc_converged() {
	local deadline=$(($(date +%s) + $1)) n a first ok
	shift
	while [ "$(date +%s)" -lt "$deadline" ]; do
		ok=1 first=
		for n in "$@"; do
			a=$(tkc_status_num "$n" raft_applied)
			[ -n "$a" ] || { ok=; break; }
			[ -z "$first" ] && first=$a
			[ "$a" = "$first" ] || { ok=; break; }
		done
		[ -n "$ok" ] && return 0
		sleep 0.2
	done
	return 1
}
