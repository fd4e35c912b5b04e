#!/bin/bash
# tkframe, the installed frame tool: all or nothing on bad JSON, no binary
# on a terminal unless asked, --hex, and installation with a man page.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 60

TKPTY=$top_builddir/t/tkpty
[ -x "$TKFRAME" ] || tk_bail "tools/tkframe is not built"
[ -x "$TKPTY" ] || tk_bail "t/tkpty is not built"
ping='{"t":"ping","id":1,"b":{}}'

printf '%s %s' "$ping" '{"t":"ping","id":' | "$TKFRAME" encode >"$TK_TMP/frames" 2>"$TK_TMP/err"
rc=$?
tk_is "$rc: $(wc -c <"$TK_TMP/frames")" "1: 0" "bad JSON after a good envelope on stdin: exit 1 and nothing written"
tk_like "$(cat "$TK_TMP/err")" 'tkframe: JSON' "... the error is reported"
"$TKFRAME" encode "$ping" '{bad' >"$TK_TMP/frames" 2>/dev/null
tk_is "$?: $(wc -c <"$TK_TMP/frames")" "1: 0" "the same with arguments"
"$TKFRAME" encode "$ping" "$ping" | "$TKFRAME" decode >"$TK_TMP/dec"
tk_is "$?: $(cat "$TK_TMP/dec")" "0: $ping"$'\n'"$ping" "good envelopes round-trip through encode | decode"
out=$("$TKFRAME" encode --hex "$ping")
tk_is "$?: $out" "0: 0000000f83a174a470696e67a2696401a16280" "encode --hex prints each frame as a hex line"

# on a terminal (t/tkpty): refused, with a hint, unless --hex or --force
out=$(printf 'wait\n' | "$TKPTY" -o "$TK_TMP/tty1.out" -- "$TKFRAME" encode "$ping")
tk_is "$out" "exit 1" "encode refuses to write binary to a terminal"
tk_like "$(cat "$TK_TMP/tty1.out")" 'not writing binary frames to a terminal.*' "... saying why"
tk_unlike "$(od -An -c "$TK_TMP/tty1.out")" '\\0' "... and no frame byte reached it"
out=$(printf 'wait\n' | "$TKPTY" -o "$TK_TMP/tty2.out" -- "$TKFRAME" encode "$ping" '{bad')
tk_is "$out" "exit 1" "bad JSON on a terminal: exit 1"
tk_like "$(cat "$TK_TMP/tty2.out")" 'tkframe: JSON' "... reports the JSON error"
tk_unlike "$(od -An -c "$TK_TMP/tty2.out")" '\\0' "... and writes no frame byte"
out=$(printf 'wait\n' | "$TKPTY" -o "$TK_TMP/tty3.out" -- "$TKFRAME" encode --force "$ping")
tk_is "$out" "exit 0" "--force writes to a terminal anyway"
out=$(printf 'expect 0000000f83a1\nwait\n' | "$TKPTY" -o "$TK_TMP/tty4.out" -- "$TKFRAME" encode --hex "$ping")
tk_is "$out" "exit 0" "--hex works on a terminal"

# installed, with a page
progs=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" -f Makefile -f - \
	tk-print-bin <<<'tk-print-bin: ; @echo $(bin_PROGRAMS)' 2>&1)
tk_like " $progs " ' tools/tkframe ' "tkframe is in bin_PROGRAMS (make install puts it on PATH)"
nopage=
for p in $progs; do
	b=$(basename "$p")
	ls "$top_srcdir"/man/"$b".[1-8] >/dev/null 2>&1 || nopage="$nopage $b"
done
tk_is "${nopage:-none}" none "every installed program has a man page ($(echo $progs | wc -w) programs)"
tk_done
