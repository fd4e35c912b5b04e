#!/bin/bash
# Group commit: with sync on, 10 connections x 100 pipelined puts sent at
# once must be acknowledged through far fewer fsyncs than puts (one write
# batch per reactor iteration), and all the data must be there.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 90

[ -x "$TKLOAD" ] || tk_bail "t/tkload is not built"
tk_start s --sync on || tk_bail "cannot start tinykvd"

for round in 1 2 3; do
	w0=$(tk_metric s tinykv_group_committed_writes_total)
	f0=$(tk_metric s tinykv_engine_fsyncs_total)
	c0=$(tk_metric s tinykv_group_commits_total)
	r=$("$TKLOAD" burst "${TK_ADDR[s]}" "$TK_TMP/acked-$round" --conns 10 --puts 100 --prefix "r$round/" 2>&1)
	tk_is "$r" "queued=1000 acked=1000 errors=0" "round $round: 10 connections x 100 pipelined puts all acknowledged"
	w=$(($(tk_metric s tinykv_group_committed_writes_total) - w0))
	f=$(($(tk_metric s tinykv_engine_fsyncs_total) - f0))
	c=$(($(tk_metric s tinykv_group_commits_total) - c0))
	tk_diag "round $round: committed writes +$w, group commits +$c, fsyncs +$f"
	tk_is "$w" 1000 "round $round: tinykv_group_committed_writes_total grew by 1000"
	tk_cmp "$f" 250 "round $round: tinykv_engine_fsyncs_total grew by far less (< puts / 4)"
	tk_ok "$([ "$f" -ge 1 ]; echo $?)" "round $round: sync on really fsyncs"
done

# Reads in the mix: 10 inline connections each pipeline 30 PUT/GET pairs.
# Every GET must see the PUT just before it (read-your-writes), and a GET
# must not force the batch out early: it waits for the iteration's group
# commit, so the connections share fsyncs (the old forced commit made one per
# GET: 300).  The store is paused while all ten connect and send, so that
# their input is there in the same reactor iterations however loaded the
# machine is.
f0=$(tk_metric s tinykv_engine_fsyncs_total)
for c in $(seq 1 10); do
	for i in $(seq 1 30); do printf 'PUT mix%s v%s\nGET mix%s\n' "$c" "$i" "$c"; done >"$TK_TMP/mix-in-$c"
done
kill -STOP "${TK_PID[s]}"
ncs=()
for c in $(seq 1 10); do
	timeout 60 nc -N 127.0.0.1 "${TK_PORT[s]}" <"$TK_TMP/mix-in-$c" >"$TK_TMP/mix-out-$c" &
	ncs+=($!)
done
# all ten connected, their requests waiting in the store's receive queues
# (established, or close-wait once nc -N shut its side)
queued() { [ "$(ss -Htn "sport = :${TK_PORT[s]}" | awk '$2 > 0' | wc -l)" -ge 10 ]; }
tk_wait_for 20 queued
tk_ok $? "10 connections queued their pipelined PUT/GET pairs while the store was paused"
kill -CONT "${TK_PID[s]}"
wait "${ncs[@]}"
f=$(($(tk_metric s tinykv_engine_fsyncs_total) - f0))
want=$(for i in $(seq 1 30); do printf 'OK\nv%s\n' "$i"; done)
ok=0
for c in $(seq 1 10); do [ "$(cat "$TK_TMP/mix-out-$c")" = "$want" ] && ok=$((ok + 1)); done
tk_is "$ok" 10 "every GET reads the PUT before it on its connection"
tk_diag "reads in the mix: 300 puts and 300 gets over $f fsyncs"
tk_cmp "$f" 100 "a GET behind its own PUT waits for the group commit instead of forcing an fsync (< gets / 3)"

r=$(cat "$TK_TMP"/acked-* >"$TK_TMP/all" && "$TKLOAD" verify "${TK_ADDR[s]}" "$TK_TMP/all" 2>&1)
tk_is "$r" "checked=3000 missing=0 wrong=0 errors=0" "all 3000 values read back"

tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM: clean exit"
tk_restart s || tk_bail "cannot restart tinykvd"
r=$("$TKLOAD" verify "${TK_ADDR[s]}" "$TK_TMP/all" 2>&1)
tk_is "$r" "checked=3000 missing=0 wrong=0 errors=0" "... and after a restart"
tk_stop s
tk_done
