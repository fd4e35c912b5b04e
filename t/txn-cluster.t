#!/bin/bash
# Transactions on the replicated store (issue 9 item 9): the bank and the
# lost-update workloads of t/txn.t on a scheduler and three tinykvd stores
# (sync on) while the region's leader is SIGKILLed (and restarted).  The
# transaction client routes through the scheduler and follows the new
# leader; a commit whose outcome it cannot know is counted, not hidden:
#  - bank: every snapshot read and the final read sum to the total;
#  - counter: the final value is at least the increments acknowledged and
#    at most that plus the increments whose outcome was unknown.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
. "$top_srcdir/t/cluster-lib.sh"
tk_init 300
W=$top_builddir/t/txn-workload
[ -x "$W" ] || tk_bail "t/txn-workload is not built"
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"

tkc_start_sched || tk_bail "cannot start tinykv-scheduler"
for n in s1 s2 s3; do tkc_start_store "$n" 127.0.0.1 --sync on || tk_bail "cannot start $n"; done
tkc_wait_replicas 3 60
tk_ok $? "three replicas"
tkc_converged 30 s1 s2 s3
PD=${TK_ADDR[pd]}

# kill_leader_after SECONDS: SIGKILL the leader then (in the background:
# the main shell restarts it, since only it keeps the daemons' pids)
kill_leader_after() {
	sleep "$1"
	local l
	l=$(tkc_leader) || return 1
	echo "$l" >"$TK_TMP/killed"
	kill -KILL "${TK_PID[$l]}"
}
restart_killed() {
	local n
	n=$(cat "$TK_TMP/killed")
	tk_restart "$n" || tk_bail "cannot restart $n"
	rm -f "$TK_TMP/killed"
}

l=$(tkc_wait_leader 10) || tk_bail "no leader"
kill_leader_after 4 &
k=$!
out=$("$W" bank "${TK_ADDR[$l]}" "$PD" 20 4 14 2>&1)
tk_ok $? "bank: 4 clients for 14 s, the leader killed at 4 s: every snapshot and the final read sum to 2000"
tk_diag "$out"
wait $k
killed=$(cat "$TK_TMP/killed" 2>/dev/null)
tk_like "$killed" '^s[123]$' "... the leader ($killed) was killed while they ran"
restart_killed
tkc_converged 60 s1 s2 s3
tk_ok $? "the three replicas converge again"

l=$(tkc_wait_leader 10) || tk_bail "no leader"
kill_leader_after 3 &
k=$!
out=$("$W" counter "${TK_ADDR[$l]}" "$PD" 3 40 2>&1)
tk_ok $? "lost update: 3 clients x 40 increments, the leader killed: no update lost or doubled beyond the unknown ones"
tk_diag "$out"
wait $k
killed=$(cat "$TK_TMP/killed" 2>/dev/null)
tk_like "$killed" '^s[123]$' "... the leader ($killed) was killed while they ran"
restart_killed
tkc_converged 60 s1 s2 s3
tk_ok $? "the three replicas converge again"
tk_done
