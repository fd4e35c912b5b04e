#!/bin/bash
# Compare-and-swap (raw_cas) on a live tinykvd: every form through the inline
# protocol, the framed protocol and tinykv-cli; bad requests; a CAS after
# writes of the same key in the same group commit sees them; concurrent CAS
# increments from several clients lose no update.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 180

TKCAS=$top_builddir/t/tkcas
[ -x "$TKCAS" ] || tk_bail "t/tkcas is not built"
tk_start s --sync on || tk_bail "cannot start tinykvd"

# ---- inline ----
r=$(tk_inline s $'CAS --absent lock me\nCAS --absent lock you\nCAS lock you them\nCAS lock me you\nGET lock\n')
tk_is "$r" $'SWAPPED (nil)\nUNCHANGED me\nUNCHANGED me\nSWAPPED me\nyou' \
	"inline: create, then a swap only from the expected value; the reply carries the value before"
r=$(tk_inline s $'CAS --delete lock me\nCAS --delete lock you\nGET lock\nCAS --delete lock you\n')
tk_is "$r" $'UNCHANGED you\nSWAPPED you\n(nil)\nUNCHANGED (nil)' \
	"inline: delete if equal deletes only an equal value; on a missing key it is unchanged, (nil)"
r=$(tk_inline s $'CAS --absent --delete t\nPUT t ""\nCAS --absent --delete t\nCAS --absent t x\nCAS t "" "a b"\nCAS t "a b" ""\nGET t\n')
tk_is "$r" $'SWAPPED (nil)\nOK\nUNCHANGED ""\nUNCHANGED ""\nSWAPPED ""\nSWAPPED "a b"\n""' \
	'inline: an empty value is present (not absent) and matches only "", and can be written'
r=$(tk_inline s $'cas -- --absent x y\nCAS "\\x00k" (nil) v\nCAS --absent "\\x00k" "\\xff"\nCAS "\\x00k" "\\xff" (nil)\nGET "\\x00k"\n')
tk_is "$r" $'UNCHANGED (nil)\nUNCHANGED (nil)\nSWAPPED (nil)\nSWAPPED "\\xff"\n"(nil)"' \
	'inline: -- ends the options, binary keys and values, an argument (nil) is the five bytes'
r=$(tk_inline s $'CAS\nCAS k\nCAS k a\nCAS k a b c\nCAS --absent k\nCAS --delete k a b\nCAS --absent --delete k v\nCAS --nope k a b\nCAS "" a b\n')
n=$(grep -c '^ERR BAD_REQUEST ' <<<"$r")
tk_is "$n" 9 "inline: a wrong argument count, an unknown option or an empty key is ERR BAD_REQUEST"
tk_like "$r" '^ERR BAD_REQUEST CAS --absent takes 2 arguments.*CAS --absent key new' "... naming the forms"
r=$(tk_inline s $'HELP\n')
tk_like "$r" '^  CAS key expected new ' "HELP lists CAS"

# ---- framed ----
f() { tk_framed s "$@" | tail -n +2; }
r=$(f '{"t":"raw_cas","id":1,"b":{"k":"fk","expect_absent":true,"v":"1"}}' \
	'{"t":"raw_cas","id":2,"b":{"k":"fk","expect":"1","v":"2"}}' \
	'{"t":"raw_cas","id":3,"b":{"k":"fk","expect":"1","v":"3"}}' \
	'{"t":"raw_cas","id":4,"b":{"k":"fk","expect":"2","delete":true}}' \
	'{"t":"raw_cas","id":5,"b":{"k":"fk","expect":"2","delete":true}}' \
	'{"t":"raw_cas","id":6,"b":{"k":"fk","expect_absent":true,"v":""}}' \
	'{"t":"raw_cas","id":7,"b":{"k":"fk","expect":"","v":{"$hex":"00ff"}}}')
tk_is "$r" '{"t":"raw_cas","id":1,"r":{"swapped":true}}
{"t":"raw_cas","id":2,"r":{"swapped":true,"prev":{"$b":"1"}}}
{"t":"raw_cas","id":3,"r":{"swapped":false,"prev":{"$b":"2"}}}
{"t":"raw_cas","id":4,"r":{"swapped":true,"prev":{"$b":"2"}}}
{"t":"raw_cas","id":5,"r":{"swapped":false}}
{"t":"raw_cas","id":6,"r":{"swapped":true}}
{"t":"raw_cas","id":7,"r":{"swapped":true,"prev":{"$b":""}}}' \
	"framed: every form; swapped always present, prev absent exactly when the key did not exist"

bad=(
	'{"k":"b","v":"1"}'                                        "neither expect nor expect_absent"
	'{"k":"b","expect":"1","expect_absent":true,"v":"1"}'      "both expect and expect_absent"
	'{"k":"b","expect":"1"}'                                   "neither v nor delete"
	'{"k":"b","expect":"1","v":"2","delete":true}'             "both v and delete"
	'{"k":"b","expect_absent":false,"v":"1"}'                  "expect_absent false and no expect"
	'{"expect":"1","v":"2"}'                                   "no key"
	'{"k":"","expect":"1","v":"2"}'                            "an empty key"
	'{"k":"b","expect":1,"v":"2"}'                             "expect of the wrong type (uint)"
	'{"k":"b","expect":"1","v":["2"]}'                         "v of the wrong type (array)"
	'{"k":"b","expect_absent":"yes","v":"2"}'                  "expect_absent of the wrong type (str)"
	'{"k":"b","expect":"1","delete":1}'                        "delete of the wrong type (uint)"
	'{"k":"b","expect":"1","v":"2","ttl":5}'                   "an unknown field"
)
for ((i = 0; i < ${#bad[@]}; i += 2)); do
	r=$(f "{\"t\":\"raw_cas\",\"id\":9,\"b\":${bad[i]}}")
	tk_like "$r" '^\{"t":"raw_cas","id":9,"e":\{"code":"BAD_REQUEST"' "framed: ${bad[i + 1]} is BAD_REQUEST"
done
{
	printf '{"t":"raw_cas","id":9,"b":{"k":"b","expect_absent":true,"v":"'
	head -c 4161537 /dev/zero | tr '\0' x
	printf '"}}\n'
} >"$TK_TMP/big.json"
r=$("$TKFRAME" encode --hello <"$TK_TMP/big.json" | timeout 20 nc -N 127.0.0.1 "${TK_PORT[s]}" |
	"$TKFRAME" decode | tail -n 1)
tk_like "$r" '"code":"TOO_LARGE"' "framed: a new value above the value limit is TOO_LARGE"
r=$(f '{"t":"raw_get","id":1,"b":{"k":"b"}}')
tk_is "$r" '{"t":"raw_get","id":1,"r":{}}' "... and none of the bad requests wrote anything"

# ---- the same group commit: a CAS sees the writes staged before it ----
# One connection sends everything in one write, so it arrives in one
# reactor iteration: the PUT, DELETE and CASes land in one batch (one group
# commit) and each CAS must compare with the writes before it in that batch.
"$TKFRAME" encode --hello \
	'{"t":"raw_put","id":1,"b":{"k":"gc","v":"1"}}' \
	'{"t":"raw_cas","id":2,"b":{"k":"gc","expect":"1","v":"2"}}' \
	'{"t":"raw_cas","id":3,"b":{"k":"gc","expect":"2","v":"3"}}' \
	'{"t":"raw_cas","id":4,"b":{"k":"gc","expect":"1","v":"x"}}' \
	'{"t":"raw_put","id":5,"b":{"k":"gd","v":"v"}}' \
	'{"t":"raw_delete","id":6,"b":{"k":"gd"}}' \
	'{"t":"raw_cas","id":7,"b":{"k":"gd","expect_absent":true,"v":"new"}}' \
	'{"t":"raw_cas","id":8,"b":{"k":"gd","expect":"new","delete":true}}' \
	'{"t":"raw_batch_put","id":9,"b":{"kvs":[["ge","a"],["gc","4"]]}}' \
	'{"t":"raw_cas","id":10,"b":{"k":"gc","expect":"4","v":"5"}}' \
	'{"t":"raw_get","id":11,"b":{"k":"gc"}}' >"$TK_TMP/batch.frames"
c0=$(tk_metric s tinykv_group_commits_total)
r=$(timeout 20 nc -N 127.0.0.1 "${TK_PORT[s]}" <"$TK_TMP/batch.frames" | "$TKFRAME" decode | tail -n +2)
c1=$(tk_metric s tinykv_group_commits_total)
tk_is "$r" '{"t":"raw_put","id":1,"r":{}}
{"t":"raw_cas","id":2,"r":{"swapped":true,"prev":{"$b":"1"}}}
{"t":"raw_cas","id":3,"r":{"swapped":true,"prev":{"$b":"2"}}}
{"t":"raw_cas","id":4,"r":{"swapped":false,"prev":{"$b":"3"}}}
{"t":"raw_put","id":5,"r":{}}
{"t":"raw_delete","id":6,"r":{}}
{"t":"raw_cas","id":7,"r":{"swapped":true}}
{"t":"raw_cas","id":8,"r":{"swapped":true,"prev":{"$b":"new"}}}
{"t":"raw_batch_put","id":9,"r":{}}
{"t":"raw_cas","id":10,"r":{"swapped":true,"prev":{"$b":"4"}}}
{"t":"raw_get","id":11,"r":{"v":{"$b":"5"}}}' \
	"a CAS after a PUT, DELETE, CAS or batch put of its key in the same batch compares with that write"
tk_is "$((c1 - c0))" 1 "... and all of them were one group commit (one batch, one fsync)"
r=$(tk_inline s $'GET gc\nGET gd\nGET ge\n')
tk_is "$r" $'5\n(nil)\na' "... whose result is what the engine holds afterwards"

# ---- tinykv-cli ----
cli() { out=$("$TKCLI" -a "${TK_ADDR[s]}" "$@" 2>&1); rc=$?; }
cli cas --absent cl one
tk_is "$rc: $out" "0: SWAPPED (nil)" "cli: cas --absent creates (exit 0)"
cli cas cl two three
tk_is "$rc: $out" "1: UNCHANGED one" "cli: a mismatch prints UNCHANGED and the current value, exit 1"
cli --json cas cl one two
tk_is "$rc: $out" '0: {"swapped":true,"prev":{"$b":"one"}}' "cli: --json"
cli --raw cas --delete cl one
tk_is "$rc: $out" "1: two" "cli: --raw prints the previous value; the exit status tells"
cli cas --delete cl two
tk_is "$rc: $out" "0: SWAPPED two" "cli: cas --delete deletes an equal value"
cli get cl
tk_is "$rc: $out" "1: (nil)" "... it is gone"
cli cas cl
tk_like "$rc: $out" '^2: \(error\) USAGE: cas needs KEY EXPECTED NEW' "cli: missing arguments are a usage error"
out=$(printf 'cas --absent "s p" "a\\x00"\ncas "s p" "a\\x00" b\nget "s p"\n' | "$TKCLI" -a "${TK_ADDR[s]}" 2>&1)
tk_is "$?: $out" $'0: SWAPPED (nil)\nSWAPPED "a\\x00"\nb' "cli: quoted binary operands in a script"

# ---- no lost update under contention ----
# 4 processes x 200 increments through the blocking API: each retries from
# the previous value its failed CAS returned.
start=$(tk_now_ms)
pids=()
for i in 1 2 3 4; do
	"$TKCAS" incr "${TK_ADDR[s]}" counter 200 >"$TK_TMP/incr.$i.out" 2>&1 &
	pids+=($!)
	tk_track $!
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
tk_is "$fails" 0 "4 clients x 200 CAS increments: every client finished"
r=$(tk_inline s $'GET counter\n')
tk_is "$r" 800 "... and the counter is exactly 800: no update lost"
tk_diag "blocking: $(cat "$TK_TMP"/incr.*.out | tr '\n' ' ')in $(($(tk_now_ms) - start)) ms"

# 8 pipelined connections on one event loop, 100 increments each: many CASes
# of the key arrive in one iteration, so most compare with pending writes.
start=$(tk_now_ms)
"$TKCAS" async "${TK_ADDR[s]}" acounter 8 100 >"$TK_TMP/async.out" 2>&1
tk_is "$?" 0 "8 async clients x 100 CAS increments finished"
r=$(tk_inline s $'GET acounter\n')
tk_is "$r" 800 "... and the counter is exactly 800"
tk_diag "async: $(cat "$TK_TMP/async.out") in $(($(tk_now_ms) - start)) ms"

# 2 shell loops of tinykv-cli, 10 increments each, retrying from UNCHANGED's
# value (a process per call: kept small for loaded machines)
start=$(tk_now_ms)
incr_cli() {
	local n=0 cur out rc
	cur=$("$TKCLI" -a "${TK_ADDR[s]}" --raw get ccounter)
	while [ $n -lt 10 ]; do
		if [ -z "$cur" ]; then
			out=$("$TKCLI" -a "${TK_ADDR[s]}" --raw cas --absent ccounter 1)
			rc=$?
			[ $rc -eq 0 ] && cur=1
		else
			out=$("$TKCLI" -a "${TK_ADDR[s]}" --raw cas ccounter "$cur" $((cur + 1)))
			rc=$?
			[ $rc -eq 0 ] && cur=$((cur + 1))
		fi
		if [ $rc -eq 0 ]; then n=$((n + 1)); elif [ $rc -eq 1 ]; then cur=$out; else return 1; fi
	done
}
pids=()
for i in 1 2; do incr_cli & pids+=($!); done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
r=$(tk_inline s $'GET ccounter\n')
tk_is "$fails: $r" "0: 20" "2 tinykv-cli loops x 10 cas increments: exactly 20"
tk_diag "cli loops: $(($(tk_now_ms) - start)) ms"

tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM: clean exit"
tk_done
