#!/bin/bash
# Envelope errors (proto-spec/framing.md, "Envelope errors"): each defect is
# either a connection error (one reply for id 0, then the server closes) or
# a request error (a reply with the request's id, and the connection goes
# on), whatever the order of the envelope's keys.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 90

tk_start s --sync off || tk_bail "cannot start tinykvd"

# ---- connection errors: one connection each ----
# fr HEX: a frame around the payload HEX, as a printf format
fr() {
	local n=$((${#1} / 2))
	printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((n >> 24 & 255)) $((n >> 16 & 255)) $((n >> 8 & 255)) $((n & 255))
	sed 's/../\\x&/g' <<<"$1"
}
# after_hello BYTES(printf format) | JSON: hello, that frame, then ping 99;
# the replies after the hello's
after_hello() {
	{
		"$TKFRAME" encode --hello
		if [ "${1:0:1}" = '{' ]; then "$TKFRAME" encode "$1"; else printf "$1"; fi
		"$TKFRAME" encode '{"t":"ping","id":99,"b":{}}'
	} | timeout 10 nc -N 127.0.0.1 "${TK_PORT[s]}" | "$TKFRAME" decode | tail -n +2
}
# conn_error WHAT FRAME MSG_ERE: a reply for id 0, then the connection closes
conn_error() {
	local r
	r=$(after_hello "$2")
	tk_like "$r" "^\\{\"t\":\"hello\",\"id\":0,\"e\":\\{\"code\":\"(BAD_REQUEST|PROTOCOL)\",\"msg\":\"$3" \
		"$1: a connection error (id 0)"
	tk_is "$(wc -l <<<"$r")" 1 "$1: ... and the connection is closed"
}
conn_error "a body cut short after the id" "$(fr 83a2696405a174a470696e67a16281)" 'envelope: malformed or truncated'
conn_error "bytes after the envelope" "$(fr 83a174a470696e67a2696405a16280c0)" 'envelope: 1 trailing bytes'
conn_error "no id" '{"t":"ping","b":{}}' "envelope: 'id' must be one unsigned integer"
conn_error "a str id" '{"t":"ping","id":"5","b":{}}' "envelope: 'id' must be one unsigned integer"
conn_error "a negative id" '{"t":"ping","id":-5,"b":{}}' "envelope: 'id' must be one unsigned integer"
conn_error "two ids" '{"t":"ping","id":5,"id":6,"b":{}}' "envelope: 'id' must be one unsigned integer"
conn_error "id 0 on a request" '{"t":"ping","id":0,"b":{}}' 'id 0 is reserved for hello'
conn_error "id 0 on an unknown type" '{"t":"frob","id":0,"b":{}}' 'id 0 is reserved for hello'

# ---- request errors: all on one connection, answered in order ----
# send CASE-ID JSON | raw BYTES: one more request of the pipeline below
deep=$(printf '%.0s[' $(seq 1 50))$(printf "%.0s]" $(seq 1 50))
{
	"$TKFRAME" encode --hello \
		'{"id":11,"b":{}}' \
		'{"t":5,"id":12,"b":{}}' \
		'{"t":"ping","t":"ping","id":13,"b":{}}' \
		'{"t":"frob","id":14,"b":{}}' \
		'{"x":1,"id":15,"t":"ping","b":{}}'
	printf "$(fr 840102a174a470696e67a2696410a16280)" # {1:2,"t":"ping","id":16,"b":{}}
	"$TKFRAME" encode \
		'{"t":"ping","id":17}' \
		'{"t":"ping","id":18,"b":{},"b":{}}' \
		'{"t":"ping","id":19,"r":{}}' \
		'{"t":"ping","id":20,"e":{"code":"X","msg":"y"}}' \
		'{"t":"ping","id":21,"b":[]}' \
		"{\"t\":\"ping\",\"id\":22,\"b\":{\"x\":$deep}}" \
		'{"t":"hello","id":23,"b":{"proto":2,"role":"client"}}' \
		'{"t":"raw_scan","id":24,"b":{"start":"a","limit":-1}}' \
		'{"t":"ping","id":99,"b":{}}'
} | timeout 20 nc -N 127.0.0.1 "${TK_PORT[s]}" | "$TKFRAME" decode >"$TK_TMP/req.out"
reply() { grep -a -- "\"id\":$1," "$TK_TMP/req.out" | head -n 1; }
req_error() { tk_like "$(reply "$2")" "$3" "$1: an error for that request (id $2)"; }
req_error "no t" 11 "^\\{\"t\":\"\\?\",\"id\":11,\"e\":\\{\"code\":\"BAD_REQUEST\",\"msg\":\"envelope: needs 't'"
req_error "a number for t" 12 '"id":12,"e":\{"code":"BAD_REQUEST","msg":"envelope: .t. must be one str'
req_error "two t" 13 '"id":13,"e":\{"code":"BAD_REQUEST","msg":"envelope: .t. must be one str'
req_error "an unknown type" 14 '^\{"t":"frob","id":14,"e":\{"code":"UNKNOWN_MESSAGE"'
req_error "an unknown key before t and id" 15 \
	"^\\{\"t\":\"ping\",\"id\":15,\"e\":\\{\"code\":\"BAD_REQUEST\",\"msg\":\"envelope: unknown key 'x'"
req_error "a key that is not a str" 16 '^\{"t":"ping","id":16,"e":\{"code":"BAD_REQUEST","msg":"envelope: keys must be str'
req_error "no body" 17 '"id":17,"e":\{"code":"BAD_REQUEST","msg":"envelope: needs'
req_error "two bodies" 18 '"id":18,"e":\{"code":"BAD_REQUEST","msg":"envelope: needs'
req_error "a reply ('r') sent to the server" 19 '"id":19,"e":\{"code":"PROTOCOL"'
req_error "an error ('e') sent to the server" 20 '"id":20,"e":\{"code":"PROTOCOL"'
req_error "a body that is a list" 21 '"id":21,"e":\{"code":"BAD_REQUEST"'
req_error "a body nested 50 deep (a body may nest 16)" 22 '"id":22,"e":\{"code":"BAD_REQUEST"'
req_error "a second hello" 23 '"id":23,"e":\{"code":"PROTOCOL","msg":"hello was already done'
req_error "a negative integer for a uint field" 24 '"id":24,"e":\{"code":"BAD_REQUEST","msg":"[^"]*field .limit.'
tk_is "$(reply 99)" '{"t":"ping","id":99,"r":{}}' "after all of them the connection still answers"
tk_is "$(wc -l <"$TK_TMP/req.out")" 16 "one reply per request (and the hello's), nothing more"

tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM: clean exit"
tk_done
