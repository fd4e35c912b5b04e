#!/bin/bash
# The replicated store on real processes: a tinykv-scheduler and three
# tinykvd stores (sync on).  The first store bootstraps the region; the
# scheduler's replica checker adds a peer on each of the others (operators
# in heartbeat replies, conf changes through the log, peers created by the
# leader's messages and filled by a snapshot).  Then:
#  - a write load on the leader, SIGKILLed in the middle: a new leader
#    within a few election timeouts, and every acknowledged put readable
#    (linearizably, through the new leader);
#  - the killed store restarts and catches up;
#  - a follower stopped while the log moves past compaction catches up by
#    snapshot after its restart;
#  - a SIGSTOPped leader: the others elect a new one and serve; after
#    SIGCONT the old leader follows and the data converge.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
. "$top_srcdir/t/cluster-lib.sh"
tk_init 400
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"
[ -x "$TKCLI" ] || tk_bail "$TKCLI is not built"
[ -x "$TKLOAD" ] || tk_bail "t/tkload is not built"

tkc_start_sched || tk_bail "cannot start tinykv-scheduler"
tkc_start_store s1 127.0.0.1 --sync on || tk_bail "cannot start s1"
tk_is "$(tk_inline s1 $'PUT before-replicas 1\n')" "OK" "the first store serves alone"
tkc_start_store s2 127.0.0.1 --sync on || tk_bail "cannot start s2"
tkc_start_store s3 127.0.0.1 --sync on || tk_bail "cannot start s3"

# ---- the scheduler grows the region to three replicas ----
tkc_wait_replicas 3 60
tk_ok $? "the scheduler made the region three replicas"
tk_diag "$("$TKCLI" -s "${TK_ADDR[pd]}" region list 2>&1)"
tkc_converged 30 s1 s2 s3
tk_ok $? "all three stores applied the same index"
for n in s2 s3; do
	tk_like "$(tkc_status_num "$n" region_id)" '^[0-9]+$' "$n holds a peer of the region"
done
l=$(tkc_wait_leader 10)
tk_ok $? "one store leads ($l)"
tk_is "$(tk_inline "$l" $'GET before-replicas\n')" "1" "the write made before the replicas is on the leader"
f=s2
[ "$l" = s2 ] && f=s3
tk_like "$(tk_inline "$f" $'GET before-replicas\n')" "NOT_LEADER" "a follower refuses reads (linearizable reads only)"
tk_like "$(tk_inline "$f" $'PUT x 1\n')" "NOT_LEADER" "a follower refuses writes"

# ---- SIGKILL the leader under a sync-on write load ----
"$TKLOAD" write "${TK_ADDR[$l]}" "$TK_TMP/acked1" --inflight 32 --timeout 3000 --prefix k1- \
	>"$TK_TMP/w1.out" 2>&1 &
w=$!
tk_track $w
tk_wait_for 60 eval '[ "$(wc -l <"$TK_TMP/acked1" 2>/dev/null || echo 0)" -ge 2000 ]'
tk_ok $? "the leader acknowledged 2000 replicated puts"
t0=$(tk_now_ms)
tk_kill "$l"
wait $w
acked=$(wc -l <"$TK_TMP/acked1")
tk_diag "writer: $(cat "$TK_TMP/w1.out" | head -n 3); acked $acked"
survivors=()
for n in s1 s2 s3; do [ "$n" != "$l" ] && survivors+=("$n"); done
TKC_STORES=("${survivors[@]}")
l2=$(tkc_wait_leader 20)
tk_ok $? "a new leader ($l2) after the leader's SIGKILL"
tk_diag "new leader after $(($(tk_now_ms) - t0)) ms"
out=$("$TKLOAD" verify "${TK_ADDR[$l2]}" "$TK_TMP/acked1" 2>&1)
tk_ok $? "every acknowledged put ($acked) is readable through the new leader"
tk_diag "$out"
tk_is "$(tk_inline "$l2" $'PUT after-kill 1\nGET after-kill\n')" $'OK\n1' "the two survivors serve writes"

# ---- the killed store restarts and catches up ----
TKC_STORES=(s1 s2 s3)
tk_restart "$l" || tk_bail "cannot restart $l"
tkc_converged 60 s1 s2 s3
tk_ok $? "the restarted store caught up with the others"

# ---- a follower behind past log compaction catches up by snapshot ----
l=$(tkc_wait_leader 10)
f=s1
[ "$l" = s1 ] && f=s2
tk_kill "$f"
TKC_STORES=()
for n in s1 s2 s3; do [ "$n" != "$f" ] && TKC_STORES+=("$n"); done
"$TKLOAD" write "${TK_ADDR[$l]}" "$TK_TMP/acked2" --inflight 1 --max 1500 --prefix k2- \
	>"$TK_TMP/w2.out" 2>&1
tk_is "$(wc -l <"$TK_TMP/acked2")" 1500 "1500 puts, one at a time, while $f is down"
tk_like "$(tk_metric "$l" tinykv_raft_log_gc_proposals_total)" '^[1-9][0-9]*$' "the leader compacted its log"
TKC_STORES=(s1 s2 s3)
tk_restart "$f" || tk_bail "cannot restart $f"
tkc_converged 60 s1 s2 s3
tk_ok $? "the follower caught up"
tk_like "$(tk_metric "$f" tinykv_raft_snapshots_applied_total)" '^[1-9][0-9]*$' "... by a snapshot"

# ---- a paused leader: the others take over; it follows after SIGCONT ----
l=$(tkc_wait_leader 10)
kill -STOP "${TK_PID[$l]}"
TKC_STORES=()
for n in s1 s2 s3; do [ "$n" != "$l" ] && TKC_STORES+=("$n"); done
l2=$(tkc_wait_leader 20)
tk_ok $? "a paused leader is replaced ($l2)"
tk_is "$(tk_inline "$l2" $'PUT during-pause 1\n')" "OK" "the majority serves writes while it is paused"
kill -CONT "${TK_PID[$l]}"
TKC_STORES=(s1 s2 s3)
tkc_converged 30 s1 s2 s3
tk_ok $? "after SIGCONT all three converge"
tk_unlike "$(tkc_role "$l")" '^leader$' "the old leader does not lead (it stepped down or lost)"
l=$(tkc_wait_leader 10)
tk_is "$(tk_inline "$l" $'GET during-pause\nGET after-kill\nGET before-replicas\n')" $'1\n1\n1' \
	"every write is on the leader"
out=$("$TKLOAD" verify "${TK_ADDR[$l]}" "$TK_TMP/acked1" 2>&1)
tk_ok $? "the puts acknowledged before the kill are all still there"
tk_done
