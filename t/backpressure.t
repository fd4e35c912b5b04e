#!/bin/bash
# Output backpressure: a client pipelines ~200 MB worth of scan replies and
# does not read them.  With --output-limit 1M the daemon stops reading from
# it instead of buffering: its RSS stays bounded, the pause is counted, and
# other clients are served meanwhile.  Then the client reads everything and
# every reply arrives intact.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 150

NSCAN=${TK_BP_SCANS:-700} # x 300 KB replies
tk_start s --sync off --output-limit 1M || tk_bail "cannot start tinykvd"

# 300 keys of 1000-byte values: one scan reply is ~300 KB
v=$(head -c 1000 /dev/zero | tr '\0' v)
{
	printf '{"t":"raw_batch_put","id":1,"b":{"kvs":['
	for i in $(seq -w 1 300); do
		[ "$i" = 001 ] || printf ','
		printf '["bp/%s","%s"]' "$i" "$v"
	done
	printf ']}}\n'
} >"$TK_TMP/load.json"
r=$("$TKFRAME" encode --hello <"$TK_TMP/load.json" | timeout 20 nc -N 127.0.0.1 "${TK_PORT[s]}" |
	"$TKFRAME" decode | tail -n 1)
tk_is "$r" '{"t":"raw_batch_put","id":1,"r":{}}' "loaded 300 pairs of 1000 bytes"

# hello, NSCAN scans, then a frame header above max-frame: its error reply
# is the last thing sent, and the server closes after it, so the reader
# below sees the end of the stream.
{
	"$TKFRAME" encode --hello
	for i in $(seq 1 "$NSCAN"); do
		printf '{"t":"raw_scan","id":%d,"b":{"start":"bp/","end":"bp0","limit":300}}\n' "$i"
	done | "$TKFRAME" encode
	printf '\x7f\xff\xff\xff'
} >"$TK_TMP/requests.bin"

rss0=$(tk_rss_kb s)
exec {slow}<>"/dev/tcp/127.0.0.1/${TK_PORT[s]}"
cat "$TK_TMP/requests.bin" >&$slow
tk_ok $? "the slow client sent $NSCAN pipelined scans ($(stat -c %s "$TK_TMP/requests.bin") bytes) and reads nothing"

tk_wait_for 20 eval '[ "$(tk_metric s tinykv_backpressure_pauses_total)" -gt 0 ]'
tk_ok $? "tinykv_backpressure_pauses_total > 0: the daemon paused reading from it"

# others are served while it is paused; sample the RSS meanwhile
maxrss=$rss0
for i in $(seq 1 10); do
	r=$(tk_inline s $'PING\nGET bp/150\n' | head -c 10)
	[ "$r" = $'PONG\nvvvvv' ] || break
	rss=$(tk_rss_kb s)
	[ "$rss" -gt "$maxrss" ] && maxrss=$rss
done
tk_is "$r" $'PONG\nvvvvv' "another client is served while the slow one is paused (10 times)"
r=$(tk_framed s '{"t":"raw_scan","id":9,"b":{"start":"bp/","end":"bp0","limit":300,"keys_only":true}}' | tail -n 1 | grep -o '"bp/' | wc -l)
tk_is "$r" 300 "... also a framed scan"
tk_diag "RSS before $((rss0 / 1024)) MB, max while paused $((maxrss / 1024)) MB"
tk_cmp "$maxrss" $((200 * 1024)) "the daemon's RSS stays bounded (< 200 MB) with ~$((NSCAN * 300 / 1000)) MB of replies owed"

# now the slow client reads it all
start=$(tk_now_ms)
summary=$(timeout 120 "$TKFRAME" decode <&$slow | awk -v n="$NSCAN" '
	/"t":"raw_scan"/ {
		id = $0; sub(/^.*"id":/, "", id); sub(/,.*/, "", id)
		if (!(id in seen)) { seen[id] = 1; ids++ }
		body = $0; sub(/"id":[0-9]+,/, "", body)
		if (ref == "") ref = body
		else if (body != ref) bad++
		replies++
		next
	}
	/TOO_LARGE/ { last = 1; next }
	{ other++ }
	END {
		kvs = gsub(/"bp\/[0-9]+"/, "", ref)
		printf "replies=%d distinct_ids=%d differing=%d pairs_per_reply=%d other=%d end=%d\n",
			replies, ids, bad, kvs, other, last
	}')
tk_diag "reading everything took $(($(tk_now_ms) - start)) ms"
exec {slow}>&-
tk_is "$summary" "replies=$NSCAN distinct_ids=$NSCAN differing=0 pairs_per_reply=300 other=1 end=1" \
	"the slow client gets the hello and all $NSCAN replies intact, then the final error"
rss=$(tk_rss_kb s)
tk_diag "RSS after: $((rss / 1024)) MB"
tk_ok "$(tk_alive s; echo $?)" "the daemon is alive"

# a slow client that goes away while paused: its buffers are released
p0=$(tk_metric s tinykv_backpressure_pauses_total)
exec {gone}<>"/dev/tcp/127.0.0.1/${TK_PORT[s]}"
cat "$TK_TMP/requests.bin" >&$gone
tk_wait_for 20 eval '[ "$(tk_metric s tinykv_backpressure_pauses_total)" -gt '"$p0"' ]'
tk_ok $? "a second slow client is paused too"
exec {gone}>&-
tk_wait_for 20 eval '[ "$(tk_metric s tinykv_connections)" = 0 ]'
tk_ok $? "when it disconnects without reading, its connection is dropped"
tk_is "$(tk_inline s $'PING\n')" PONG "the daemon serves on"

# SIGTERM while a client is paused: the shutdown does not wait for it
p1=$(tk_metric s tinykv_backpressure_pauses_total)
exec {stuck}<>"/dev/tcp/127.0.0.1/${TK_PORT[s]}"
cat "$TK_TMP/requests.bin" >&$stuck
tk_wait_for 20 eval '[ "$(tk_metric s tinykv_backpressure_pauses_total)" -gt '"$p1"' ]'
tk_ok $? "a third slow client is paused"
start=$(tk_now_ms)
tk_stop s TERM 20
tk_is "${TK_RC[s]}" 0 "SIGTERM with a paused client: clean exit"
took=$(($(tk_now_ms) - start))
tk_cmp "$took" 10000 "... within 10 s ($took ms)"
exec {stuck}>&-
tk_done
