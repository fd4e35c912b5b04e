#!/bin/bash
# The raft log of tinykvd's region stays bounded under a long write load:
# the leader proposes log compaction (src/raftstore/peer.h, log GC) and the
# compacted entries are deleted, also across a restart; every write is still
# there afterwards.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 180

[ -x "$TKLOAD" ] || tk_bail "t/tkload is not built"
tk_start s --sync off || tk_bail "cannot start tinykvd"

status_num() { tk_http s /status | sed -E "s/.*\"$1\":([0-9]+).*/\1/"; }

# one put per proposal: every put is its own log entry
r=$("$TKLOAD" write "${TK_ADDR[s]}" "$TK_TMP/acked" --inflight 1 --max 4000 2>&1)
tk_is "$r" "acked=4000 errors=0" "4000 puts, one at a time (one log entry each)"
first=$(status_num raft_first_index)
last=$(status_num raft_last_index)
tk_diag "log: first index $first, last index $last"
tk_cmp 4000 "$last" "the log got more than 4000 entries ($last)"
tk_cmp "$((last - first))" 1001 "yet at most 1000 of them are kept ($((last - first + 1)))"
tk_cmp 0 "$(tk_metric s tinykv_raft_log_gc_proposals_total)" "log compactions were proposed"
tk_cmp 3000 "$(tk_metric s tinykv_raft_log_gc_deletes_total)" "... and the compacted entries deleted"

tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM: clean exit"
tk_restart s || tk_bail "cannot restart tinykvd"
tk_cmp "$(($(status_num raft_last_index) - $(status_num raft_first_index)))" 1001 \
	"after a restart the log is still compact"
r=$("$TKLOAD" verify "${TK_ADDR[s]}" "$TK_TMP/acked" 2>&1)
tk_is "$r" "checked=4000 missing=0 wrong=0 errors=0" "every put is there after the restart"
tk_stop s
tk_done
