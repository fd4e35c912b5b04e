#!/bin/bash
# tinykv-scheduler speaks the inline text protocol to netcat
# (proto-spec/inline.md): PING, TSO [count], INFO, HELP, QUIT; errors as
# ERR lines; replies in request order, also when TSO requests wait for the
# clock.  (It used to stay silent on nc.)
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
tk_init 60
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"

tks_start pd || tk_bail "cannot start tinykv-scheduler"

tk_is "$(tk_inline pd $'PING\n')" "PONG" "PING answers PONG"
tk_is "$(tk_inline pd 'ping')" "PONG" "commands are case-insensitive; the last line needs no newline"
r=$(tk_inline pd $'TSO\nTSO 3\nTSO\n')
mapfile -t ts <<<"$r"
tk_like "${ts[0]}" '^[0-9]{18,}$' "TSO answers a timestamp (${ts[0]})"
tk_ok $((ts[1] > ts[0] && ts[2] >= ts[1] + 3 ? 0 : 1)) "TSO 3 reserves three: the next TSO is at least 3 above its answer"
now=$(date +%s%3N)
tk_ok $(((ts[2] >> 18) <= now && (ts[2] >> 18) > now - 10000 ? 0 : 1)) \
	"the physical part is the wall clock in ms"
r=$(tk_inline pd $'TSO 16385\nTSO x\nTSO -1\nTSO 1 2\nNOPE\nPING\n')
tk_like "$r" '^ERR BAD_REQUEST count 16385 is above the limit of 16384' "TSO above the limit is refused naming it"
tk_like "$r" $'\nERR BAD_REQUEST wrong arguments; usage: TSO \\[count\\] \\(count is a number\\)\nERR BAD_REQUEST wrong' \
	"a count that is not a number is refused with the usage"
tk_like "$r" $'\nERR BAD_REQUEST wrong arguments; usage: TSO \\[count\\]\nERR BAD_REQUEST unknown command .NOPE.' \
	"too many arguments and unknown commands are ERR lines"
tk_like "$r" $'\nPONG$' "the connection serves on after errors"
r=$(tk_inline pd $'HELP\n')
tk_like "$r" 'TSO \[count\]' "HELP lists TSO"
tk_like "$r" $'\n\\(end\\)$' "HELP ends with (end)"
r=$(tk_inline pd $'INFO\n')
tk_like "$r" $'\nmode: scheduler\n' "INFO shows the scheduler's status"
tk_like "$r" $'\ntso_last: [1-9][0-9]+\n' "INFO shows the last timestamp"
tk_like "$r" $'\n\\(end\\)$' "INFO ends with (end)"
tk_is "$(tk_inline pd $'QUIT\nPING\n')" "BYE" "QUIT answers BYE and closes"

# 48 TSO of 16384 fill three milliseconds: most wait for the clock, and
# the replies still come in order, the PING behind them last.
lines=$(for i in $(seq 48); do echo "TSO 16384"; done; echo PING)
r=$(tk_inline pd "$lines"$'\n')
mapfile -t got <<<"$r"
tk_is "${#got[@]}" 49 "48 TSO lines and a PING get 49 replies"
tk_is "${got[48]}" "PONG" "the PING's reply comes last"
printf '%s\n' "${got[@]:0:48}" | sort -n -u -C
tk_ok $? "the 48 timestamps increase in reply order"
waits=$(tk_http pd /status | grep -o '"tso_clock_waits":[0-9]*' | cut -d: -f2)
tk_ok $((waits > 0 ? 0 : 1)) "some of them waited for the clock (${waits})"

tk_stop pd
tk_is "${TK_RC[pd]}" 0 "SIGTERM stops the scheduler with status 0"
tk_done
