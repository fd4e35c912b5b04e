#!/bin/bash
# Durability under SIGKILL: with sync on, a writer keeps hundreds of puts in
# flight and records each acknowledged key as its OK arrives; the daemon is
# killed mid-load, restarted on the same data dir, and every acknowledged
# key must be there with its value.  Twice, the second time with larger
# values on top of the recovered data.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 120

[ -x "$TKLOAD" ] || tk_bail "t/tkload is not built"
tk_start s --sync on || tk_bail "cannot start tinykvd"

acks() { cat "$TK_TMP"/acked-* 2>/dev/null | wc -l; }

# round NAME PREFIX VSIZE MIN_ACKS
round() {
	local name=$1 prefix=$2 vsize=$3 min=$4 out=$TK_TMP/writer-$1.out w
	: >"$TK_TMP/acked-$name"
	"$TKLOAD" write "${TK_ADDR[s]}" "$TK_TMP/acked-$name" --inflight 512 --prefix "$prefix" \
		--vsize "$vsize" >"$out" 2>&1 &
	w=$!
	tk_track $w
	tk_wait_for 60 eval '[ "$(wc -l <"$TK_TMP/acked-'"$name"'" 2>/dev/null || echo 0)" -ge '"$min"' ]'
	tk_ok $? "$name: the writer got at least $min acknowledgements"
	tk_kill s
	tk_is "${TK_RC[s]}" 137 "$name: tinykvd killed with SIGKILL mid-load"
	tk_wait_for 30 _tk_gone $w
	tk_ok $? "$name: the writer noticed the dead connection and stopped"
	wait $w
	tk_diag "$name: writer: $(tr '\n' ' ' <"$out")"
	tk_like "$(cat "$out")" 'errors=[1-9]' "$name: puts were in flight when the daemon died"
	tk_restart s || tk_bail "$name: tinykvd does not restart on the crashed data dir"
	tk_ok 0 "$name: tinykvd restarts on the same data dir"
}

round first a/ 32 3000
r=$("$TKLOAD" verify "${TK_ADDR[s]}" "$TK_TMP/acked-first" --vsize 32 2>&1)
tk_like "$r" "checked=$(wc -l <"$TK_TMP/acked-first") missing=0 wrong=0 errors=0" \
	"first: every acknowledged put survived the crash with its value"

round second b/ 2000 2000
r=$("$TKLOAD" verify "${TK_ADDR[s]}" "$TK_TMP/acked-first" --vsize 32 2>&1)
tk_like "$r" "missing=0 wrong=0 errors=0\$" "second: the first round's keys are still there"
r=$("$TKLOAD" verify "${TK_ADDR[s]}" "$TK_TMP/acked-second" --vsize 2000 2>&1)
tk_like "$r" "checked=$(wc -l <"$TK_TMP/acked-second") missing=0 wrong=0 errors=0" \
	"second: every acknowledged 2 KB put survived the crash"
tk_diag "acknowledged puts checked: $(acks)"

tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM: clean exit"
tk_done
