#!/bin/bash
# Operating tinykv-scheduler: --help, --version, --check-config, a config
# file, a locked data dir, a wrong --cluster-id, SIGHUP log reopening, and
# the cluster id in the hello reply.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
tk_init 60
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"

r=$("$TKSCHED" --help)
tk_ok $? "--help exits 0"
tk_like "$r" '--max-replicas' "--help lists the scheduler settings"
tk_like "$("$TKSCHED" --version)" '^tinykv-scheduler [0-9.]+ \(protocol 2' "--version"
r=$("$TKSCHED" --check-config --max-replicas 0 2>&1)
tk_ok $(( $? == 2 ? 0 : 1 )) "an out-of-range setting fails --check-config with 2"
tk_like "$r" 'max-replicas: 0 out of range' "and says why"
r=$("$TKSCHED" --check-config --no-such-option 1 2>&1)
tk_like "$r" "unknown option '--no-such-option'" "an unknown option is named"
printf '# scheduler\nmax-replicas = 5\nschedule-interval = 250\nlog-level = debug\n' >"$TK_TMP/pd.conf"
tk_like "$("$TKSCHED" --config "$TK_TMP/pd.conf" --check-config)" 'configuration OK' "a config file checks OK"
printf 'max-replicas five\n' >"$TK_TMP/bad.conf"
r=$("$TKSCHED" --config "$TK_TMP/bad.conf" --check-config 2>&1)
tk_like "$r" 'bad.conf:1: expected `key = value`' "a malformed config file line is located"

tks_start pd --config "$TK_TMP/pd.conf" --log-file "$TK_TMP/pd.log" || tk_bail "cannot start tinykv-scheduler"
r=$(tk_framed pd '{"t":"get_config","id":1,"b":{"name":"max-replicas"}}')
tk_like "$r" '"cluster_id":[0-9]+' "the hello reply carries the cluster id"
tk_like "$r" '"max-replicas"\},\{"\$b":"5"\}' "the config file's setting is in force"
cid=$(grep -o '"cluster_id":[0-9]*' <<<"$r" | head -n 1 | cut -d: -f2)

r=$("$TKSCHED" --data-dir "${TK_DIR[pd]}" --listen 127.0.0.1:0 --status-addr off 2>&1)
tk_ok $(( $? == 1 ? 0 : 1 )) "a second scheduler on the same data dir exits 1"
tk_like "$r" 'locked' "because the data dir is locked"

mv "$TK_TMP/pd.log" "$TK_TMP/pd.log.1"
kill -HUP "${TK_PID[pd]}"
tk_wait_for 10 test -s "$TK_TMP/pd.log"
tk_like "$(cat "$TK_TMP/pd.log")" 'SIGHUP: log file reopened' "SIGHUP reopens the log file"

tk_stop pd
tk_is "${TK_RC[pd]}" 0 "SIGTERM exits 0"
r=$("$TKSCHED" --data-dir "${TK_DIR[pd]}" --listen 127.0.0.1:0 --status-addr off --cluster-id 12345 2>&1)
tk_ok $(( $? == 1 ? 0 : 1 )) "a wrong --cluster-id exits 1"
tk_like "$r" "belongs to cluster $cid, not 12345" "naming both cluster ids"
tks_restart pd || tk_bail "cannot restart"
r=$(tk_framed pd '{"t":"is_bootstrapped","id":1,"b":{}}')
tk_like "$r" "\"cluster_id\":$cid" "the restarted scheduler keeps its cluster id"
tk_stop pd
tk_done
