#!/bin/bash
# Crash points of the replicated write path on real processes: the leader of
# a three-store region (sync on) kills itself (TINYKV_FAILPOINTS) at a
# chosen moment of a ready pass under a write load:
#  - raft-before-log-write: its appends for the batch have already left
#    (a leader sends them while it writes, store.c sends_early) but its
#    own log write never happened;
#  - raft-after-log-write: the batch is on its disk, the followers'
#    acknowledgements for it may or may not have arrived, nothing applied.
# Each time: a new leader among the two others, every acknowledged put
# readable through it, the killed store restarts (fail point disarmed),
# rejoins, and all three converge.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
. "$top_srcdir/t/cluster-lib.sh"
tk_init 300
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"
[ -x "$TKLOAD" ] || tk_bail "t/tkload is not built"

tkc_start_sched || tk_bail "cannot start tinykv-scheduler"
for n in s1 s2 s3; do tkc_start_store "$n" 127.0.0.1 --sync on || tk_bail "cannot start $n"; done
tkc_wait_replicas 3 60
tk_ok $? "three replicas"
tkc_converged 30 s1 s2 s3

round=0
for fp in raft-before-log-write raft-after-log-write; do
	round=$((round + 1))
	l=$(tkc_wait_leader 20) || tk_bail "no leader"
	# restart the leader with the fail point armed for its 150th pass from now
	tk_stop "$l"
	TINYKV_FAILPOINTS="$fp=150" tk_restart "$l" || tk_bail "cannot restart $l"
	tkc_converged 30 s1 s2 s3
	# make the armed store lead: pause whoever leads until it wins
	for try in 1 2 3 4 5 6 7 8; do
		l2=$(tkc_wait_leader 20) || tk_bail "no leader after the restart"
		[ "$l2" = "$l" ] && break
		kill -STOP "${TK_PID[$l2]}"
		sleep 3.5
		kill -CONT "${TK_PID[$l2]}"
		sleep 1
	done
	tk_is "$l2" "$l" "$fp: the armed store ($l) leads"
	"$TKLOAD" write "${TK_ADDR[$l2]}" "$TK_TMP/acked$round" --inflight 32 --timeout 3000 \
		--prefix "c$round-" >"$TK_TMP/w$round.out" 2>&1 &
	w=$!
	tk_track $w
	tk_wait_for 60 eval '! tk_alive '"$l"
	tk_ok $? "$fp: the armed leader ($l) killed itself at the fail point under the load"
	tk_like "$(cat "${TK_LOG[$l]}")" "failpoint $fp: killing the process" "$fp: ... as its log says"
	sleep 1
	kill "$w" 2>/dev/null
	wait "$w"
	others=()
	for n in s1 s2 s3; do [ "$n" != "$l" ] && others+=("$n"); done
	TKC_STORES=("${others[@]}")
	l3=$(tkc_wait_leader 20)
	tk_ok $? "$fp: a leader among the others ($l3)"
	out=$("$TKLOAD" verify "${TK_ADDR[$l3]}" "$TK_TMP/acked$round" 2>&1)
	tk_ok $? "$fp: every acknowledged put ($(wc -l <"$TK_TMP/acked$round")) is readable"
	tk_diag "$out"
	TKC_STORES=(s1 s2 s3)
	TINYKV_FAILPOINTS= tk_restart "$l" || tk_bail "cannot restart $l"
	tkc_converged 60 s1 s2 s3
	tk_ok $? "$fp: the killed store rejoined and all three converge"
done
tk_done
