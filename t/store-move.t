#!/bin/bash
# Replicas move between real stores: a region on three stores gets a fourth
# store; `tinykv-cli store offline ID` on one of the three (the leader's, the
# hardest case: leadership must move first) makes the scheduler add a peer
# on the new store and remove the offline one's; the data is complete on
# every remaining replica and the offline store's peer is destroyed (its
# data of the region deleted).  Then once more with the leader SIGKILLed
# while its replica is being moved (the conf change under way).
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
. "$top_srcdir/t/cluster-lib.sh"
tk_init 300
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"
[ -x "$TKCLI" ] || tk_bail "$TKCLI is not built"
[ -x "$TKLOAD" ] || tk_bail "t/tkload is not built"

tkc_start_sched || tk_bail "cannot start tinykv-scheduler"
for n in s1 s2 s3; do tkc_start_store "$n" 127.0.0.1 || tk_bail "cannot start $n"; done
tkc_wait_replicas 3 60
tk_ok $? "three replicas"
l=$(tkc_wait_leader 10) || tk_bail "no leader"
"$TKLOAD" write "${TK_ADDR[$l]}" "$TK_TMP/acked" --inflight 8 --max 1000 --prefix m- \
	>"$TK_TMP/w.out" 2>&1
tk_is "$(wc -l <"$TK_TMP/acked")" 1000 "1000 puts on three replicas"

tkc_start_store s4 127.0.0.1 || tk_bail "cannot start s4"
id4=$(tkc_status_num s4 store_id)
idl=$(tkc_status_num "$l" store_id)
tk_like "$("$TKCLI" -s "${TK_ADDR[pd]}" store offline "$idl" 2>&1)" "." "store offline $idl (the leader's store)"
TKC_STORES=(s1 s2 s3 s4)
moved() {
	local r
	r=$("$TKCLI" -s "${TK_ADDR[pd]}" region list 2>/dev/null | grep -m1 '^region ')
	[[ "$r" == *"@$id4"* ]] && [[ "$r" != *"@$idl,"* ]] && [[ "$r" != *"@$idl "* ]] &&
		[[ "$r" != *"@$idl*"* ]]
}
tk_wait_for 90 moved
tk_ok $? "the scheduler moved the replica from store $idl to store $id4"
tk_diag "$("$TKCLI" -s "${TK_ADDR[pd]}" region list 2>&1)"
rest=()
for n in s1 s2 s3 s4; do [ "$n" != "$l" ] && rest+=("$n"); done
tkc_converged 30 "${rest[@]}"
tk_ok $? "the three remaining replicas are in step"
tk_wait_for 30 eval '[ -z "$(tkc_status_num "$l" region_id)" ]'
tk_ok $? "the offline store's peer was destroyed"
TKC_STORES=("${rest[@]}")
l2=$(tkc_wait_leader 10)
tk_ok $? "a leader among the remaining stores ($l2)"
out=$("$TKLOAD" verify "${TK_ADDR[$l2]}" "$TK_TMP/acked" 2>&1)
tk_ok $? "every acknowledged put is there"
tk_diag "$out"
tk_like "$(tk_inline "$l" $'GET m-1\n')" "REGION_NOT_FOUND" "the offline store serves nothing of the region"

# ---- again, the leader SIGKILLed while its replica is being moved ----
tkc_start_store s5 127.0.0.1 || tk_bail "cannot start s5"
id5=$(tkc_status_num s5 store_id)
TKC_STORES=("${rest[@]}" s5)
l=$(tkc_wait_leader 10) || tk_bail "no leader"
idl=$(tkc_status_num "$l" store_id)
"$TKLOAD" write "${TK_ADDR[$l]}" "$TK_TMP/acked2" --inflight 8 --timeout 3000 --prefix n- \
	>"$TK_TMP/w2.out" 2>&1 &
w=$!
tk_track $w
tk_wait_for 30 eval '[ "$(wc -l <"$TK_TMP/acked2" 2>/dev/null || echo 0)" -ge 300 ]'
"$TKCLI" -s "${TK_ADDR[pd]}" store offline "$idl" >/dev/null 2>&1
# the worst moment: the add-peer conf change is under way (the region has
# four peers, or the new one is being filled)
tk_wait_for 20 eval '"$TKCLI" -s "${TK_ADDR[pd]}" region list 2>/dev/null | grep -q "@$id5"'
tk_ok $? "the move of store $idl's replica to store $id5 started"
tk_kill "$l"
wait $w
TKC_STORES=()
for n in "${rest[@]}" s5; do [ "$n" != "$l" ] && TKC_STORES+=("$n"); done
moved2() {
	local r
	r=$("$TKCLI" -s "${TK_ADDR[pd]}" region list 2>/dev/null | grep -m1 '^region ')
	[[ "$r" == *"@$id5"* ]] && [[ "$r" != *"@$idl,"* ]] && [[ "$r" != *"@$idl "* ]] &&
		[[ "$r" != *"@$idl*"* ]]
}
tk_wait_for 90 moved2
tk_ok $? "with the leader killed mid-move, the region still ends on three live stores"
tk_diag "$("$TKCLI" -s "${TK_ADDR[pd]}" region list 2>&1)"
tkc_converged 60 "${TKC_STORES[@]}"
tk_ok $? "... in step"
l2=$(tkc_wait_leader 10)
out=$("$TKLOAD" verify "${TK_ADDR[$l2]}" "$TK_TMP/acked2" 2>&1)
tk_ok $? "every put acknowledged before the kill ($(wc -l <"$TK_TMP/acked2")) is there"
tk_diag "$out"
out=$("$TKLOAD" verify "${TK_ADDR[$l2]}" "$TK_TMP/acked" 2>&1)
tk_ok $? "... and the first 1000"
tk_done
