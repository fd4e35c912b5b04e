#!/bin/bash
# Region context checks of tinykvd (proto-spec/errors.md, "Region context"):
# a request routed with a wrong store, region or epoch gets the region error
# with its detail, in request order, and the connection goes on; a request
# with the right context, or none, is served.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 60

tk_start s || tk_bail "cannot start tinykvd"
ok='"ctx":{"region":1,"conf_ver":1,"version":1}'
r=$("$TKFRAME" encode --hello \
	'{"t":"raw_put","id":1,"b":{"k":{"$b":"a"},"v":{"$b":"1"},'"$ok"'}}' \
	'{"t":"raw_get","id":2,"b":{"k":{"$b":"a"},"ctx":{"region":7,"conf_ver":1,"version":1}}}' \
	'{"t":"raw_get","id":3,"b":{"k":{"$b":"a"},"ctx":{"region":1,"conf_ver":1,"version":9}}}' \
	'{"t":"kv_prewrite","id":4,"b":{"mutations":[{"op":"put","k":{"$b":"t"},"v":{"$b":"x"}}],"primary":{"$b":"t"},"start_ts":5,"lock_ttl":100,"ctx":{"region":1,"conf_ver":2,"version":1}}}' \
	'{"t":"raw_cas","id":5,"b":{"k":{"$b":"a"},"expect":{"$b":"1"},"v":{"$b":"2"},"ctx":{"region":1,"conf_ver":1,"version":1,"store":9}}}' \
	'{"t":"raw_get","id":6,"b":{"k":{"$b":"a"},'"$ok"'}}' \
	'{"t":"raw_get","id":7,"b":{"k":{"$b":"a"}}}' |
	nc -q 2 127.0.0.1 "${TK_PORT[s]}" | "$TKFRAME" decode)
tk_diag "$r"
line() { sed -n "$1p" <<<"$r"; }
tk_like "$(line 2)" '"id":1,"r":\{\}' "a put with the right context is served"
tk_like "$(line 3)" '"id":2,"e":\{"code":"REGION_NOT_FOUND",.*"region":7' "another region: REGION_NOT_FOUND naming it"
tk_like "$(line 4)" '"id":3,"e":\{"code":"EPOCH_NOT_MATCH",.*"regions":\[\{"id":1,.*"conf_ver":1,"version":1' \
	"a stale version: EPOCH_NOT_MATCH with the region as the store has it"
tk_like "$(line 5)" '"id":4,"e":\{"code":"EPOCH_NOT_MATCH"' "... also for a transactional write (a stale conf_ver)"
tk_like "$(line 6)" '"id":5,"e":\{"code":"STORE_NOT_MATCH"' "a request meant for another store: STORE_NOT_MATCH"
tk_like "$(line 7)" '"id":6,"r":\{"v":\{"\$b":"1"\}\}' "the refused CAS wrote nothing; the connection goes on"
tk_like "$(line 8)" '"id":7,"r":\{"v":\{"\$b":"1"\}\}' "a request without a context is served"
r=$(tk_inline s $'GET a\n')
tk_is "$r" "1" "the inline protocol (no context) is served"
tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM: clean exit"
tk_done
