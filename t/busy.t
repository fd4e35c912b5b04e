#!/bin/bash
# SERVER_IS_BUSY on real processes: a leader whose region cannot commit (its
# two followers SIGSTOPped) keeps at most --max-pending-proposals proposals
# waiting for their apply; later writes are refused at once with
# SERVER_IS_BUSY (reason proposal_queue_full, a backoff) instead of piling
# up, and nothing refused is ever written.  After SIGCONT the region works.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
. "$top_srcdir/t/cluster-lib.sh"
tk_init 200
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"
[ -x "$TKFRAME" ] || tk_bail "$TKFRAME is not built"

tkc_start_sched || tk_bail "cannot start tinykv-scheduler"
for n in s1 s2 s3; do
	tkc_start_store "$n" 127.0.0.1 --max-pending-proposals 2 || tk_bail "cannot start $n"
done
tkc_wait_replicas 3 60
tk_ok $? "three replicas"
tkc_converged 30 s1 s2 s3
l=$(tkc_wait_leader 10) || tk_bail "no leader"
followers=()
for n in s1 s2 s3; do [ "$n" != "$l" ] && followers+=("$n"); done
for n in "${followers[@]}"; do kill -STOP "${TK_PID[$n]}"; done
# six writes, each on its own connection (its own proposal)
pids=()
for i in 1 2 3 4 5 6; do
	(printf 'PUT busy%s v\n' "$i" | timeout 4 nc -N 127.0.0.1 "${TK_PORT[$l]}" >"$TK_TMP/put$i" 2>&1) &
	pids+=($!)
	sleep 0.05
done
wait "${pids[@]}"
for n in "${followers[@]}"; do kill -CONT "${TK_PID[$n]}"; done
all=$(cat "$TK_TMP"/put?)
tk_diag "$all"
tk_like "$all" 'SERVER_IS_BUSY' "writes beyond two pending proposals: SERVER_IS_BUSY"
tk_unlike "$all" '^OK' "no write was acknowledged without a quorum"
busy=$(grep -l SERVER_IS_BUSY "$TK_TMP"/put? | wc -l)
tk_cmp 2 "$((busy + 1))" "... at least two of the six refused ($busy)"
tk_like "$(tk_metric "$l" tinykv_server_busy_total)" '^[1-9][0-9]*$' "/metrics counts them"
l=$(tkc_wait_leader 20)
tk_ok $? "a leader after SIGCONT ($l)"
tk_wait_for 20 eval '[ "$(tk_inline "$l" $'"'"'PUT after v\n'"'"')" = OK ]'
tk_ok $? "the region takes writes again"
r=$(tk_inline "$l" $'GET busy1\nGET busy2\nGET busy3\nGET busy4\nGET busy5\nGET busy6\n')
n=1
for f in "$TK_TMP"/put?; do
	if grep -q SERVER_IS_BUSY "$f"; then
		tk_is "$(sed -n "${n}p" <<<"$r")" "(nil)" "refused write busy$n was never applied"
	fi
	n=$((n + 1))
done
tk_done
