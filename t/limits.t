#!/bin/bash
# Connection limits: --max-conns refuses the connection past the limit with
# SERVER_IS_BUSY (and takes new ones again once one closes); --idle-timeout
# closes idle connections and leaves active ones alone.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 60

tk_start s --sync off --max-conns 5 || tk_bail "cannot start tinykvd"
for i in 1 2 3 4 5; do
	tk_conn_open "c$i" s
	tk_conn_write "c$i" 'PING\n'
done
up() { for i in 1 2 3 4 5; do tk_conn_has "c$i" PONG || return 1; done; }
tk_wait_for 10 up
tk_ok $? "5 connections (max-conns 5) are served"
tk_is "$(tk_metric s tinykv_connections)" 5 "tinykv_connections is 5"

r=$(timeout 10 nc -d 127.0.0.1 "${TK_PORT[s]}" | "$TKFRAME" decode)
tk_is "$r" '{"t":"hello","id":0,"e":{"code":"SERVER_IS_BUSY","msg":"too many connections (max-conns 5)"}}' \
	"the 6th connection gets a framed SERVER_IS_BUSY error, then the server closes it"
r=$(timeout 10 nc -d 127.0.0.1 "${TK_PORT[s]}" | "$TKFRAME" decode)
tk_like "$r" 'SERVER_IS_BUSY' "so does a 7th"
tk_is "$(tk_metric s tinykv_connections_rejected_total)" 2 "tinykv_connections_rejected_total counts both"
r=$(printf 'PING\n' | timeout 10 nc -N 127.0.0.1 "${TK_PORT[s]}")
tk_is "$r" "ERR SERVER_IS_BUSY too many connections (max-conns 5)" \
	"an inline (netcat) connection past max-conns gets the refusal as a text line"
r=$(printf 'PING\n' | "$TKFLOOD" "${TK_PORT[s]}" 10 $'PING\n')
rc=$?
tk_is "$r" "ERR SERVER_IS_BUSY too many connections (max-conns 5)" "... also when it keeps sending commands"
tk_is "$rc" 0 "... and then reads EOF, not a connection reset"
printf '\x00' | "$TKFLOOD" "${TK_PORT[s]}" 10 aaaaaaaa >"$TK_TMP/flood.out"
rc=$?
tk_is "$("$TKFRAME" decode <"$TK_TMP/flood.out")" '{"t":"hello","id":0,"e":{"code":"SERVER_IS_BUSY","msg":"too many connections (max-conns 5)"}}' \
	"a framed client that keeps sending past max-conns reads the framed refusal"
tk_is "$rc" 0 "... then EOF, not a connection reset"
tk_conn_write c3 'PING\n'
tk_wait_for 10 eval '[ "$(grep -c PONG "${TK_CONN_OUT[c3]}")" -ge 2 ]'
tk_ok $? "the 5 accepted connections are unaffected"

tk_conn_write c1 'QUIT\n'
tk_wait_for 10 tk_conn_closed c1
tk_ok $? "one connection quits"
tk_conn_close c1
tk_wait_for 10 eval '[ "$(tk_metric s tinykv_connections)" = 4 ]'
tk_ok $? "the server counts 4 open connections"
r=$(tk_inline s $'PING\n')
tk_is "$r" PONG "a new connection is served again"
r=$(tk_framed s '{"t":"ping","id":1,"b":{}}' | tail -n 1)
tk_is "$r" '{"t":"ping","id":1,"r":{}}' "... framed too"
for i in 2 3 4 5; do tk_conn_close "c$i"; done
tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM: clean exit"

# ---- idle timeout ----
tk_start t --sync off --idle-timeout 2 --output-limit 64K || tk_bail "cannot start tinykvd"
tk_conn_open silent t          # never sends a byte
tk_conn_open idle t            # one command, then nothing
tk_conn_write idle 'PING\n'
tk_conn_open_framed fidle t     # framed: hello, then nothing
tk_conn_send fidle --hello
tk_conn_open busy t            # a command every 300 ms
t0=$(tk_now_ms)
closed_all() { tk_conn_closed silent && tk_conn_closed idle && tk_conn_closed fidle; }
pings=0
while [ $(($(tk_now_ms) - t0)) -lt 5000 ]; do
	tk_conn_write busy 'PING\n' 2>/dev/null
	pings=$((pings + 1))
	sleep 0.3 # the pace of the active client, not a synchronisation
done
tk_wait_for 5 closed_all
tk_ok $? "idle connections (silent, inline, framed) are closed within a few seconds (idle-timeout 2)"
tk_diag "all idle connections closed after $(($(tk_now_ms) - t0)) ms"
tk_wait_for 5 eval '[ "$(grep -c PONG "${TK_CONN_OUT[busy]}")" -ge '$pings' ]'
tk_ok $? "the active connection got all its $pings replies"
tk_ok "$(! tk_conn_closed busy; echo $?)" "the active connection is still open after 5 s"
tk_is "$(tk_metric t tinykv_connections_closed_idle_total)" 3 "tinykv_connections_closed_idle_total is 3"
tk_conn_write busy 'QUIT\n'
tk_wait_for 5 tk_conn_closed busy
tk_ok $? "the active connection ends with QUIT"

# A client that stops reading: once backpressure pauses it, nothing moves
# on its connection, and the idle timeout must close it too (or a few
# thousand such clients pin their buffers forever).
v=$(head -c 1000 /dev/zero | tr '\0' v)
{
	printf '{"t":"raw_batch_put","id":1,"b":{"kvs":['
	for i in $(seq -w 1 100); do
		[ "$i" = 001 ] || printf ','
		printf '["big/%s","%s"]' "$i" "$v"
	done
	printf ']}}\n'
} | "$TKFRAME" encode --hello | timeout 10 nc -N 127.0.0.1 "${TK_PORT[t]}" >/dev/null
for i in $(seq 1 300); do
	printf '{"t":"raw_scan","id":%d,"b":{"start":"big/","end":"big0","limit":100}}\n' "$i"
done | "$TKFRAME" encode --hello >"$TK_TMP/scans.bin"
p0=$(tk_metric t tinykv_backpressure_pauses_total)
i0=$(tk_metric t tinykv_connections_closed_idle_total)
exec {stuck}<>"/dev/tcp/127.0.0.1/${TK_PORT[t]}"
cat "$TK_TMP/scans.bin" >&$stuck
tk_wait_for 10 eval '[ "$(tk_metric t tinykv_backpressure_pauses_total)" -gt '"$p0"' ]'
tk_ok $? "a client that sends 300 scans (30 MB of replies) and reads nothing is paused"
tk_wait_for 10 eval '[ "$(tk_metric t tinykv_connections)" = 0 ]'
tk_ok $? "the idle timeout closes it too, although its replies are still pending"
tk_is "$(($(tk_metric t tinykv_connections_closed_idle_total) - i0))" 1 "... counted as an idle close"
exec {stuck}>&-
tk_stop t
tk_is "${TK_RC[t]}" 0 "SIGTERM: clean exit"
tk_done
