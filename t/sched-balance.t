#!/bin/bash
# Balancing through the real daemon: 24 regions on stores 1-3, all led from
# store 1, plus an empty store 4.  The synthetic stores (t/tksched) execute
# every step the heartbeat replies carry; leaders and regions end up spread
# and the schedulers stop without undoing their own moves.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
tk_init 90
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"
[ -x "$TKSCHED_SIM" ] || tk_bail "$TKSCHED_SIM is not built"

tks_start pd --schedule-interval 100 || tk_bail "cannot start tinykv-scheduler"
tk_relay < <("$TKSCHED_SIM" "${TK_ADDR[pd]}" balance - | grep -v '^# region')
r=$(tk_http pd /status)
tk_like "$r" '"operators_running":0,' "no operator left running"
tk_like "$r" '"operators_timeout":0,"operators_cancelled":0' "none timed out or was cancelled"
tk_stop pd
tk_done
