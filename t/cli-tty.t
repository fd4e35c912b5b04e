#!/bin/bash
# tinykv-cli's interactive shell on a real terminal (t/tkpty drives a pty):
# Ctrl-C cancels the line and neither ends the shell nor signals its process
# group again, Ctrl-D leaves, the exit status after quit is the last
# command's, and Tab completes commands, subcommands and options.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 90

TKPTY=$top_builddir/t/tkpty
[ -x "$TKPTY" ] || tk_bail "t/tkpty is not built"
[ -x "$TKCLI" ] || tk_bail "src/cli/tinykv-cli is not built"
tk_start s --sync off || tk_bail "cannot start tinykvd"

# shell [TKPTY OPTIONS --] < ACTIONS: the shell on a pty (scheduler on a
# closed port); tkpty's report in $out, its status in $rc, the terminal's
# output in $TK_TMP/tty.out.  Keys are sent after the prompt and raw mode
# ("raw"): a key typed before libedit is ready would be cooked by the
# terminal instead (as when pasted very fast).
n_tty=0
shell() {
	n_tty=$((n_tty + 1))
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	out=$(HOME=$TK_TMP timeout 60 "$TKPTY" -t 15000 -o "$TK_TMP/tty$n_tty.out" "${opts[@]}" -- \
		"$TKCLI" -a "${TK_ADDR[s]}" -s 127.0.0.1:1 2>&1)
	rc=$?
	cp "$TK_TMP/tty$n_tty.out" "$TK_TMP/tty.out"
}
tty_diag() { tk_diag "terminal output:"$'\n'"$(cat -v "$TK_TMP/tty.out" | tail -n 15)"; }

# ---- Ctrl-C ----
: >"$TK_TMP/sentinel"
shell -S "$TK_TMP/sentinel" -- <<'EOF'
expect > 
raw
send put cancelled yes
expect put cancelled yes
send \x03
expect ^C
expect > 
raw
send get cancelled\r
expect (nil)
expect > 
raw
send quit\r
wait
EOF
tk_is "$rc: $out" "0: exit 1" "Ctrl-C cancels the typed line; the shell goes on (and exits with the last command's status)" || tty_diag
sig=$(wc -c <"$TK_TMP/sentinel")
tk_is "$sig" 1 "a process in the shell's group got only the terminal's SIGINT, none re-sent to the group"

shell -- <<'EOF'
expect > 
raw
send \x03
expect > 
raw
send \x03
expect > 
raw
send \x03
expect > 
raw
send \x04
wait
EOF
tk_is "$rc: $out" "0: exit 0" "Ctrl-C at an empty prompt, three times: still running; Ctrl-D then leaves with 0" || tty_diag

# ---- exit status ----
shell -- <<'EOF'
expect > 
raw
send frobnicate\r
expect unknown command
expect > 
raw
send ping\r
expect PONG
expect > 
raw
send quit\r
wait
EOF
tk_is "$rc: $out" "0: exit 0" "quit after a failed command and a good one exits 0" || tty_diag

shell -- <<'EOF'
expect > 
raw
send ping\r
expect PONG
expect > 
raw
send get ""\r
expect BAD_REQUEST
expect > 
raw
send quit\r
wait
EOF
tk_is "$rc: $out" "0: exit 3" "quit right after a failed command exits with its status" || tty_diag

shell -- <<'EOF'
expect > 
raw
send frobnicate\r
expect unknown command
expect > 
raw
send \x04
wait
EOF
tk_is "$rc: $out" "0: exit 2" "Ctrl-D right after a failed command exits with its status" || tty_diag

# ---- completion ----
"$TKCLI" -a "${TK_ADDR[s]}" bput ca 1 cb 2 >/dev/null
shell -- <<'EOF'
expect > 
raw
send help sto\t\r
expect list | offline ID | up ID
expect > 
raw
send store o\t7\r
expect CONNECTION
expect > 
raw
send region i\t9\r
expect CONNECTION
expect > 
raw
send scheduler add balance-l\t\r
expect CONNECTION
expect > 
raw
send scan c d --k\t\r
expect cb
expect > 
raw
send get --he\t\r
expect print the value of KEY
expect > 
raw
send \x04
wait
EOF
tk_is "$rc: $out" "0: exit 0" "Tab completes command names, subcommands, their arguments and options" || tty_diag
tr -d '\r' <"$TK_TMP/tty.out" >"$TK_TMP/tty.txt"
tk_unlike "$(cat "$TK_TMP/tty.txt")" 'USAGE' "... every completed line was a valid command" || tty_diag
tk_like "$(cat "$TK_TMP/tty.txt")" '^cb$' "... scan --k<Tab> became --keys-only (keys without values)"
tk_done
