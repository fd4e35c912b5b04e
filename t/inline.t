#!/bin/bash
# The inline text protocol over netcat: every command, binary-safe quoting,
# errors, an HTTP request on the client port and over-long lines.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 60

tk_start s --sync off || tk_bail "cannot start tinykvd"

r=$(tk_inline s $'PING\nping\n')
tk_is "$r" $'PONG\nPONG' "PING answers PONG, commands are case-insensitive"

r=$(tk_inline s $'GET nothing\n')
tk_is "$r" "(nil)" "GET of a missing key answers (nil)"

r=$(tk_inline s $'PUT k1 v1\nGET k1\n')
tk_is "$r" $'OK\nv1' "PUT answers OK and GET reads the value back"

r=$(tk_inline s $'SET k1 v2\nGET k1\nDEL k1\nGET k1\nDELETE k1\n')
tk_is "$r" $'OK\nv2\nOK\n(nil)\nOK' "SET overwrites, DEL removes, deleting a missing key is OK"

r=$(tk_inline s $'PUT a 1\nPUT b 2\nPUT c 3\nPUT d 4\nSCAN a\n')
tk_is "$r" $'OK\nOK\nOK\nOK\na 1\nb 2\nc 3\nd 4\n(4 pairs)' "SCAN start lists every pair and the count"

r=$(tk_inline s $'SCAN b d\n')
tk_is "$r" $'b 2\nc 3\n(2 pairs)' "SCAN start end stops before end"

r=$(tk_inline s $'SCAN a "" 2\n')
tk_is "$r" $'a 1\nb 2\n(2 pairs, more)' "SCAN with a limit says there is more"

r=$(tk_inline s $'SCAN a e 4\n')
tk_is "$r" $'a 1\nb 2\nc 3\nd 4\n(4 pairs)' "SCAN whose limit is exactly met by the range"

r=$(tk_inline s $'SCAN x\n')
tk_is "$r" "(0 pairs)" "SCAN past the last key is empty"

r=$(tk_inline s $'INFO\n')
tk_like "$r" $'^version: ' "INFO starts with the version"
tk_like "$r" '^store_id: 1$' "INFO shows the store id"
tk_like "$r" "^listen: 127\\.0\\.0\\.1:${TK_PORT[s]}\$" "INFO shows the bound listen address"
tk_is "$(tail -n 1 <<<"$r")" "(end)" "INFO ends with (end)"

r=$(tk_inline s $'HELP\n')
for c in PING GET PUT DEL SCAN INFO HELP QUIT; do
	tk_like "$r" "^  $c( |$)" "HELP lists $c"
done
tk_is "$(tail -n 1 <<<"$r")" "(end)" "HELP ends with (end)"

r=$(tk_inline s $'PING\nQUIT\nPING\n')
tk_is "$r" $'PONG\nBYE' "QUIT answers BYE and closes: nothing after it is answered"

# ---- binary-safe quoting ----
r=$(tk_inline s 'PUT "k\x00\xff" "x\x00y z\xff\"q"'$'\n''GET "k\x00\xff"'$'\n')
tk_is "$r" $'OK\n"x\\x00y z\\xff\\"q"' 'NUL, 0xff, a space and a quote round-trip through \xHH quoting'

r=$(tk_inline s $'PUT \'a key\' \'it\\\'s\'\nGET "a key"\n')
tk_is "$r" $'OK\n"it\'s"' "single quotes keep spaces, \\' is a quote; the reply quotes only when needed"

r=$(tk_inline s $'PUT tabs "a\\tb\\nc\\\\d"\nGET tabs\n')
tk_is "$r" $'OK\n"a\\tb\\nc\\\\d"' "tab, newline and backslash escapes round-trip"

r=$(tk_inline s $'PUT e ""\nGET e\n')
tk_is "$r" $'OK\n""' "an empty value is stored and shown as \"\""

r=$(tk_inline s $'PUT "\\x01" one\nPUT "\\xfe" two\nSCAN "\\x00" "\\xff"\n')
tk_is "$r" $'OK\nOK\n"\\x01" one\na 1\n"a key" "it\'s"\nb 2\nc 3\nd 4\ne ""\n"k\\x00\\xff" "x\\x00y z\\xff\\"q"\ntabs "a\\tb\\nc\\\\d"\n"\\xfe" two\n(10 pairs)' \
	"SCAN quotes binary keys and values and orders bytes unsigned"

# values and keys that read like a reply line of their own are quoted
r=$(tk_inline s $'PUT n1 (nil)\nGET n1\nPUT n2 "(3 pairs)"\nGET n2\nPUT n3 ERR\nGET n3\nPUT n4 ERRx\nGET n4\nPUT n5 x(nil)\nGET n5\n')
tk_is "$r" $'OK\n"(nil)"\nOK\n"(3 pairs)"\nOK\n"ERR"\nOK\n"ERRx"\nOK\nx(nil)' \
	'GET quotes a stored "(nil)", "(..." and "ERR...", so none reads as a missing key, a count or an error'
r=$(tk_inline s $'PUT "(3" pairs)\nPUT ERR BAD_REQUEST\nPUT (p (nil)\nSCAN ( "(\\xff"\nSCAN E F\nDEL "(3"\nDEL ERR\nDEL (p\n')
tk_is "$r" $'OK\nOK\nOK\n"(3" pairs)\n"(p" "(nil)"\n(2 pairs)\n"ERR" BAD_REQUEST\n(1 pairs)\nOK\nOK\nOK' \
	'SCAN quotes such keys and values too: no pair line reads as "(N pairs)", "(nil)" or an ERR line'
r=$(tk_inline s $'GET "(nil)"\nGET n1\n')
tk_is "$r" $'(nil)\n"(nil)"' "... so a missing key and a stored \"(nil)\" read differently"

# the same bytes seen through the framed protocol
r=$(tk_framed s '{"t":"raw_get","id":1,"b":{"k":{"$hex":"6b00ff"}}}' | tail -n 1)
tk_is "$r" '{"t":"raw_get","id":1,"r":{"v":{"$hex":"780079207aff2271"}}}' \
	"the framed protocol reads the exact bytes written inline"

# ---- errors: the connection stays usable ----
r=$(tk_inline s $'FROB x\nPING\n')
tk_is "$r" $'ERR BAD_REQUEST unknown command \'FROB\' (try HELP)\nPONG' "an unknown command is an error and the connection goes on"
r=$(tk_inline s $'GET\nGET a b\nPUT a\nPUT a b c\nDEL\nSCAN a b 1 2\nSCAN a b x\n')
tk_is "$r" "ERR BAD_REQUEST wrong arguments; usage: GET key
ERR BAD_REQUEST wrong arguments; usage: GET key
ERR BAD_REQUEST wrong arguments; usage: PUT key value
ERR BAD_REQUEST wrong arguments; usage: PUT key value
ERR BAD_REQUEST wrong arguments; usage: DEL key
ERR BAD_REQUEST wrong arguments; usage: SCAN start [end [limit]]
ERR BAD_REQUEST wrong arguments; usage: SCAN start [end [limit]] (limit is a number)" \
	"wrong arity and a non-numeric limit are BAD_REQUEST with the usage"
r=$(tk_inline s $'SCAN a "" 18446744073709551616\nPING\n')
tk_is "$r" "ERR BAD_REQUEST limit 18446744073709551616 is out of range (at most 18446744073709551615)
PONG" "a SCAN limit that overflows is refused, not clamped"
r=$(tk_inline s $'PUT "abc v\nPUT \'abc v\nGET "\\xZZ"\nPING\n')
tk_like "$(sed -n 1p <<<"$r")" '^ERR BAD_REQUEST .*quote' "an unbalanced double quote is BAD_REQUEST"
tk_like "$(sed -n 2p <<<"$r")" '^ERR BAD_REQUEST .*quote' "an unbalanced single quote is BAD_REQUEST"
tk_like "$(sed -n 3p <<<"$r")" '^ERR BAD_REQUEST ' "a bad \\x escape is BAD_REQUEST"
tk_is "$(sed -n 4p <<<"$r")" "PONG" "the connection survives quoting errors"
r=$(tk_inline s $'PUT a b c d e f g h i\nPING\n')
tk_is "$r" $'ERR BAD_REQUEST too many arguments\nPONG' "more than 8 arguments is BAD_REQUEST"
r=$(tk_inline s $'GET ""\nPUT "" v\n')
tk_is "$r" $'ERR BAD_REQUEST key must not be empty\nERR BAD_REQUEST key must not be empty' "an empty key is refused"
r=$(tk_inline s $'PING\n\n\r\nPING\r\n')
tk_is "$r" $'PONG\nPONG' "blank lines are ignored and CRLF line ends work"
r=$(printf '\nPING\n' | timeout 10 nc -N 127.0.0.1 "${TK_PORT[s]}")
tk_is "$r" "" "a first byte that is neither a letter nor 0x00 (here a newline) closes at once"

# ---- HTTP on the client port ----
r=$(printf 'GET /status HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 20 nc -N 127.0.0.1 "${TK_PORT[s]}")
tk_like "$r" $'^HTTP/1\\.0 400 Bad Request\r' "an HTTP request gets 400 Bad Request"
tk_like "$r" 'status-addr' "the 400 body points at the status address"
r=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://${TK_ADDR[s]}/metrics")
tk_is "$r" 400 "curl on the client port sees HTTP 400"

# ---- values above the limit, lines longer than max-frame (4194304) ----
r=$(printf 'PUT v %s\nGET v\n' "$(head -c 4161537 /dev/zero | tr '\0' v)" | timeout 20 nc -N 127.0.0.1 "${TK_PORT[s]}")
tk_is "$r" $'ERR TOO_LARGE value of 4161537 bytes is above the 4161536 byte limit\n(nil)' "PUT of a value above the limit is TOO_LARGE naming the limit"
long=$(head -c 4200000 /dev/zero | tr '\0' a)
tk_conn_open big s
tk_conn_write big "PUT big $long"
tk_wait_for 10 tk_conn_closed big
tk_ok $? "a line growing past max-frame without a newline closes the connection"
tk_is "$(tk_conn_out big)" "ERR TOO_LARGE line longer than max-frame (4194304 bytes)" "... after ERR TOO_LARGE"
tk_conn_close big

# A complete over-long line arriving in one piece must be refused the same
# way: the limit may not depend on how TCP split the bytes.
r=$(printf 'PUT big %s\nGET big\n' "$long" | timeout 20 nc -N 127.0.0.1 "${TK_PORT[s]}" | cut -c1-80)
tk_like "$r" '^ERR TOO_LARGE' "a complete line longer than max-frame is refused with TOO_LARGE"
r=$(tk_inline s $'GET big\n' | cut -c1-20)
tk_is "$r" "(nil)" "... and nothing was stored"

# A client that keeps sending after its line went over the limit must still
# read the error, then a clean end of stream (the server drains before it
# closes), never a reset that could destroy the error in flight.
r=$(printf 'PUT big ' | "$TKFLOOD" "${TK_PORT[s]}" 10 aaaaaaaaaaaaaaaa)
rc=$?
tk_is "$r" "ERR TOO_LARGE line longer than max-frame (4194304 bytes)" "a client still sending after an over-long line reads ERR TOO_LARGE"
tk_is "$rc" 0 "... then EOF, not a connection reset"

r=$(tk_inline s $'PING\n')
tk_is "$r" "PONG" "the daemon serves new connections after all that"
tk_ok "$(tk_alive s; echo $?)" "the daemon is still running"

tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM: clean exit"

# A last line without a newline, then end of input (nc -N half-closes): the
# command runs.  On its own daemon: a failure here must not hang the rest.
tk_start t --sync off || tk_bail "cannot start tinykvd"
r=$(printf 'PING' | timeout 5 nc -N 127.0.0.1 "${TK_PORT[t]}")
tk_is "$r" "PONG" "a last line without a newline is run at end of input"
r=$(printf 'PING\n' | timeout 5 nc -N 127.0.0.1 "${TK_PORT[t]}")
tk_is "$r" "PONG" "... and the daemon keeps serving"
tk_stop t TERM 5
tk_is "${TK_RC[t]}" 0 "... and exits cleanly on SIGTERM"
tk_done
