#!/bin/bash
# Protocol garbage on some connections must close only those connections:
# oversized frame lengths, random bytes after 0x00, a TLS hello, a frame
# that is not a msgpack map.  Healthy connections (one inline, one framed)
# stay open and served throughout, and /metrics counts the closures.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 60

tk_start s --sync off || tk_bail "cannot start tinykvd"
closed0=$(tk_metric s tinykv_connections_closed_protocol_total)
tk_is "$closed0" 0 "no protocol closures at start"

tk_conn_open live s
tk_conn_open_framed flive s
tk_conn_send flive --hello '{"t":"ping","id":1,"b":{}}'
tk_ok "$(tk_conn_reply flive 1 >/dev/null; echo $?)" "the healthy framed connection is up"
pings=0
healthy() { # both long-lived connections answer, and a new one does too
	pings=$((pings + 1))
	tk_conn_write live 'PING\n'
	tk_wait_for 10 eval '[ "$(grep -c PONG "${TK_CONN_OUT[live]}")" -ge '$pings' ]' || return 1
	tk_conn_send flive "{\"t\":\"raw_get\",\"id\":$((100 + pings)),\"b\":{\"k\":\"k\"}}"
	tk_conn_reply flive $((100 + pings)) >/dev/null || return 1
	[ "$(tk_inline s $'PING\n')" = PONG ] || return 1
	tk_alive s
}
tk_check "healthy connections work before the garbage" healthy

n=0
# garbage LABEL BYTES(printf format) WANT_REPLY DESCRIPTION
garbage() {
	n=$((n + 1))
	tk_conn_open_framed "g$n" s
	tk_conn_write "g$n" "$2"
	tk_wait_for 10 tk_conn_closed "g$n"
	tk_ok $? "$4: the server closes the connection"
	tk_is "$(tk_conn_out "g$n")" "$3" "$4: the reply"
	tk_conn_close "g$n"
	tk_check "$4: the other connections are unaffected and the daemon alive" healthy
}

garbage a '\x00\xff\xff\xff\x01\x02\x03' \
	'{"t":"hello","id":0,"e":{"code":"TOO_LARGE","msg":"frame of 16777215 bytes is above max-frame 4194304"}}' \
	"(a) a frame length above max-frame"

# The oversized frame's error is delivered before the close, also to a
# client that keeps sending: it reads the error, then EOF, never a reset.
printf '\x00\xff\xff\xff' | "$TKFLOOD" "${TK_PORT[s]}" 10 xxxxxxxxxxxxxxxx >"$TK_TMP/flood.out"
rc=$?
r=$("$TKFRAME" decode <"$TK_TMP/flood.out")
tk_is "$r" '{"t":"hello","id":0,"e":{"code":"TOO_LARGE","msg":"frame of 16777215 bytes is above max-frame 4194304"}}' \
	"(a) a client still sending after an oversized frame header reads TOO_LARGE"
tk_is "$rc" 0 "(a) ... then EOF, not a connection reset"
n=$((n + 1)) # one more protocol closure

hello=$("$TKFRAME" encode --hello | od -An -v -tx1 | tr -d ' \n' | sed 's/../\\x&/g')
hello_reply=$(tk_framed s)
garbage a2 "$hello"'\x00\x40\x00\x01' \
	"$(printf '%s\n%s' "$hello_reply" \
		'{"t":"hello","id":0,"e":{"code":"TOO_LARGE","msg":"frame of 4194305 bytes is above max-frame 4194304"}}')" \
	"(a) an oversized length after a good hello"

# 0x00 and 64 random bytes framed as a 64-byte payload
rnd=$(head -c 64 /dev/urandom | od -An -v -tx1 | tr -d ' \n' | sed 's/../\\x&/g')
# the exact message depends on the bytes; the shape does not
n=$((n + 1))
tk_conn_open_framed "g$n" s
tk_conn_write "g$n" '\x00\x00\x00\x40'"$rnd"
tk_wait_for 10 tk_conn_closed "g$n"
r=$(tk_conn_out "g$n")
tk_like "$r" '^\{"t":"hello","id":0,"e":\{"code":"(BAD_REQUEST|PROTOCOL)","msg":' \
	"(b) random bytes: an error reply for the hello (id 0), connection closed" || tk_diag "bytes: $rnd"
tk_conn_close "g$n"
tk_check "(b) random bytes: the other connections are unaffected and the daemon alive" healthy

garbage c '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03' "" "(c) a TLS client hello (first byte 0x16)"
garbage c2 '\xff\xfe\x00' "" "(c) first byte 0xff"

garbage d '\x00\x00\x00\x03\x92\x01\x02' \
	'{"t":"hello","id":0,"e":{"code":"BAD_REQUEST","msg":"envelope: expected a msgpack map"}}' \
	"(d) a frame whose payload is a msgpack array"
garbage d2 "$hello"'\x00\x00\x00\x01\xc1' \
	"$(printf '%s\n%s' "$hello_reply" \
		'{"t":"hello","id":0,"e":{"code":"BAD_REQUEST","msg":"envelope: expected a msgpack map"}}')" \
	"(d) after hello, a payload that is not msgpack at all"

closed=$(tk_metric s tinykv_connections_closed_protocol_total)
tk_is "$((closed - closed0))" "$n" "/metrics tinykv_connections_closed_protocol_total counts each of the $n closures"

# Many short-lived random connections (some start with 0x00, some with a
# letter, so both protocols see garbage); each must be answered and closed
# promptly.  Stop at the first one that hangs, keeping its bytes.
stuck=
for i in $(seq 1 60); do
	f=$TK_TMP/random.bin
	{ [ $((i % 2)) = 0 ] && printf '\x00'; head -c $((RANDOM % 200 + 1)) /dev/urandom; } >"$f"
	timeout 5 nc -N 127.0.0.1 "${TK_PORT[s]}" <"$f" >/dev/null 2>&1
	if [ $? = 124 ]; then
		stuck=$(od -An -tx1 "$f" | tr -d '\n')
		break
	fi
done
tk_is "$stuck" "" "60 connections of random bytes are each answered and closed within 5 s"
[ -z "$stuck" ] || [ "$(tk_inline s $'PING\n')" = PONG ] || tk_bail "tinykvd stopped answering after those bytes"
tk_check "after the random connections the healthy ones still work" healthy

# Clients that vanish with writes in flight: the replies owed by the group
# commit must not outlive their connection (ASan watches this in CI).
for i in $(seq 1 100); do
	printf '{"t":"raw_put","id":%d,"b":{"k":"gone/%d","v":"x"}}\n' "$i" "$i"
done | "$TKFRAME" encode --hello >"$TK_TMP/puts.bin"
for i in $(seq 1 20); do
	exec {fd}<>"/dev/tcp/127.0.0.1/${TK_PORT[s]}"
	cat "$TK_TMP/puts.bin" >&$fd
	exec {fd}>&-
done
tk_check "20 clients closing right after 100 pipelined puts: the others are unaffected" healthy
r=$(tk_framed s '{"t":"raw_scan","id":1,"b":{"start":"gone/","end":"gone0","keys_only":true,"limit":1000}}' | tail -n 1)
tk_like "$r" '"id":1,"r":\{"kvs":\[' "... and the store answers scans over what they wrote"

closed2=$(tk_metric s tinykv_connections_closed_protocol_total)
tk_ok "$([ "$closed2" -gt "$closed" ]; echo $?)" "... and the random ones that broke the protocol ($((closed2 - closed)))"
tk_is "$(tk_metric s tinykv_connections)" 2 "only the two healthy connections are open"

tk_conn_write live 'QUIT\n'
tk_wait_for 10 tk_conn_closed live
tk_ok $? "the healthy inline connection ends with QUIT"
tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM: clean exit"
tk_done
