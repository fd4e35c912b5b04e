#!/bin/bash
# The framed msgpack protocol through tools/tkframe and netcat: every raw
# message, the hello rules, and request errors that keep the connection.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 60

tk_start s --sync off || tk_bail "cannot start tinykvd"
G=$top_srcdir/proto-spec/golden

# reply ID OUTPUT: the reply line with that id
reply() { grep -a -- "\"id\":$1," <<<"$2" | head -n 1; }
# one: a fresh connection, hello, one request; its reply
one() { tk_framed s "$1" | sed -n 2p; }

# ---- hello and the golden vectors of proto-spec ----
r=$(tk_framed s)
tk_is "$r" "$(cat "$G/hello_resp.json")" "hello reply matches proto-spec/golden/hello_resp.json"
r=$(tk_framed s "$(cat "$G/ping_req.json")" | sed -n 2p)
tk_is "$r" "$(cat "$G/ping_resp.json")" "ping matches the golden reply"
r=$(tk_framed s "$(cat "$G/raw_put_req.json")" "$(cat "$G/raw_get_req.json")")
tk_is "$(reply 3 "$r")" "$(cat "$G/raw_put_resp.json")" "golden raw_put gets the golden reply"
tk_is "$(reply 2 "$r")" '{"t":"raw_get","id":2,"r":{"v":{"$hex":"00ff10"}}}' "golden raw_get reads the golden put's bytes"

# ---- every raw message ----
r=$(one '{"t":"raw_put","id":11,"b":{"k":"k1","v":"v1"}}')
tk_is "$r" '{"t":"raw_put","id":11,"r":{}}' "raw_put"
r=$(one '{"t":"raw_get","id":12,"b":{"k":"k1"}}')
tk_is "$r" '{"t":"raw_get","id":12,"r":{"v":{"$b":"v1"}}}' "raw_get of a present key has v"
r=$(one '{"t":"raw_get","id":13,"b":{"k":"nope"}}')
tk_is "$r" '{"t":"raw_get","id":13,"r":{}}' "raw_get of a missing key has no v"
r=$(tk_framed s '{"t":"raw_put","id":1,"b":{"k":"empty","v":""}}' '{"t":"raw_get","id":2,"b":{"k":"empty"}}')
tk_is "$(reply 2 "$r")" '{"t":"raw_get","id":2,"r":{"v":{"$b":""}}}' "an empty value is present, not missing"
r=$(tk_framed s '{"t":"raw_delete","id":14,"b":{"k":"k1"}}' '{"t":"raw_get","id":15,"b":{"k":"k1"}}' \
	'{"t":"raw_delete","id":16,"b":{"k":"k1"}}')
tk_is "$(reply 14 "$r")" '{"t":"raw_delete","id":14,"r":{}}' "raw_delete"
tk_is "$(reply 15 "$r")" '{"t":"raw_get","id":15,"r":{}}' "the deleted key is gone (read your writes on one connection)"
tk_is "$(reply 16 "$r")" '{"t":"raw_delete","id":16,"r":{}}' "deleting a missing key succeeds"

r=$(one '{"t":"raw_batch_put","id":20,"b":{"kvs":[["s/a","1"],["s/b","2"],["s/c","3"],["s/d",{"$hex":"00ff"}],["t","x"]]}}')
tk_is "$r" '{"t":"raw_batch_put","id":20,"r":{}}' "raw_batch_put"
r=$(one '{"t":"raw_batch_get","id":21,"b":{"keys":["s/c","missing","s/a","s/d"]}}')
tk_is "$r" '{"t":"raw_batch_get","id":21,"r":{"kvs":[[{"$b":"s/c"},{"$b":"3"}],[{"$b":"s/a"},{"$b":"1"}],[{"$b":"s/d"},{"$hex":"00ff"}]]}}' \
	"raw_batch_get: request order, missing keys left out, binary values"
r=$(one '{"t":"raw_batch_get","id":22,"b":{"keys":[]}}')
tk_is "$r" '{"t":"raw_batch_get","id":22,"r":{"kvs":[]}}' "raw_batch_get of no keys"

r=$(one '{"t":"raw_scan","id":30,"b":{"start":"s/"}}')
tk_is "$r" '{"t":"raw_scan","id":30,"r":{"kvs":[[{"$b":"s/a"},{"$b":"1"}],[{"$b":"s/b"},{"$b":"2"}],[{"$b":"s/c"},{"$b":"3"}],[{"$b":"s/d"},{"$hex":"00ff"}],[{"$b":"t"},{"$b":"x"}],[{"$b":"user:1"},{"$hex":"00ff10"}]]}}' \
	"raw_scan from start to the end of the keyspace"
r=$(one '{"t":"raw_scan","id":31,"b":{"start":"s/","end":"s/c"}}')
tk_is "$r" '{"t":"raw_scan","id":31,"r":{"kvs":[[{"$b":"s/a"},{"$b":"1"}],[{"$b":"s/b"},{"$b":"2"}]]}}' "raw_scan with an exclusive end"
r=$(one '{"t":"raw_scan","id":32,"b":{"start":"s/","end":"t","limit":2}}')
tk_is "$r" '{"t":"raw_scan","id":32,"r":{"kvs":[[{"$b":"s/a"},{"$b":"1"}],[{"$b":"s/b"},{"$b":"2"}]],"more":true}}' "raw_scan with a limit sets more"
r=$(one '{"t":"raw_scan","id":33,"b":{"start":"s/","end":"t","keys_only":true}}')
tk_is "$r" '{"t":"raw_scan","id":33,"r":{"kvs":[[{"$b":"s/a"},null],[{"$b":"s/b"},null],[{"$b":"s/c"},null],[{"$b":"s/d"},null]]}}' "raw_scan keys_only"
r=$(one '{"t":"raw_scan","id":34,"b":{"start":"s/","end":"s/d","reverse":true}}')
tk_is "$r" '{"t":"raw_scan","id":34,"r":{"kvs":[[{"$b":"s/c"},{"$b":"3"}],[{"$b":"s/b"},{"$b":"2"}],[{"$b":"s/a"},{"$b":"1"}]]}}' "raw_scan reverse starts below end"
r=$(one '{"t":"raw_scan","id":35,"b":{"start":"s/","end":"t","reverse":true,"limit":1,"keys_only":true}}')
tk_is "$r" '{"t":"raw_scan","id":35,"r":{"kvs":[[{"$b":"s/d"},null]],"more":true}}' "raw_scan reverse + limit + keys_only"
r=$(one '{"t":"raw_scan","id":36,"b":{"start":"s/c","end":"s/a"}}')
tk_is "$r" '{"t":"raw_scan","id":36,"r":{"kvs":[]}}' "raw_scan with end before start is empty"

r=$(one '{"t":"raw_batch_delete","id":40,"b":{"keys":["s/a","s/b","never"]}}')
tk_is "$r" '{"t":"raw_batch_delete","id":40,"r":{}}' "raw_batch_delete"
r=$(one '{"t":"raw_scan","id":41,"b":{"start":"s/","keys_only":true}}')
tk_is "$r" '{"t":"raw_scan","id":41,"r":{"kvs":[[{"$b":"s/c"},null],[{"$b":"s/d"},null],[{"$b":"t"},null],[{"$b":"user:1"},null]]}}' "the batch-deleted keys are gone"
r=$(one '{"t":"raw_batch_put","id":42,"b":{"kvs":[["ok","1"],["","2"]]}}')
tk_like "$r" '"id":42,"e":\{"code":"BAD_REQUEST"' "a batch with one bad key is refused"
r=$(one '{"t":"raw_get","id":43,"b":{"k":"ok"}}')
tk_is "$r" '{"t":"raw_get","id":43,"r":{}}' "... and none of it was written (all or nothing)"
bigkey=$(head -c 9000 /dev/zero | tr '\0' k)
r=$(one "{\"t\":\"raw_put\",\"id\":44,\"b\":{\"k\":\"$bigkey\",\"v\":\"x\"}}")
tk_like "$r" '"id":44,"e":\{"code":"TOO_LARGE"' "a key above 8 KiB is TOO_LARGE"
# scan bounds obey the key limit too: a bound no key can reach is a client bug
maxkey=$(head -c 8192 /dev/zero | tr '\0' k)
r=$(tk_framed s "{\"t\":\"raw_scan\",\"id\":45,\"b\":{\"start\":\"$bigkey\"}}" \
	"{\"t\":\"raw_scan\",\"id\":46,\"b\":{\"start\":\"a\",\"end\":\"$bigkey\"}}" \
	"{\"t\":\"kv_scan\",\"id\":47,\"b\":{\"start\":\"$bigkey\",\"version\":1}}" \
	"{\"t\":\"kv_scan\",\"id\":48,\"b\":{\"start\":\"a\",\"end\":\"$bigkey\",\"version\":1}}" \
	"{\"t\":\"kv_scan_lock\",\"id\":49,\"b\":{\"max_ts\":1,\"start\":\"$bigkey\"}}" \
	"{\"t\":\"kv_scan_lock\",\"id\":50,\"b\":{\"max_ts\":1,\"end\":\"$bigkey\"}}" \
	"{\"t\":\"raw_scan\",\"id\":51,\"b\":{\"start\":\"$maxkey\",\"end\":\"$maxkey\"}}" \
	"{\"t\":\"kv_scan\",\"id\":52,\"b\":{\"start\":\"$maxkey\",\"version\":1}}")
for i in 45 47 49; do
	tk_like "$(reply $i "$r")" "\"id\":$i,\"e\":\\{\"code\":\"TOO_LARGE\",\"msg\":\"scan start of 9000 bytes is above the 8192 byte key limit\"" \
		"$(reply $i "$r" | cut -d'"' -f4): a start above 8 KiB is TOO_LARGE"
done
for i in 46 48 50; do
	tk_like "$(reply $i "$r")" "\"id\":$i,\"e\":\\{\"code\":\"TOO_LARGE\",\"msg\":\"scan end of 9000 bytes is above the 8192 byte key limit\"" \
		"$(reply $i "$r" | cut -d'"' -f4): an end above 8 KiB is TOO_LARGE"
done
tk_is "$(reply 51 "$r")" '{"t":"raw_scan","id":51,"r":{"kvs":[]}}' "raw_scan bounds of exactly 8 KiB are fine"
tk_is "$(reply 52 "$r")" '{"t":"kv_scan","id":52,"r":{"pairs":[]}}' "kv_scan bounds of exactly 8 KiB are fine"

# pipelining: 200 requests in one write, 200 replies, in order for one connection
reqs=()
for i in $(seq 1 100); do
	reqs+=("{\"t\":\"raw_put\",\"id\":$((1000 + i)),\"b\":{\"k\":\"p$i\",\"v\":\"$i\"}}")
done
for i in $(seq 1 100); do
	reqs+=("{\"t\":\"raw_get\",\"id\":$((2000 + i)),\"b\":{\"k\":\"p$i\"}}")
done
r=$(tk_framed s "${reqs[@]}")
tk_is "$(grep -c '"r":{}' <<<"$r")" 100 "100 pipelined puts acknowledged"
bad=0
for i in $(seq 1 100); do
	[ "$(reply $((2000 + i)) "$r")" == "{\"t\":\"raw_get\",\"id\":$((2000 + i)),\"r\":{\"v\":{\"\$b\":\"$i\"}}}" ] || bad=$((bad + 1))
done
tk_is "$bad" 0 "100 pipelined gets read every value"

# ---- hello rules ----
r=$("$TKFRAME" encode '{"t":"ping","id":5,"b":{}}' '{"t":"ping","id":6,"b":{}}' |
	timeout 10 nc -N 127.0.0.1 "${TK_PORT[s]}" | "$TKFRAME" decode)
tk_is "$r" '{"t":"hello","id":0,"e":{"code":"PROTOCOL","msg":"the first message on a connection must be hello"}}' \
	"a request before hello is refused (id 0) and the connection closed"
r=$("$TKFRAME" encode '{"t":"hello","id":7,"b":{"proto":1,"role":"client"}}' '{"t":"ping","id":8,"b":{}}' |
	timeout 10 nc -N 127.0.0.1 "${TK_PORT[s]}" | "$TKFRAME" decode)
tk_like "$r" '^\{"t":"hello","id":7,"e":\{"code":"VERSION_MISMATCH","msg":"protocol version 1 not supported' \
	"a wrong protocol version is VERSION_MISMATCH"
tk_is "$(wc -l <<<"$r")" 1 "... and the connection is closed"
r=$("$TKFRAME" encode '{"t":"hello","id":9,"b":{"proto":2,"role":"store"}}' '{"t":"ping","id":10,"b":{}}' |
	timeout 10 nc -N 127.0.0.1 "${TK_PORT[s]}" | "$TKFRAME" decode)
tk_like "$r" "^\\{\"t\":\"hello\",\"id\":9,\"e\":\\{\"code\":\"VERSION_MISMATCH\",\"msg\":\"role 'store' not served" \
	"a wrong role is VERSION_MISMATCH"
tk_is "$(wc -l <<<"$r")" 1 "... and the connection is closed"
r=$("$TKFRAME" encode '{"t":"hello","id":1,"b":{"proto":2}}' '{"t":"ping","id":2,"b":{}}' |
	timeout 10 nc -N 127.0.0.1 "${TK_PORT[s]}" | "$TKFRAME" decode)
tk_like "$r" '"id":1,"e":\{"code":"BAD_REQUEST","msg":"[^"]*missing field .role.' "a hello without role is BAD_REQUEST"
tk_is "$(wc -l <<<"$r")" 1 "... and the connection is closed (a refused hello ends it)"
r=$("$TKFRAME" encode '{"t":"frob","id":5,"b":{}}' '{"t":"ping","id":6,"b":{}}' |
	timeout 10 nc -N 127.0.0.1 "${TK_PORT[s]}" | "$TKFRAME" decode)
tk_is "$r" '{"t":"hello","id":0,"e":{"code":"PROTOCOL","msg":"the first message on a connection must be hello"}}' \
	"an unknown type before hello is a connection error"
r=$(tk_framed s '{"t":"hello","id":3,"b":{"proto":2,"role":"client"}}' '{"t":"ping","id":4,"b":{}}')
tk_like "$(reply 3 "$r")" '"e":\{"code":"PROTOCOL","msg":"hello was already done"' "a second hello is PROTOCOL"
tk_is "$(reply 4 "$r")" '{"t":"ping","id":4,"r":{}}' "... and the connection goes on"

# ---- request errors keep the connection ----
r=$(tk_framed s '{"t":"frobnicate","id":50,"b":{}}' '{"t":"ping","id":51,"b":{}}')
tk_is "$(reply 50 "$r")" "{\"t\":\"frobnicate\",\"id\":50,\"e\":{\"code\":\"UNKNOWN_MESSAGE\",\"msg\":\"unknown message type 'frobnicate'\"}}" \
	"an unknown message type is UNKNOWN_MESSAGE with the request id"
tk_is "$(reply 51 "$r")" '{"t":"ping","id":51,"r":{}}' "... and the connection is still usable"

r=$(tk_framed s \
	'{"t":"raw_get","id":60,"b":{"k":5}}' \
	'{"t":"raw_get","id":61,"b":{}}' \
	'{"t":"raw_get","id":62,"b":{"k":"a","kk":1}}' \
	'{"t":"raw_put","id":63,"b":{"k":"a","v":null}}' \
	'{"t":"raw_scan","id":64,"b":{"start":"a","limit":-1}}' \
	'{"t":"raw_scan","id":65,"b":{"start":"a","reverse":1}}' \
	'{"t":"raw_batch_put","id":66,"b":{"kvs":[["a"]]}}' \
	'{"t":"raw_batch_get","id":67,"b":{"keys":"a"}}' \
	'{"t":"raw_get","id":68,"b":["a"]}' \
	'{"t":"raw_get","id":69}' \
	'{"t":"raw_get","id":70,"b":{"k":"a"},"x":1}' \
	'{"t":"raw_get","id":71,"r":{}}' \
	'{"t":"ping","id":72,"b":{}}')
tk_like "$(reply 60 "$r")" "\"e\":\\{\"code\":\"BAD_REQUEST\",\"msg\":\"raw_get: field 'k' of raw_get_req: expected bin, got uint\"" \
	"a wrong field type is BAD_REQUEST naming the field"
tk_like "$(reply 61 "$r")" "\"e\":\\{\"code\":\"BAD_REQUEST\",\"msg\":\"[^\"]*missing field 'k'" "a missing field is BAD_REQUEST"
tk_like "$(reply 62 "$r")" "\"e\":\\{\"code\":\"BAD_REQUEST\",\"msg\":\"[^\"]*unknown field 'kk'" "an unknown field is BAD_REQUEST"
tk_like "$(reply 63 "$r")" '"e":\{"code":"BAD_REQUEST","msg":"[^"]*expected bin, got nil' "a nil value is BAD_REQUEST"
tk_like "$(reply 64 "$r")" '"e":\{"code":"BAD_REQUEST","msg":"[^"]*limit' "a negative limit is BAD_REQUEST"
tk_like "$(reply 65 "$r")" '"e":\{"code":"BAD_REQUEST","msg":"[^"]*expected bool' "a number for a bool is BAD_REQUEST"
tk_like "$(reply 66 "$r")" '"e":\{"code":"BAD_REQUEST","msg":"[^"]*pairs' "a pair without a value is BAD_REQUEST"
tk_like "$(reply 67 "$r")" '"e":\{"code":"BAD_REQUEST","msg":"[^"]*expected array' "a string for a list is BAD_REQUEST"
tk_like "$(reply 68 "$r")" '"id":68,"e":\{"code":"BAD_REQUEST"' "a body that is not a map is BAD_REQUEST"
tk_like "$(reply 69 "$r")" '"id":69,"e":\{"code":"BAD_REQUEST","msg":"envelope' "an envelope without a body is BAD_REQUEST"
tk_like "$(reply 70 "$r")" "\"id\":70,\"e\":\\{\"code\":\"BAD_REQUEST\",\"msg\":\"envelope: unknown key 'x'" "an unknown envelope key is BAD_REQUEST"
tk_like "$(reply 71 "$r")" '"id":71,"e":\{"code":"PROTOCOL"' "a reply sent by the client is PROTOCOL"
tk_is "$(reply 72 "$r")" '{"t":"ping","id":72,"r":{}}' "after all these errors the connection still answers"
tk_is "$(grep -c . <<<"$r")" 14 "one reply per request, nothing more"

# Replies echo request bytes in str fields (the type, a quoted field name):
# they must still be valid UTF-8, the bad bytes escaped as \xHH.
raw() { { "$TKFRAME" encode --hello; printf "$1"; "$TKFRAME" encode '{"t":"ping","id":9,"b":{}}'; } |
	timeout 10 nc -N 127.0.0.1 "${TK_PORT[s]}"; }
bytes=$(raw '\x00\x00\x00\x0d\x83\xa1t\xa2\xff\xfe\xa2id\x05\xa1b\x80' | od -An -v -tx1 | tr -d ' \n')
tk_unlike "$bytes" 'fffe' "a type of bytes ff fe is not echoed raw"
r=$(raw '\x00\x00\x00\x0d\x83\xa1t\xa2\xff\xfe\xa2id\x05\xa1b\x80' | "$TKFRAME" decode)
tk_is "$(sed -n 2p <<<"$r")" "{\"t\":\"\\\\xff\\\\xfe\",\"id\":5,\"e\":{\"code\":\"UNKNOWN_MESSAGE\",\"msg\":\"unknown message type '\\\\xff\\\\xfe'\"}}" \
	"... it comes back as the text \\xff\\xfe, in t and in the message"
tk_is "$(sed -n 3p <<<"$r")" '{"t":"ping","id":9,"r":{}}' "... and the connection goes on"
r=$(raw '\x00\x00\x00\x16\x83\xa1t\xa7raw_get\xa2id\x05\xa1b\x81\xa2\xff\xfe\x01' | "$TKFRAME" decode | sed -n 2p)
tk_is "$r" "$(cat "$G/error_resp_not_utf8.json")" "a field named ff fe: the reply is golden/error_resp_not_utf8.json"
tk_ok "$(iconv -f UTF-8 -t UTF-8 <<<"$r" >/dev/null 2>&1; echo $?)" "... which is valid UTF-8"

r=$(tk_http s /metrics | awk '$1 ~ /^tinykv_requests_total\{type="raw_scan"\}$/ {print $2}')
tk_ok "$([ "${r:-0}" -ge 10 ]; echo $?)" "/metrics counts the scans by type ($r)"

tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM: clean exit"


# ---- ids and max-scan-limit ----
tk_start n --sync off --max-scan-limit 3 || tk_bail "cannot start tinykvd"
r=$(tk_framed n '{"t":"ping","id":18446744073709551615,"b":{}}' \
	'{"t":"raw_batch_put","id":2,"b":{"kvs":[["a","1"],["b","2"],["c","3"],["d","4"]]}}' \
	'{"t":"raw_scan","id":3,"b":{"start":"a","end":"z","limit":10,"keys_only":true}}' \
	'{"t":"raw_batch_get","id":4,"b":{"keys":["a","b","c","d"]}}')
tk_is "$(sed -n 2p <<<"$r")" '{"t":"ping","id":18446744073709551615,"r":{}}' "the largest 64-bit id is echoed"
tk_is "$(reply 3 "$r")" '{"t":"raw_scan","id":3,"r":{"kvs":[[{"$b":"a"},null],[{"$b":"b"},null],[{"$b":"c"},null]],"more":true}}' \
	"a scan limit above max-scan-limit is capped, with more"
tk_like "$(reply 4 "$r")" '"e":\{"code":"TOO_LARGE","msg":"batch of 4 keys is above max-scan-limit 3"' \
	"a batch_get above max-scan-limit is TOO_LARGE"
tk_stop n
tk_done
