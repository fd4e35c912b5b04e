#!/bin/bash
# tinykv-scheduler with synthetic stores (t/tksched, written with
# libtinykv): bootstrap, registration, heartbeats, ids, timestamps, replica
# repair through heartbeat replies, splits, stale and malformed heartbeats;
# then SIGKILL and restart: same routing, no id or timestamp repeated; then
# a store taken offline drains and becomes a tombstone, and the replicas of
# a store that went silent are replaced.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
tk_init 120
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"
[ -x "$TKSCHED_SIM" ] || tk_bail "$TKSCHED_SIM is not built (make check builds it)"

tks_start pd --schedule-interval 100 --store-disconnect-time 60s || tk_bail "cannot start tinykv-scheduler"
state=$TK_TMP/state

tk_relay < <("$TKSCHED_SIM" "${TK_ADDR[pd]}" setup "$state")

# Malformed input: the daemon answers with an error and keeps serving.
r=$(tk_framed pd '{"t":"region_heartbeat","id":1,"b":{"region":{"id":1},"leader":{"id":1,"store":1}}}' \
	'{"t":"get_ts","id":2,"b":{"count":1,"bogus":1}}' \
	'{"t":"raw_get","id":3,"b":{"k":"x"}}' \
	'{"t":"get_ts","id":4,"b":{}}')
tk_like "$r" '"id":1,"e":\{"code":"BAD_REQUEST"' "a region without its required fields is BAD_REQUEST"
tk_like "$r" '"id":2,"e":\{"code":"BAD_REQUEST","msg":"[^"]*bogus' "an unknown field is BAD_REQUEST naming it"
tk_like "$r" '"id":3,"e":\{"code":"UNKNOWN_MESSAGE"' "a store message is UNKNOWN_MESSAGE at the scheduler"
tk_like "$r" '"id":4,"r":\{"ts":[0-9]+,"count":1\}' "the same connection still gets timestamps"
r=$(printf '\x00\x00\x00\x05\xc1\xc1\xc1\xc1\xc1' | timeout 5 nc -N 127.0.0.1 "${TK_PORT[pd]}" | "$TKFRAME" decode)
tk_like "$r" '"code":"(BAD_REQUEST|PROTOCOL)"' "garbage instead of a hello gets an error and a close"
r=$("$TKFRAME" encode '{"t":"hello","id":0,"b":{"proto":2,"role":"raft"}}' |
	timeout 5 nc -N 127.0.0.1 "${TK_PORT[pd]}" | "$TKFRAME" decode)
tk_like "$r" 'VERSION_MISMATCH.*role' "a hello with an unknown role is refused"

r=$(tk_http pd /status)
tk_like "$r" '"mode":"scheduler"' "/status says scheduler"
tk_like "$r" '"bootstrapped":"yes","stores":4,"regions":2,"operators_running":0' \
	"/status shows the stores, regions and operators"
tk_is "$(tk_metric pd tinykv_sched_regions)" 2 "/metrics has the region count"
tk_like "$(tk_http pd /metrics)" 'tinykv_requests_total\{type="region_heartbeat"\} [0-9]+' \
	"/metrics counts region heartbeats"

tk_kill pd
tks_restart pd || tk_bail "cannot restart tinykv-scheduler"
tk_relay < <("$TKSCHED_SIM" "${TK_ADDR[pd]}" check "$state")

tk_relay < <("$TKSCHED_SIM" "${TK_ADDR[pd]}" offline "$state")
tk_relay < <("$TKSCHED_SIM" "${TK_ADDR[pd]}" down "$state")

# the ts stream again over a kill: never back
last=$("$TKSCHED_SIM" "${TK_ADDR[pd]}" ts 200 100)
tk_ok $? "200 batched get_ts calls are strictly increasing"
tk_kill pd
tks_restart pd || tk_bail "cannot restart tinykv-scheduler"
next=$("$TKSCHED_SIM" "${TK_ADDR[pd]}" ts 1 1)
tk_ok $(( next > last ? 0 : 1 )) "the first timestamp after another SIGKILL is above the last one served"

# a client handle survives a restart on the same address
TK_ARGS[pd]+=" --listen ${TK_ADDR[pd]}"
coproc RC { "$TKSCHED_SIM" "${TK_ADDR[pd]}" reconnect -; }
# bash closes and unsets RC as soon as the coprocess exits, which it may do
# right after "go": read and write through copies of its fds
exec {rc_out}<&"${RC[0]}" {rc_in}>&"${RC[1]}"
read -r -t 10 line <&"$rc_out"
tk_is "$line" "# restart" "a client got a timestamp"
tk_stop pd
tks_restart pd || tk_bail "cannot restart tinykv-scheduler on the same port"
echo go >&"$rc_in"
read -r -t 10 line <&"$rc_out"
exec {rc_out}<&- {rc_in}>&-
tk_relay <<<"$line"

r=$(tk_framed pd '{"t":"store_heartbeat","id":1,"b":{"cluster":1,"store":1}}')
tk_like "$r" '"code":"CLUSTER_MISMATCH","msg":"request is for cluster 1, this scheduler serves cluster [0-9]+' \
	"a request naming another cluster is CLUSTER_MISMATCH"

tk_stop pd
tk_is "${TK_RC[pd]}" 0 "SIGTERM stops the scheduler with status 0"
tk_done
