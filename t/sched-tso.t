#!/bin/bash
# tinykv-scheduler's timestamps under a flood: the physical part follows the
# wall clock, however many timestamps clients ask for (issue 8: 100,000
# pipelined get_ts of 262,144 used to push it 88 s ahead).  Requests that do
# not fit in the current millisecond wait for the next one, parked off the
# reactor: replies still come in request order, strictly increasing, and
# the daemon keeps serving other connections meanwhile.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
tk_init 120
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"

tks_start pd || tk_bail "cannot start tinykv-scheduler"
now_ms() { date +%s%3N; }
ts_of() { grep -o '"ts":[0-9]*' | head -n 1 | cut -d: -f2; }

# The limit per request, named in the error.
r=$(tk_framed pd '{"t":"get_ts","id":1,"b":{"count":16385}}' '{"t":"get_ts","id":2,"b":{"count":16384}}')
tk_like "$r" '"id":1,"e":\{"code":"BAD_REQUEST","msg":"[^"]*16384' \
	"a count above 16384 is BAD_REQUEST naming the limit"
tk_like "$r" '"id":2,"r":\{"ts":[0-9]+,"count":16384\}' "a count of 16384 is served"

# 20,000 pipelined requests of 16,384 on one connection: 1.25 s worth of
# logical space (2^18 per ms), sent in a fraction of that.
n=20000
flood=$TK_TMP/flood.bin
awk -v n=$n 'BEGIN { for (i = 1; i <= n; i++) printf "{\"t\":\"get_ts\",\"id\":%d,\"b\":{\"count\":16384}}\n", i }' |
	"$TKFRAME" encode --hello >"$flood" || tk_bail "cannot encode the flood"
# Meanwhile another connection is served without waiting for the flood.
(
	sleep 0.3
	tk_framed pd '{"t":"ping","id":1,"b":{}}' >"$TK_TMP/ping.out"
	now_ms >"$TK_TMP/ping.end"
) &
ping_pid=$!
start=$(now_ms)
timeout 60 nc -N 127.0.0.1 "${TK_PORT[pd]}" <"$flood" | "$TKFRAME" decode >"$TK_TMP/flood.out"
end=$(now_ms)
wait $ping_pid
got=$(grep -c '"t":"get_ts".*"r":{"ts":' "$TK_TMP/flood.out")
tk_is "$got" "$n" "all $n flooded requests are answered before the close"
grep '"t":"get_ts"' "$TK_TMP/flood.out" | grep -o '"id":[0-9]*' | cut -d: -f2 >"$TK_TMP/ids"
seq 1 $n | cmp -s - "$TK_TMP/ids"
tk_ok $? "replies come in request order"
grep -o '"ts":[0-9]*' "$TK_TMP/flood.out" | cut -d: -f2 >"$TK_TMP/ts"
sort -n -u -C "$TK_TMP/ts"
tk_ok $? "timestamps are strictly increasing in reply order"
last=$(tail -n 1 "$TK_TMP/ts")
ahead=$(((last >> 18) - end))
tk_ok $((ahead <= 2 ? 0 : 1)) "the flood's last physical part is not ahead of the wall clock (${ahead} ms)"
took=$((end - start))
tk_ok $((took >= 1200 ? 0 : 1)) "the flood waited for the clock: ${took} ms for 1.25 s of timestamps"
pend=$(cat "$TK_TMP/ping.end")
tk_like "$(cat "$TK_TMP/ping.out")" '"t":"ping","id":1,"r":' "another connection is answered during the flood"
tk_ok $((pend < end ? 0 : 1)) "... without waiting for the flood ($((end - pend)) ms before its end)"

# After the flood a single timestamp is at the clock.
before=$(now_ms)
ts=$(tk_framed pd '{"t":"get_ts","id":1,"b":{}}' | ts_of)
after=$(now_ms)
phys=$((ts >> 18))
tk_ok $((phys >= before - 2 && phys <= after + 2 ? 0 : 1)) \
	"the next timestamp's physical part is the wall clock ($((phys - before)) ms after the request)"

tk_stop pd
tk_is "${TK_RC[pd]}" 0 "SIGTERM stops the scheduler with status 0"
tk_done
