#!/bin/bash
# tinykv-cli against a live daemon: every raw command one-shot and through
# a pipe, binary keys and quoting, --raw and --json, and the exit codes.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 180

[ -x "$TKCLI" ] || tk_bail "src/cli/tinykv-cli is not built"
tk_start s --sync off || tk_bail "cannot start tinykvd"

# cli ARGS...: one-shot; output (stdout and stderr) in $out, status in $rc
cli() {
	out=$(timeout 20 "$TKCLI" -a "${TK_ADDR[s]}" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" >>"$TK_TMP/cli.out" # checked for sanitizer reports
}
# pipe TEXT [ARGS...]: commands on stdin
pipe() {
	local text=$1
	shift
	out=$(printf '%s' "$text" | timeout 20 "$TKCLI" -a "${TK_ADDR[s]}" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" >>"$TK_TMP/cli.out"
}

# ---- one-shot ----
cli ping
tk_is "$rc: $out" "0: PONG" "ping"
cli put k1 v1
tk_is "$rc: $out" "0: OK" "put"
cli get k1
tk_is "$rc: $out" "0: v1" "get"
cli get nope
tk_is "$rc: $out" "1: (nil)" "get of a missing key prints (nil) and exits 1"
cli delete k1
tk_is "$rc: $out" "0: OK" "delete"
cli get k1
tk_is "$rc" 1 "the deleted key is gone"
cli delete k1
tk_is "$rc: $out" "0: OK" "deleting a missing key is not an error"

cli bput s/a 1 s/b 2 s/c 3 s/d 4
tk_is "$rc: $out" "0: OK" "bput of 4 pairs"
cli bget s/c none s/a
tk_is "$rc: $out" $'0: s/c 3\nnone (nil)\ns/a 1' "bget lists each key, (nil) for a missing one"
cli scan s/ s/z
tk_is "$rc: $out" $'0: s/a 1\ns/b 2\ns/c 3\ns/d 4' "scan START END"
cli scan s/ s/z --limit 2
tk_is "$rc: $out" $'0: s/a 1\ns/b 2\n(more)' "scan --limit says (more)"
cli scan s/ s/d --reverse
tk_is "$rc: $out" $'0: s/c 3\ns/b 2\ns/a 1' "scan --reverse"
cli scan s/ s/z --keys-only
tk_is "$rc: $out" $'0: s/a\ns/b\ns/c\ns/d' "scan --keys-only"
cli bdelete s/a s/b
tk_is "$rc: $out" "0: OK" "bdelete"
cli scan s/ s/z
tk_is "$rc: $out" $'0: s/c 3\ns/d 4' "the batch-deleted keys are gone"

# binary: one-shot arguments are taken as they are, output is quoted
cli put $'tab\tkey with "quote"' $'\xff\x01 end'
tk_is "$rc: $out" "0: OK" "one-shot put of a key with a tab, spaces and quotes"
r=$(tk_inline s 'GET "tab\tkey with \"quote\""'$'\n')
tk_is "$r" '"\xff\x01 end"' "the daemon has the exact bytes"
cli get $'tab\tkey with "quote"'
tk_is "$rc: $out" '0: "\xff\x01 end"' "get shows a binary value quoted"
cli --raw get $'tab\tkey with "quote"'
tk_is "$(printf '%s' "$out" | od -An -tx1 | tr -d ' ')" "ff0120656e64" "--raw prints the value bytes as they are"
cli scan tab tac
tk_is "$rc: $out" '0: "tab\tkey with \"quote\"" "\xff\x01 end"' "scan quotes binary keys and values"

# ---- --json ----
cli put j1 hello
cli --json get j1
tk_is "$rc: $out" '0: {"found":true,"value":{"$b":"hello"}}' "--json get"
cli --json get nope
tk_is "$rc: $out" '1: {"found":false}' "--json get of a missing key, exit 1"
cli --json get $'tab\tkey with "quote"'
tk_is "$out" '{"found":true,"value":{"$hex":"ff0120656e64"}}' "--json shows binary values in hex"
cli --json scan j j2
tk_is "$rc: $out" '0: {"kvs":[[{"$b":"j1"},{"$b":"hello"}]],"more":false}' "--json scan"
out=$("$TKCLI" -a "${TK_ADDR[s]}" --json scan "" 2>/dev/null | "$TKFRAME" encode >/dev/null 2>&1; echo $?)
tk_is "$out" 0 "--json output parses as JSON"

# ---- a pipe of commands ----
pipe $'ping\nput "b\\x00in" "\\xff\\x00"\nget "b\\x00in"\nput \'sp ace\' \'it\\\'s\'\nget "sp ace"\nscan b c\ndelete "b\\x00in"\nget "b\\x00in"\n'
tk_is "$out" $'PONG\nOK\n"\\xff\\x00"\nOK\n"it\'s"\n"b\\x00in" "\\xff\\x00"\nOK\n(nil)' "commands through a pipe, with quoting"
tk_is "$rc" 1 "... the status is the highest of all commands (a missing key: 1)"
pipe $'bput x1 1 x2 2\nbget x1 x2 x3\nbdelete x1 x2\nbget x1\n'
tk_is "$rc: $out" $'0: OK\nx1 1\nx2 2\nx3 (nil)\nOK\nx1 (nil)' "batch commands through a pipe (bget of missing keys is not an error)"
out=$(printf 'put r1 "a\\x00b"\nget r1\nget r1\n' | timeout 20 "$TKCLI" -a "${TK_ADDR[s]}" --raw | od -An -tx1 | tr -d ' \n')
tk_is "$out" "6100620a6100620a" "--raw in a pipe: only the value bytes, NUL included, one per line"
pipe $'get j1\nget nope\n' --json
tk_is "$out" $'{"found":true,"value":{"$b":"hello"}}\n{"found":false}' "--json in a pipe: one object per command"
pipe $'get "unbalanced\nping\n'
tk_is "$rc" 2 "a quoting error in a pipe is a usage error (2)"
tk_like "$out" 'PONG' "... and the next command still runs"

# ---- exit codes ----
cli frobnicate
tk_is "$rc" 2 "an unknown command exits 2"
cli get
tk_is "$rc" 2 "a missing argument exits 2"
cli --no-such-option ping
tk_is "$rc" 2 "an unknown option exits 2"
cli get ""
tk_is "$rc" 3 "a server error (empty key) exits 3"
tk_like "$out" 'BAD_REQUEST' "... showing the error code"
cli get "$(head -c 9000 /dev/zero | tr '\0' k)"
tk_is "$rc" 3 "a server error (key too large) exits 3"
tk_like "$out" 'TOO_LARGE' "... showing the error code"
pipe $'ping\nget ""\nget nope\n'
tk_is "$rc" 3 "in a pipe, a server error wins over a missing key"
out=$(timeout 20 "$TKCLI" -a 127.0.0.1:1 ping 2>&1)
rc=$?
tk_is "$rc" 4 "connection refused exits 4"
tk_like "$out" 'CONNECTION.*refused' "... saying why"
# a frozen daemon (SIGSTOP): the client gives up after --timeout
kill -STOP "${TK_PID[s]}"
start=$(tk_now_ms)
cli --timeout 500 get j1
took=$(($(tk_now_ms) - start))
kill -CONT "${TK_PID[s]}"
tk_is "$rc" 4 "a stopped (SIGSTOP) daemon: --timeout 500 gives up with exit 4"
tk_like "$out" 'TIMEOUT|timed out' "... saying it timed out"
tk_ok "$([ "$took" -lt 5000 ]; echo $?)" "... within the timeout, not forever ($took ms)"
cli get j1
tk_is "$rc: $out" "0: hello" "after SIGCONT the daemon answers again"

# ---- redis-cli style options, environment, -x ----
port=${TK_PORT[s]}
out=$(timeout 20 "$TKCLI" -h 127.0.0.1 -p "$port" ping 2>&1)
tk_is "$?: $out" "0: PONG" "-h HOST -p PORT, as redis-cli"
out=$(timeout 20 "$TKCLI" -h localhost -p "$port" ping 2>&1)
tk_is "$?: $out" "0: PONG" "-h takes a host name"
out=$(TINYKV_ADDR=127.0.0.1:1 timeout 20 "$TKCLI" -p "$port" ping 2>&1)
tk_is "$?: $out" "0: PONG" "-p replaces the port of \$TINYKV_ADDR"
out=$(TINYKV_ADDR=${TK_ADDR[s]} timeout 20 "$TKCLI" ping 2>&1)
tk_is "$?: $out" "0: PONG" "TINYKV_ADDR gives the store address"
out=$(TINYKV_ADDR=127.0.0.1:1 timeout 20 "$TKCLI" -a "${TK_ADDR[s]}" ping 2>&1)
tk_is "$?: $out" "0: PONG" "-a wins over TINYKV_ADDR"
out=$(TINYKV_SCHEDULER_ADDR=127.0.0.1:1 timeout 20 "$TKCLI" -a "${TK_ADDR[s]}" tso 2>&1)
tk_like "$?: $out" '^4: .*127\.0\.0\.1:1' "TINYKV_SCHEDULER_ADDR gives the scheduler address"
out=$(timeout 20 "$TKCLI" -p 70000 ping 2>&1)
tk_is "$?" 2 "-p with a bad port is a usage error"
out=$(timeout 20 "$TKCLI" -h 2>&1)
tk_like "$?: $out" '^2: .*-h needs a HOST.*--help' "-h alone says it needs a host and points to --help"

head -c 300000 /dev/urandom >"$TK_TMP/big"
timeout 20 "$TKCLI" -a "${TK_ADDR[s]}" -x put big <"$TK_TMP/big" >"$TK_TMP/x.out" 2>&1
tk_is "$?: $(cat "$TK_TMP/x.out")" "0: OK" "-x: a 300 KB value (over the 128 KB argument limit) from stdin"
timeout 20 "$TKCLI" -a "${TK_ADDR[s]}" --raw get big | head -c 300000 | cmp -s - "$TK_TMP/big"
tk_ok $? "... stored byte for byte"
out=$(printf 'v\n' | timeout 20 "$TKCLI" -a "${TK_ADDR[s]}" -x put nl && "$TKCLI" -a "${TK_ADDR[s]}" --json get nl)
tk_is "$out" $'OK\n{"found":true,"value":{"$hex":"760a"}}' "-x takes stdin as it is, newline included"
out=$(timeout 20 "$TKCLI" -x </dev/null 2>&1)
tk_like "$?: $out" '^2: .*-x needs a COMMAND' "-x without a command is a usage error"
out=$(head -c 16777217 /dev/zero | timeout 20 "$TKCLI" -a "${TK_ADDR[s]}" -x put huge 2>&1)
tk_is "$?: $out" "2: tinykv-cli: -x: reading stdin: more than 16777216 bytes" \
	"-x refuses more than 16 MiB (no frame is larger), and sends nothing"

# ---- unknown options and per-command help ----
out=$("$TKCLI" --no-such-option ping 2>&1)
tk_like "$?: $out" "^2: tinykv-cli: unknown option '--no-such-option'" "an unknown long option says 'unknown option'"
out=$("$TKCLI" -z ping 2>&1)
tk_like "$?: $out" "^2: tinykv-cli: unknown option '-z'" "an unknown short option says 'unknown option'"
out=$("$TKCLI" --raw=1 ping 2>&1)
tk_like "$?: $out" "^2: tinykv-cli: option '--raw' takes no value" "a value given to a flag is refused as such"
out=$("$TKCLI" -a 2>&1)
tk_like "$?: $out" "^2: tinykv-cli: option '-a' needs a value" "a missing value says so"
# (src/cli/test_cli checks that each is the same text as 'help COMMAND')
missing=
for c in $("$TKCLI" --help | sed -n '/^commands/,/^$/p' | awk 'NR > 1 && NF {print $1}'); do
	h=$("$TKCLI" -a 127.0.0.1:1 "$c" --help 2>&1) || missing="$missing $c(exit $?)"
	grep -q "^$c" <<<"$h" || missing="$missing $c"
done
tk_is "${missing:-none}" none "every command answers 'COMMAND --help' (exit 0, no server needed)"
out=$(printf 'help get\nhelp store\n' | "$TKCLI" -a 127.0.0.1:1)
tk_is "$?: $out" "0: $("$TKCLI" get --help)"$'\n'"$("$TKCLI" store --help)" "... the same text as 'help COMMAND'"
n=$("$TKCLI" --help | sed -n '/^commands/,/^$/p' | grep -c '^  [a-z]')
tk_cmp 19 "$n" "... checked over the whole command list ($n commands)"
cli put -- --help dashes
tk_is "$rc: $out" "0: OK" "a leading -- ends the options: put -- --help VALUE"
cli get -- --help
tk_is "$rc: $out" "0: dashes" "... get -- --help reads key --help"
out=$("$TKCLI" --help)
tk_unlike "$out" 'raw KV API' "--help no longer says raw KV only"
tk_like "$out" 'transactional' "... it names transactions"
tk_like "$out" 'administration' "... and cluster administration"
tk_like "$out" 'TINYKV_ADDR' "... and the environment variables"

addr=${TK_ADDR[s]}
tk_stop s
out=$(timeout 20 "$TKCLI" -a "$addr" get k1 2>&1)
tk_is "$?" 4 "a stopped daemon: exit 4"
out=$("$TKCLI" --help 2>&1)
tk_is "$?" 0 "--help exits 0"
tk_like "$out" '^usage: tinykv-cli' "--help prints the usage"
out=$("$TKCLI" --version 2>&1)
tk_is "$?" 0 "--version exits 0"
tk_done
