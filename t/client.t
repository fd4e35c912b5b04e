#!/bin/bash
# libtinykv against a live daemon: every raw command through the blocking
# API, then 10,000 puts and 10,000 gets pipelined on one async connection
# (t/client-api.c prints the results).
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 90

[ -x "$top_builddir/t/client-api" ] || tk_bail "t/client-api is not built"
tk_start s --sync on || tk_bail "cannot start tinykvd"

start=$(tk_now_ms)
"$top_builddir/t/client-api" "${TK_ADDR[s]}" 10000 >"$TK_TMP/client-api.out" 2>&1
rc=$?
tk_relay <"$TK_TMP/client-api.out"
tk_is "$rc" 0 "client-api exits 0"
tk_diag "client-api took $(($(tk_now_ms) - start)) ms"

# the pipelined puts went through group commits, not one fsync each
w=$(tk_metric s tinykv_group_committed_writes_total)
f=$(tk_metric s tinykv_engine_fsyncs_total)
tk_diag "group-committed writes: $w, fsyncs: $f"
tk_ok "$([ "${w:-0}" -ge 10000 ]; echo $?)" "the daemon acknowledged at least 10,000 writes"

tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM: clean exit"
tk_done
