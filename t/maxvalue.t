#!/bin/bash
# Values have a maximum (proto-spec/framing.md, "Limits") so that any stored
# pair fits a reply: the largest pair is stored and read back by get and
# scan at the smallest max-frame a store accepts, one byte more of value is
# TOO_LARGE naming the limit, and a payload of exactly max-frame is accepted.
# The megabyte-sized frames and replies live in files, not shell variables.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 120

minf=4178944 # the smallest max-frame tinykvd accepts (t/daemon.t)
vmax=4161536 # the value limit
tk_start m --sync off --max-frame $minf || tk_bail "cannot start tinykvd"
xs() { head -c "$1" /dev/zero | tr '\0' "${2:-x}"; }
# fm IN OUT: the JSON envelopes in IN, after a hello, on one connection; the
# replies as JSON lines in OUT
fm() {
	"$TKFRAME" encode --hello <"$1" | timeout 60 nc -N 127.0.0.1 "${TK_PORT[m]}" |
		"$TKFRAME" decode >"$2"
}
# reply ID FILE: the reply line with that id
reply() { grep -a -- "\"id\":$1," "$2" | head -n 1; }
# same ID FILE WANT_FILE DESCRIPTION: the reply is exactly WANT_FILE's line
same() {
	local got
	got=$(reply "$1" "$2" | cmp - "$3" 2>&1)
	tk_ok "$([ -z "$got" ]; echo $?)" "$4" || tk_diag "$(reply "$1" "$2" | cut -c1-200)"
}

K=$(xs 8192 k)
xs $vmax v >"$TK_TMP/V"
{
	printf '{"t":"raw_batch_put","id":1,"b":{"kvs":[["a","1"],["%s","' "$K"
	cat "$TK_TMP/V"
	printf '"],["m","2"]]}}\n'
	printf '{"t":"raw_get","id":2,"b":{"k":"%s"}}\n' "$K"
	echo '{"t":"raw_scan","id":3,"b":{"start":"a","limit":10}}'
	echo '{"t":"raw_scan","id":4,"b":{"start":"a","end":"n","reverse":true}}'
	printf '{"t":"raw_put","id":5,"b":{"k":"v1","v":"'
	cat "$TK_TMP/V"
	printf 'v"}}\n{"t":"raw_batch_put","id":6,"b":{"kvs":[["v2","2"],["v3","'
	cat "$TK_TMP/V"
	printf 'v"]]}}\n{"t":"kv_prewrite","id":7,"b":{"mutations":[{"op":"put","k":"v4","v":"'
	cat "$TK_TMP/V"
	printf 'v"}],"primary":"v4","start_ts":1,"lock_ttl":10}}\n'
	printf '{"t":"raw_put","id":8,"b":{"k":"%s","v":"' "$K"
	cat "$TK_TMP/V"
	printf '"}}\n'
	echo '{"t":"raw_scan","id":9,"b":{"start":"v","end":"w","keys_only":true}}'
} >"$TK_TMP/big.json"
fm "$TK_TMP/big.json" "$TK_TMP/big.out"
pair() { printf '[{"$b":"%s"},{"$b":"%s"}]' "$1" "$2"; }
bigpair() { printf '[{"$b":"%s"},{"$b":"' "$K"; cat "$TK_TMP/V"; printf '"}]'; }
tk_is "$(reply 1 "$TK_TMP/big.out")" '{"t":"raw_batch_put","id":1,"r":{}}' \
	"a pair of the largest key and value is stored (max-frame $minf)"
{ printf '{"t":"raw_get","id":2,"r":{"v":{"$b":"'; cat "$TK_TMP/V"; printf '"}}}\n'; } >"$TK_TMP/want2"
same 2 "$TK_TMP/big.out" "$TK_TMP/want2" "... raw_get reads it back"
{ printf '{"t":"raw_scan","id":3,"r":{"kvs":[%s,' "$(pair a 1)"; bigpair; printf ',%s]}}\n' "$(pair m 2)"; } >"$TK_TMP/want3"
same 3 "$TK_TMP/big.out" "$TK_TMP/want3" "... a scan returns it with the pairs around it"
{ printf '{"t":"raw_scan","id":4,"r":{"kvs":[%s,' "$(pair m 2)"; bigpair; printf ',%s]}}\n' "$(pair a 1)"; } >"$TK_TMP/want4"
same 4 "$TK_TMP/big.out" "$TK_TMP/want4" "... so does a reverse scan"
tk_is "$(reply 5 "$TK_TMP/big.out")" '{"t":"raw_put","id":5,"e":{"code":"TOO_LARGE","msg":"value of 4161537 bytes is above the 4161536 byte limit"}}' \
	"raw_put of a value one byte above the limit is TOO_LARGE naming the limit"
tk_is "$(reply 6 "$TK_TMP/big.out")" '{"t":"raw_batch_put","id":6,"e":{"code":"TOO_LARGE","msg":"pair 1: value of 4161537 bytes is above the 4161536 byte limit"}}' \
	"raw_batch_put: the same, naming the pair"
tk_is "$(reply 7 "$TK_TMP/big.out")" '{"t":"kv_prewrite","id":7,"e":{"code":"TOO_LARGE","msg":"mutation 0: value of 4161537 bytes is above the 4161536 byte limit"}}' \
	"kv_prewrite: the same, naming the mutation"
tk_is "$(reply 8 "$TK_TMP/big.out")" '{"t":"raw_put","id":8,"r":{}}' "raw_put of the largest pair fits one request frame"
tk_is "$(reply 9 "$TK_TMP/big.out")" '{"t":"raw_scan","id":9,"r":{"kvs":[]}}' "... and none of the refused values was written"

# A payload of exactly max-frame is accepted, one byte more is not: a batch
# of two values (each under the limit) sized to the byte.
mk() { printf '{"t":"raw_batch_put","id":1,"b":{"kvs":[["big","%s"],["big2","' "$(xs 2000000)"; xs "$1"; printf '"]]}}\n'; }
p0=$(($(mk 500 | "$TKFRAME" encode | wc -c) - 4))
len=$((500 + minf - p0 - 2)) # str32 above 65535 bytes: two more header bytes than str16
{ mk $len; echo '{"t":"raw_get","id":2,"b":{"k":"big2"}}'; } >"$TK_TMP/edge.json"
tk_is "$(($(head -n 1 "$TK_TMP/edge.json" | "$TKFRAME" encode | wc -c) - 4))" $minf \
	"a raw_batch_put with a $len-byte second value is a $minf-byte payload"
fm "$TK_TMP/edge.json" "$TK_TMP/edge.out"
tk_is "$(reply 1 "$TK_TMP/edge.out")" '{"t":"raw_batch_put","id":1,"r":{}}' "a payload of exactly max-frame ($minf) is accepted"
{ printf '{"t":"raw_get","id":2,"r":{"v":{"$b":"'; xs $len; printf '"}}}\n'; } >"$TK_TMP/want-edge"
same 2 "$TK_TMP/edge.out" "$TK_TMP/want-edge" "... and its value reads back"
{ mk $((len + 1)); echo '{"t":"ping","id":2,"b":{}}'; } >"$TK_TMP/over.json"
fm "$TK_TMP/over.json" "$TK_TMP/over.out"
tk_is "$(sed -n 2p "$TK_TMP/over.out")" "{\"t\":\"hello\",\"id\":0,\"e\":{\"code\":\"TOO_LARGE\",\"msg\":\"frame of $((minf + 1)) bytes is above max-frame $minf\"}}" \
	"one byte more is TOO_LARGE"
tk_is "$(wc -l <"$TK_TMP/over.out")" 2 "... and the connection is closed"

# The reply budget of scans and batch gets leaves room for small pairs too.
r=$(tk_framed m '{"t":"raw_batch_put","id":3,"b":{"kvs":[["a","1"],["b","2"],["c","3"]]}}' \
	'{"t":"raw_scan","id":4,"b":{"start":"a","end":"b0"}}' '{"t":"raw_batch_get","id":5,"b":{"keys":["a","c"]}}' \
	'{"t":"raw_batch_get","id":6,"b":{"keys":["big","big2","b"]}}')
tk_is "$(sed -n 3p <<<"$r")" '{"t":"raw_scan","id":4,"r":{"kvs":[[{"$b":"a"},{"$b":"1"}],[{"$b":"b"},{"$b":"2"}]]}}' \
	"at the smallest max-frame a scan of two small pairs works"
tk_is "$(sed -n 4p <<<"$r")" '{"t":"raw_batch_get","id":5,"r":{"kvs":[[{"$b":"a"},{"$b":"1"}],[{"$b":"c"},{"$b":"3"}]]}}' \
	"at the smallest max-frame a batch_get of two small pairs works"
tk_like "$(sed -n 5p <<<"$r")" '"id":6,"e":\{"code":"TOO_LARGE","msg":"the values of 3 keys do not fit one reply \(max-frame 4178944 bytes\); ask for fewer keys"' \
	"a batch_get whose values do not fit is TOO_LARGE naming max-frame"
tk_stop m
tk_is "${TK_RC[m]}" 0 "SIGTERM: clean exit"
tk_done
