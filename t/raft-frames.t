#!/bin/bash
# Raft frames at the protocol level (proto-spec/raft.md, "raft"): who may
# send them, and what a store does with bad ones.  A standalone store
# refuses the hello of role "store" and raft frames; a cluster store takes
# them, answers nothing to a good one (one-way), answers a misdirected or
# malformed one with one error (the connection and the store go on), and
# counts messages for regions it does not hold.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
tk_init 120
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"
[ -x "$TKFRAME" ] || tk_bail "$TKFRAME is not built"

store_hello='{"t":"hello","id":1,"b":{"proto":2,"role":"store","name":"t"}}'
# frames NAME JSON...: send raw envelopes (no client hello) and decode
frames() {
	local name=$1
	shift
	"$TKFRAME" encode "$@" | timeout 10 nc -N 127.0.0.1 "${TK_PORT[$name]}" | "$TKFRAME" decode
}

tk_start alone || tk_bail "cannot start a standalone store"
tk_like "$(frames alone "$store_hello")" '"code":"VERSION_MISMATCH".*standalone store talks to clients only' \
	"a standalone store refuses the hello of a store"
out=$(tk_framed alone '{"t":"raft","id":0,"b":{"msgs":[{"ty":7,"fr":1,"to":2,"rg":1}],"fs":2,"ts":1}}' \
	'{"t":"ping","id":5,"b":{}}')
tk_like "$out" '"code":"UNKNOWN_MESSAGE".*cluster stores' "... and raft frames"
tk_like "$(tail -n 1 <<<"$out")" '"id":5,"r"' "... then serves on"

tks_start pd || tk_bail "cannot start tinykv-scheduler"
tk_start s1 --scheduler "${TK_ADDR[pd]}" || tk_bail "cannot start a cluster store"
id=$(tk_http s1 /status | grep -o '"store_id":[0-9]*' | cut -d: -f2)
rid=$(tk_http s1 /status | grep -o '"region_id":[0-9]*' | cut -d: -f2)
out=$(frames s1 "$store_hello" \
	"{\"t\":\"raft\",\"id\":0,\"b\":{\"msgs\":[{\"ty\":7,\"fr\":9,\"to\":8,\"tm\":1,\"rg\":999}],\"fs\":77,\"ts\":$id}}" \
	"{\"t\":\"raft\",\"id\":0,\"b\":{\"msgs\":[{\"ty\":7,\"fr\":9,\"to\":8,\"rg\":1}],\"fs\":77,\"ts\":12345}}" \
	"{\"t\":\"raft\",\"id\":0,\"b\":{\"msgs\":[{\"ty\":7,\"fr\":9,\"to\":8}],\"fs\":77,\"ts\":$id}}" \
	"{\"t\":\"raft\",\"id\":0,\"b\":{\"msgs\":[{\"ty\":7,\"fr\":9,\"to\":8,\"rg\":$rid,\"sq\":3}],\"fs\":77,\"ts\":$id}}" \
	'{"t":"ping","id":7,"b":{}}')
tk_diag "$out"
tk_like "$(head -n 1 <<<"$out")" '"role":"store"' "a cluster store accepts the hello of a store"
tk_is "$(grep -c '"t":"raft"' <<<"$out")" 3 "three error replies: a good frame (unknown region) gets none"
tk_like "$out" 'STORE_NOT_MATCH.*12345' "a frame for another store: STORE_NOT_MATCH"
tk_like "$out" 'BAD_REQUEST.*needs rg' "a message without its region: BAD_REQUEST"
tk_like "$out" 'BAD_REQUEST.*belong to snapshot chunks' "chunk fields on a raft message: BAD_REQUEST"
tk_like "$(tail -n 1 <<<"$out")" '"id":7' "the connection goes on (ping answered)"
tk_like "$(tk_metric s1 tinykv_raft_msgs_refused_total)" '^[1-9][0-9]*$' "refused messages are counted"
tk_is "$(tk_metric s1 tinykv_raft_frames_refused_total)" 3 "... and the three frames answered with an error"
tk_is "$(tk_inline s1 $'PUT k v\nGET k\n')" $'OK\nv' "the store serves on"
tk_done
