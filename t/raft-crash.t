#!/bin/bash
# Crash recovery of the raft write path at its three moments, on a real
# tinykvd killed by a fail point (TINYKV_FAILPOINTS, src/util/failpoint.h) in
# the middle of a write load with sync on:
#   raft-before-log-write   entries staged, nothing on disk: they are lost,
#                           and none of them was acknowledged;
#   raft-after-log-write    the log is durable, nothing applied: the restart
#                           applies it from the log (applied < last index at
#                           open, applied = last index once it leads);
#   raft-after-apply-write  applied, nobody told: nothing to redo.
# Each time every acknowledged put must be there after the restart.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 240

[ -x "$TKLOAD" ] || tk_bail "t/tkload is not built"

# crash POINT PASS: the daemon SIGKILLs itself the PASS-th time it reaches POINT
crash() {
	local point=$1 pass=$2 name=$3 out=$TK_TMP/$3.out opened ran
	export TINYKV_FAILPOINTS="$point=$pass"
	tk_start "$name" --sync on || tk_bail "$name: cannot start tinykvd"
	unset TINYKV_FAILPOINTS
	: >"$TK_TMP/$name.acked"
	"$TKLOAD" write "${TK_ADDR[$name]}" "$TK_TMP/$name.acked" --inflight 64 --prefix "$name/" \
		>"$out" 2>&1
	tk_wait_for 30 eval "! tk_alive $name"
	tk_stop "$name"
	tk_is "${TK_RC[$name]}" 137 "$point: tinykvd killed itself (SIGKILL) at the fail point"
	tk_like "$(cat "${TK_LOG[$name]}")" "failpoint $point: killing the process" "$point: ... as its log says"
	tk_cmp 100 "$(wc -l <"$TK_TMP/$name.acked")" "$point: more than 100 puts were acknowledged before"
	tk_restart "$name" || tk_bail "$point: tinykvd does not restart"
	r=$("$TKLOAD" verify "${TK_ADDR[$name]}" "$TK_TMP/$name.acked" 2>&1)
	tk_like "$r" "checked=$(wc -l <"$TK_TMP/$name.acked") missing=0 wrong=0 errors=0" \
		"$point: every acknowledged put is there after the restart"
	opened=$(grep -a 'region 1 opened:' "${TK_LOG[$name]}" | tail -n 1)
	ran=$(grep -a 'region 1: leader at term' "${TK_LOG[$name]}" | tail -n 1)
	tk_diag "$opened"
	tk_diag "$ran"
	OPEN_APPLIED=$(sed -E 's/.*applied ([0-9]+),.*/\1/' <<<"$opened")
	OPEN_LAST=$(sed -E 's/.*last index ([0-9]+).*/\1/' <<<"$opened")
	RUN_APPLIED=$(sed -E 's/.*applied ([0-9]+) of.*/\1/' <<<"$ran")
	RUN_LAST=$(sed -E 's/.*of ([0-9]+)$/\1/' <<<"$ran")
	tk_is "$RUN_APPLIED" "$RUN_LAST" "$point: once it leads, everything in the log is applied"
	tk_stop "$name"
	tk_is "${TK_RC[$name]}" 0 "$point: SIGTERM: clean exit"
}

crash raft-before-log-write 40 before
tk_is "$OPEN_APPLIED" "$OPEN_LAST" "before the log write: nothing logged was left unapplied"

crash raft-after-log-write 40 logged
tk_cmp "$OPEN_APPLIED" "$OPEN_LAST" "after the log write: the restart found logged entries not applied ($OPEN_APPLIED < $OPEN_LAST)"

crash raft-after-apply-write 40 applied
tk_is "$OPEN_APPLIED" "$OPEN_LAST" "after the apply write: the restart has nothing to redo"

# a malformed fail point spec is reported and ignored, never fatal
export TINYKV_FAILPOINTS="raft-after-log-write=x,=3"
tk_start bad --sync on || tk_bail "tinykvd with a bad TINYKV_FAILPOINTS does not start"
unset TINYKV_FAILPOINTS
r=$(tk_inline bad $'PUT k v\nGET k\n')
tk_is "$r" $'OK\nv' "a malformed TINYKV_FAILPOINTS is ignored: writes go on"
tk_like "$(cat "${TK_LOG[bad]}")" "TINYKV_FAILPOINTS: ignoring 'raft-after-log-write=x'" "... and reported"
tk_stop bad
tk_done
