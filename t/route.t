#!/bin/bash
# libtinykv's routing on real processes, through tinykv-cli: a scheduler and
# two stores, one leading the cluster's one region, one holding nothing.
# A command given only the scheduler (-s) finds the leader; given a store
# that holds nothing (-a), with the scheduler or alone (the store's hello
# names its scheduler), it still does; transactions
# route too.  A write sent to a leader that is stopped (SIGSTOP) cannot
# know its outcome: exit 5, and a CAS is sent once only.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
tk_init 120
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"
[ -x "$TKCLI" ] || tk_bail "$TKCLI is not built"

HB=(--heartbeat-interval 100ms)
# max-replicas 1: the second store stays empty (routing, not replication)
tks_start pd --max-replicas 1 || tk_bail "cannot start tinykv-scheduler"
PD=${TK_ADDR[pd]}
tk_start s1 --scheduler "$PD" "${HB[@]}" || tk_bail "cannot start the first store"
tk_start s2 --scheduler "$PD" "${HB[@]}" || tk_bail "cannot start the second store"
# the region's leader is known to the scheduler once s1 heartbeats it
tk_wait_for 10 sh -c "'$TKCLI' -s '$PD' region list | grep -q 'leader [0-9]* (store [0-9]* ${TK_ADDR[s1]})'"
tk_ok $? "the scheduler knows the leader of the one region (s1)"

tk_is "$("$TKCLI" -s "$PD" put a 1)" "OK" "-s alone: a write finds the leader"
tk_is "$("$TKCLI" -s "$PD" get a)" "1" "-s alone: ... and a read"
tk_is "$(TINYKV_SCHEDULER_ADDR=$PD "$TKCLI" put b 2)" "OK" "TINYKV_SCHEDULER_ADDR routes the same"
tk_is "$("$TKCLI" -a "${TK_ADDR[s2]}" -s "$PD" get b)" "2" \
	"-a naming a store without the region, with -s: routed to the leader"
tk_is "$("$TKCLI" -a "${TK_ADDR[s2]}" get b)" "2" \
	"-a naming a store without the region, alone: routed through the scheduler its hello names"
tk_is "$("$TKCLI" -a "${TK_ADDR[s1]}" get a)" "1" "-a naming the leader alone: served as before"
tk_is "$("$TKCLI" -s "$PD" scan "" 2>&1)" $'a 1\nb 2' "a scan through the scheduler"
tk_diag "$("$TKCLI" -a "${TK_ADDR[s1]}" scan "" 2>&1)"
out=$(printf 'begin\nput t 7\ncommit\n' | "$TKCLI" -s "$PD" 2>&1)
tk_ok $? "a transaction routed through the scheduler commits"
tk_diag "$out"
tk_is "$(printf 'begin\nget t\nrollback\n' | "$TKCLI" -s "$PD" 2>&1 | head -n 2 | tail -n 1)" "7" \
	"... and a later transaction reads it"

# ---- a leader that does not answer: the outcome is unknown ----
# One tinykv-cli reading commands from a fifo: connected to the leader
# before it stops, so its requests are sent and never answered.
mkfifo "$TK_TMP/in"
"$TKCLI" -s "$PD" --timeout 600 <"$TK_TMP/in" >"$TK_TMP/cli.out" 2>&1 &
cpid=$!
exec 7>"$TK_TMP/in"
echo "get a" >&7
tk_wait_for 5 grep -q '^1$' "$TK_TMP/cli.out"
tk_ok $? "the session reads through the leader"
kill -STOP "${TK_PID[s1]}"
echo "cas --absent lock me" >&7
tk_wait_for 5 grep -q 'UNKNOWN_OUTCOME' "$TK_TMP/cli.out"
tk_ok $? "a CAS sent to the stopped leader: UNKNOWN_OUTCOME"
echo "put c 3" >&7
echo "get a" >&7
exec 7>&-
wait "$cpid"
tk_is "$?" "5" "the session exits 5 (outcome unknown), the worst of its commands"
out=$(cat "$TK_TMP/cli.out")
tk_diag "$out"
tk_is "$(grep -c 'UNKNOWN_OUTCOME' <<<"$out")" "2" "the put, retried till the deadline, is unknown too"
tk_like "$out" "TIMEOUT" "the read timed out instead (exit 4: nothing is unknown about a read)"
kill -CONT "${TK_PID[s1]}"
tk_is "$("$TKCLI" -s "$PD" get lock)" "me" "once the leader runs again, the CAS turns out applied"
tk_done
