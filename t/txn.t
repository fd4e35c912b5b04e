#!/bin/bash
# Transactions on real processes: tinykv-scheduler serves the timestamps,
# tinykvd the kv_* commands, t/txn-workload drives libtinykv's transaction
# client.  A bank of accounts under concurrent transfers conserves its total
# in every snapshot; concurrent increments lose no update; a client killed
# between prewrite and commit, or after committing only its primary, leaves
# locks that the next reader resolves by the primary's fate; GC keeps the
# newest versions.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 240

W=$top_builddir/t/txn-workload
TKSCHED=$top_builddir/src/schedd/tinykv-scheduler
[ -x "$W" ] || tk_bail "t/txn-workload is not built"
[ -x "$TKSCHED" ] || tk_bail "tinykv-scheduler is not built"

# The scheduler, for its TSO (lib.sh's tk_start knows tinykvd only).
"$TKSCHED" --listen 127.0.0.1:0 --status-addr off --data-dir "$TK_TMP/sched" \
	--log-file "$TK_TMP/sched.log" </dev/null >/dev/null 2>&1 &
tk_track $!
tk_wait_for 30 grep -qs "tinykv-scheduler ready listen=" "$TK_TMP/sched.log" ||
	tk_bail "tinykv-scheduler did not start: $(tail -n 5 "$TK_TMP/sched.log")"
line=$(grep -a 'ready listen=' "$TK_TMP/sched.log" | tail -n 1)
SCHED=${line#*listen=}
SCHED=${SCHED%% *}

tk_start s --sync on || tk_bail "cannot start tinykvd"
KV=${TK_ADDR[s]}

out=$("$W" put "$KV" "$SCHED" k1 v1 k2 v2 2>&1)
tk_ok $? "a two-key transaction commits"
out=$("$W" read "$KV" "$SCHED" k1 k2 k3 2>&1)
tk_is "$(tr '\n' ' ' <<<"$out")" "v1 v2 (nil) " "a new transaction reads both keys and not a missing one"

out=$("$W" bank "$KV" "$SCHED" 20 4 6 2>&1)
tk_ok $? "bank: 4 clients transfer for 6 s; every snapshot and the final read sum to 2000"
tk_diag "$out"

out=$("$W" counter "$KV" "$SCHED" 4 40 2>&1)
tk_ok $? "lost update: 4 clients x 40 increments with retry on conflict end at 160"
tk_diag "$out"

"$W" put "$KV" "$SCHED" x old y old >/dev/null 2>&1
"$W" crash "$KV" "$SCHED" 1 800 >/dev/null 2>&1
tk_is $? 137 "a client is SIGKILLed after its prewrites (locks on x and y, TTL 800 ms)"
start=$(tk_now_ms)
out=$("$W" read "$KV" "$SCHED" y x 2>&1)
took=$(($(tk_now_ms) - start))
tk_is "$(tr '\n' ' ' <<<"$out")" "old old " "the next reader rolls the dead transaction back and reads the old values"
tk_diag "the read waited ${took} ms for the lock's TTL"

"$W" crash "$KV" "$SCHED" 2 60000 >/dev/null 2>&1
tk_is $? 137 "a client is SIGKILLed after committing its primary only (TTL 60 s)"
out=$("$W" read "$KV" "$SCHED" y x 2>&1)
tk_is "$(tr '\n' ' ' <<<"$out")" "new new " "the next reader commits the secondary from the primary's commit, without waiting for the TTL"

out=$("$W" gc "$KV" "$SCHED" 2>&1)
tk_like "$out" '^[0-9]+$' "gc at a fresh timestamp runs"
tk_cmp 0 "${out:-0}" "gc removed old versions"
out=$("$W" read "$KV" "$SCHED" x k1 counter 2>&1)
tk_is "$(tr '\n' ' ' <<<"$out")" "new v1 160 " "after gc the newest versions are all still there"

# tinykv-cli: begin / set / delete / get / scan / commit / rollback
CLI="$TKCLI -a $KV -s $SCHED"
out=$(printf 'begin\nset cli:a 1\nset cli:b 2\nget cli:a\nscan cli: cli;\ncommit\n' | $CLI 2>&1)
tk_ok $? "tinykv-cli: a transaction typed into a pipe commits"
tk_like "$out" $'^BEGIN, start_ts [0-9]+\nOK\nOK\n1\ncli:a 1\ncli:b 2\nCOMMITTED, commit_ts [0-9]+$' \
	"tinykv-cli: the transaction sees its own writes before commit"
out=$(printf 'begin\ndelete cli:a\nrollback\nbegin\nget cli:a\ncommit\n' | $CLI 2>&1)
tk_like "$out" $'ROLLED BACK\nBEGIN, start_ts [0-9]+\n1\n' "tinykv-cli: a rolled-back delete leaves the key"
out=$("$W" read "$KV" "$SCHED" cli:b 2>&1)
tk_is "$out" "2" "the CLI's commit is visible to other clients"
out=$(printf 'commit\n' | $CLI 2>&1)
tk_is $? 2 "tinykv-cli: commit without a transaction is a usage error (exit 2)"
out=$($CLI --json begin 2>&1)
tk_like "$out" '^\{"start_ts":[0-9]+\}' "tinykv-cli --json begin"
tk_like "$out" 'rolled back' "tinykv-cli warns when it exits with a transaction open"
out=$($CLI gc 2>&1)
tk_like "$out" '^GC at [0-9]+: [0-9]+ old versions removed$' "tinykv-cli gc removes old versions at a fresh safe point"
out=$($CLI gc 0 2>&1)
tk_is $? 2 "tinykv-cli gc with a bad safe point is a usage error"
printf 'begin\nset c1 x\n' | $CLI >/dev/null 2>&1
out=$("$W" read "$KV" "$SCHED" c1 2>&1)
tk_is "$out" "(nil)" "a transaction left open when the CLI exits writes nothing"

tk_stop s
tk_is "${TK_RC[s]}" 0 "tinykvd stops cleanly"
tk_done
