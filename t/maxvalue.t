#!/bin/bash
# Values have a maximum (proto-spec/framing.md, "Limits") so that any stored
# pair fits a reply: the largest pair is stored and read back by get and
# scan at the smallest max-frame a store accepts, one byte more of value is
# TOO_LARGE naming the limit, and a payload of exactly max-frame is accepted.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 120

# reply ID OUTPUT: the reply line with that id
reply() { grep -a -- "\"id\":$1," <<<"$2" | head -n 1; }

# ---- the largest pair, and the max-frame boundary ----
# A store refuses a max-frame below 4178944 (t/daemon.t): at exactly that,
# a pair of the largest key (8192) and value (4161536 bytes) is stored and
# read back by get and by scan, so no pair can hide the keys after it.
minf=4178944
vmax=4161536
tk_start m --sync off --max-frame $minf || tk_bail "cannot start tinykvd"
xs() { head -c "$1" /dev/zero | tr '\0' "${2:-x}"; }
# fm: JSON envelopes on stdin; hello, the frames, the replies as JSON lines
fm() { "$TKFRAME" encode --hello | timeout 30 nc -N 127.0.0.1 "${TK_PORT[m]}" | "$TKFRAME" decode; }
K=$(xs 8192 k)
V=$(xs $vmax v)
r=$({
	printf '{"t":"raw_batch_put","id":1,"b":{"kvs":[["a","1"],["%s","%s"],["m","2"]]}}\n' "$K" "$V"
	printf '{"t":"raw_get","id":2,"b":{"k":"%s"}}\n' "$K"
	echo '{"t":"raw_scan","id":3,"b":{"start":"a","limit":10}}'
	echo '{"t":"raw_scan","id":4,"b":{"start":"a","end":"n","reverse":true}}'
	printf '{"t":"raw_put","id":5,"b":{"k":"v1","v":"%sv"}}\n' "$V"
	printf '{"t":"raw_batch_put","id":6,"b":{"kvs":[["v2","2"],["v3","%sv"]]}}\n' "$V"
	printf '{"t":"kv_prewrite","id":7,"b":{"mutations":[{"op":"put","k":"v4","v":"%sv"}],"primary":"v4","start_ts":1,"lock_ttl":10}}\n' "$V"
	printf '{"t":"raw_put","id":8,"b":{"k":"%s","v":"%s"}}\n' "$K" "$V"
	echo '{"t":"raw_scan","id":9,"b":{"start":"v","end":"w","keys_only":true}}'
} | fm)
tk_is "$(reply 1 "$r")" '{"t":"raw_batch_put","id":1,"r":{}}' "a pair of the largest key and value is stored (max-frame $minf)"
tk_is "$(reply 2 "$r")" "{\"t\":\"raw_get\",\"id\":2,\"r\":{\"v\":{\"\$b\":\"$V\"}}}" "... raw_get reads it back"
tk_is "$(reply 3 "$r")" "{\"t\":\"raw_scan\",\"id\":3,\"r\":{\"kvs\":[[{\"\$b\":\"a\"},{\"\$b\":\"1\"}],[{\"\$b\":\"$K\"},{\"\$b\":\"$V\"}],[{\"\$b\":\"m\"},{\"\$b\":\"2\"}]]}}" \
	"... a scan returns it with the pairs around it"
tk_is "$(reply 4 "$r")" "{\"t\":\"raw_scan\",\"id\":4,\"r\":{\"kvs\":[[{\"\$b\":\"m\"},{\"\$b\":\"2\"}],[{\"\$b\":\"$K\"},{\"\$b\":\"$V\"}],[{\"\$b\":\"a\"},{\"\$b\":\"1\"}]]}}" \
	"... so does a reverse scan"
tk_is "$(reply 5 "$r")" '{"t":"raw_put","id":5,"e":{"code":"TOO_LARGE","msg":"value of 4161537 bytes is above the 4161536 byte limit"}}' \
	"raw_put of a value one byte above the limit is TOO_LARGE naming the limit"
tk_is "$(reply 6 "$r")" '{"t":"raw_batch_put","id":6,"e":{"code":"TOO_LARGE","msg":"pair 1: value of 4161537 bytes is above the 4161536 byte limit"}}' \
	"raw_batch_put: the same, naming the pair"
tk_is "$(reply 7 "$r")" '{"t":"kv_prewrite","id":7,"e":{"code":"TOO_LARGE","msg":"mutation 0: value of 4161537 bytes is above the 4161536 byte limit"}}' \
	"kv_prewrite: the same, naming the mutation"
tk_is "$(reply 8 "$r")" '{"t":"raw_put","id":8,"r":{}}' "raw_put of the largest pair fits one request frame"
tk_is "$(reply 9 "$r")" '{"t":"raw_scan","id":9,"r":{"kvs":[]}}' "... and none of the refused values was written"

# a payload of exactly max-frame is accepted, one byte more is not
mk() { printf '{"t":"raw_batch_put","id":1,"b":{"kvs":[["big","%s"],["big2","%s"]]}}\n' "$(xs 2000000)" "$(xs "$1")"; }
p0=$(($(mk 500 | "$TKFRAME" encode | wc -c) - 4))
len=$((500 + minf - p0 - 2)) # str32 above 65535 bytes: two more header bytes than str16
tk_is "$(($(mk $len | "$TKFRAME" encode | wc -c) - 4))" $minf "a raw_batch_put with a $len-byte second value is a $minf-byte payload"
r=$({ mk $len; echo '{"t":"raw_get","id":2,"b":{"k":"big2"}}'; } | fm)
tk_is "$(reply 1 "$r")" '{"t":"raw_batch_put","id":1,"r":{}}' "a payload of exactly max-frame ($minf) is accepted"
tk_is "$(reply 2 "$r")" "{\"t\":\"raw_get\",\"id\":2,\"r\":{\"v\":{\"\$b\":\"$(xs $len)\"}}}" "... and its value reads back"
r=$({ mk $((len + 1)); echo '{"t":"ping","id":2,"b":{}}'; } | fm)
tk_is "$(sed -n 2p <<<"$r")" "{\"t\":\"hello\",\"id\":0,\"e\":{\"code\":\"TOO_LARGE\",\"msg\":\"frame of $((minf + 1)) bytes is above max-frame $minf\"}}" \
	"one byte more is TOO_LARGE"
tk_is "$(wc -l <<<"$r")" 2 "... and the connection is closed"
# The reply budget of scans and batch gets leaves room for small pairs too.
r=$(tk_framed m '{"t":"raw_batch_put","id":3,"b":{"kvs":[["a","1"],["b","2"],["c","3"]]}}' \
	'{"t":"raw_scan","id":4,"b":{"start":"a","end":"b0"}}' '{"t":"raw_batch_get","id":5,"b":{"keys":["a","c"]}}')
tk_is "$(reply 4 "$r")" '{"t":"raw_scan","id":4,"r":{"kvs":[[{"$b":"a"},{"$b":"1"}],[{"$b":"b"},{"$b":"2"}]]}}' \
	"at the smallest max-frame a scan of two small pairs works"
tk_is "$(reply 5 "$r")" '{"t":"raw_batch_get","id":5,"r":{"kvs":[[{"$b":"a"},{"$b":"1"}],[{"$b":"c"},{"$b":"3"}]]}}' \
	"at the smallest max-frame a batch_get of two small pairs works"
r=$(tk_framed m '{"t":"raw_batch_get","id":6,"b":{"keys":["big","big2","b"]}}' | tail -n 1)
tk_like "$r" '"id":6,"e":\{"code":"TOO_LARGE","msg":"the values of 3 keys do not fit one reply \(max-frame 4178944 bytes\); ask for fewer keys"' \
	"a batch_get whose values do not fit is TOO_LARGE naming max-frame"
tk_stop m
tk_done
