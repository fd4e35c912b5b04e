#!/bin/bash
# Operating tinykvd: --help/--version, --check-config, config file vs flags,
# the data dir lock, the store identity, corrupt data dirs, SIGTERM with
# writes in flight, SIGHUP log reopening, /status and /metrics.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 120

# run1 ARGS...: run tinykvd expecting it to exit on its own; output in $out,
# exit status in $rc (124 if it had to be stopped after 20 s)
run1() {
	out=$(timeout 20 "$TKVD" --listen 127.0.0.1:0 --status-addr 127.0.0.1:0 "$@" </dev/null 2>&1)
	rc=$?
	printf '%s\n' "$out" >>"$TK_TMP/run1.out" # checked for sanitizer reports
}
# a checksum of every file of a data dir except the informational LevelDB
# LOG files and our LOCK (which holds the last pid)
sums() { (cd "$1" && find . -type f ! -name 'LOG*' ! -name LOCK -print0 | sort -z | xargs -0 sha256sum); }

# ---- --help, --version, bad flags ----
out=$("$TKVD" --help 2>&1)
tk_is "$?" 0 "--help exits 0"
tk_like "$out" '^usage: tinykvd' "--help prints the usage"
for o in listen status-addr data-dir sync max-frame max-conns idle-timeout output-limit log-file log-level config check-config store-id cluster-id version; do
	tk_like "$out" "^  --$o( |$)" "--help documents --$o"
done
out=$("$TKVD" --version 2>&1)
tk_is "$?" 0 "--version exits 0"
tk_like "$out" "^tinykvd [0-9]+\\.[0-9]+\\.[0-9]+ \\(protocol 2; $(uname -m) .*; built " "--version shows version, protocol and build information"
run1 --frobnicate 1
tk_is "$rc" 2 "an unknown flag exits 2"
tk_like "$out" "unknown option '--frobnicate'" "... naming it"
run1 --frobnicate
tk_like "$rc: $out" "^2: tinykvd: unknown option '--frobnicate'" "an unknown last flag is an unknown option, not one that needs a value"
run1 --max-conns lots
tk_like "$rc: $out" "^2: tinykvd: max-conns: expected a number, got 'lots'" "a bad flag value exits 2 naming the flag"
run1 --sync
tk_like "$rc: $out" "^2: .*--sync needs a value" "a flag without its value exits 2"
# a frame that could not carry one stored pair of the largest size in a
# reply (key 8192 + value 4161536 bytes, proto-spec/framing.md) is refused
run1 --max-frame 64K
tk_is "$rc: $out" "2: tinykvd: max-frame 65536 is below 4178944, the smallest frame that carries one pair of the largest key (8192 bytes) and value (4161536 bytes)" \
	"a max-frame too small for the largest pair exits 2 and says why"
out=$("$TKVD" --max-frame 4178943 --check-config 2>&1)
tk_like "$?: $out" "^2: tinykvd: max-frame 4178943 is below 4178944" "... --check-config refuses it too, one byte below the minimum"
out=$("$TKVD" --max-frame 4178944 --check-config 2>&1)
tk_is "$?: $out" "0: tinykvd: configuration OK" "... and accepts exactly the minimum"

# ---- --check-config ----
cat >"$TK_TMP/good.conf" <<EOF
# a comment
sync = off
max-frame = 8M
idle-timeout = 0
log-level = info
data-dir = "$TK_TMP/cfg.d"
EOF
printf 'sync = off\nmax-conns = 0\n' >"$TK_TMP/range.conf"
printf 'sync = maybe\n' >"$TK_TMP/bool.conf"
printf 'sync = on\nfrobnicate = 3\n' >"$TK_TMP/unknown.conf"
printf 'sync on\n' >"$TK_TMP/syntax.conf"
out=$("$TKVD" --config "$TK_TMP/good.conf" --check-config 2>&1)
tk_is "$?: $out" "0: tinykvd: configuration OK" "--check-config accepts a good file"
tk_ok "$([ ! -e "$TK_TMP/cfg.d" ]; echo $?)" "--check-config does not create the data dir"
for f in range:"max-conns: 0 is out of range" bool:"sync: expected on or off, got 'maybe'" \
	unknown:"unknown setting 'frobnicate'" syntax:"expected \`key = value\`"; do
	name=${f%%:*} msg=${f#*:}
	out=$("$TKVD" --config "$TK_TMP/$name.conf" --check-config 2>&1)
	rc=$?
	tk_ok "$([ "$rc" -ne 0 ]; echo $?)" "--check-config refuses a bad file ($name): exit $rc"
	tk_like "$out" "$name\\.conf:[0-9]+.*$msg" "... with a message naming the file, line and key ($name)"
done
out=$("$TKVD" --config "$TK_TMP/nonexistent.conf" --check-config 2>&1)
tk_like "$?: $out" "^2: .*nonexistent\\.conf: No such file" "a missing config file is an error"

# ---- the config file applies, flags win ----
tk_start cfg --config "$TK_TMP/good.conf" || tk_bail "cannot start tinykvd with a config file"
st=$(tk_http cfg /status)
tk_like "$st" '"sync":"off"' "the config file's sync = off applies"
tk_like "$st" "\"data_dir\":\"$TK_TMP/cfg.d\"" "the config file's data-dir applies"
r=$(tk_framed cfg | head -n 1)
tk_like "$r" '"max_frame":8388608' "the config file's max-frame = 8M applies (hello reply)"
tk_stop cfg
tk_start cfg2 --config "$TK_TMP/good.conf" --sync on --max-frame 12M --data-dir "$TK_TMP/cfg2.d" ||
	tk_bail "cannot start tinykvd with a config file and flags"
st=$(tk_http cfg2 /status)
tk_like "$st" '"sync":"on"' "--sync on wins over the file"
tk_like "$st" "\"data_dir\":\"$TK_TMP/cfg2.d\"" "--data-dir wins over the file"
r=$(tk_framed cfg2 | head -n 1)
tk_like "$r" '"max_frame":12582912' "--max-frame wins over the file"
tk_stop cfg2

# ---- /status and /metrics ----
tk_start s --sync on || tk_bail "cannot start tinykvd"
tk_inline s $'PUT a 1\nGET a\n' >/dev/null
st=$(tk_http s /status)
tk_ok "$(printf '%s' "$st" | "$TKFRAME" encode >/dev/null 2>&1; echo $?)" "/status is valid JSON"
for f in '"version":"[0-9.]+"' '"build":"' '"mode":"standalone"' "\"listen\":\"${TK_ADDR[s]}\"" '"store_id":1' \
	'"cluster_id":0' '"uptime_seconds":[0-9]+' '"sync":"on"' '"connections":[0-9]+' '"requests":[0-9]+' \
	'"group_commits":[0-9]+' '"engine_fsyncs":[0-9]+' '"engine_state":"ok"'; do
	tk_like "$st" "$f" "/status has $f"
done
ct=$(curl -sS -o /dev/null -w '%{content_type}' --max-time 10 "http://${TK_STATUS[s]}/status")
tk_is "$ct" application/json "/status is served as application/json"
m=$(tk_http s /metrics)
bad=$(grep -v '^#' <<<"$m" | grep -Ev '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? [-+0-9.eE]+(\+Inf)?$|^$')
tk_is "$bad" "" "every /metrics sample line is Prometheus text"
undoc=$(grep -v '^#' <<<"$m" | grep -o '^[a-zA-Z_:][a-zA-Z0-9_:]*' | sed -E 's/_(bucket|sum|count)$//' | sort -u |
	while read -r name; do grep -q "^# TYPE $name " <<<"$m" || echo "$name"; done)
tk_is "$undoc" "" "every metric has a # TYPE line"
for name in tinykv_connections tinykv_group_commits_total tinykv_engine_fsyncs_total tinykv_uptime_seconds \
	tinykv_connections_closed_protocol_total tinykv_backpressure_pauses_total; do
	tk_like "$m" "^$name [0-9]+$" "/metrics has $name"
done
tk_like "$m" '^tinykv_requests_total\{type="raw_put"\} 1$' "/metrics counts requests by type"
tk_like "$m" '^tinykv_request_duration_seconds_bucket\{type="raw_get",le="\+Inf"\} 1$' "/metrics has latency histograms"
r=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://${TK_STATUS[s]}/nope")
tk_is "$r" 404 "other paths are 404"

# ---- the data dir lock ----
run1 --data-dir "${TK_DIR[s]}"
tk_ok "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; echo $?)" "a second tinykvd on the same data dir exits non-zero ($rc)"
tk_like "$out" "locked by pid ${TK_PID[s]}\\b" "... saying the dir is locked by pid ${TK_PID[s]}"
tk_is "$(tk_inline s $'GET a\n')" 1 "the first daemon is unaffected"

# ---- SIGTERM with writes in flight ----
if [ -x "$TKLOAD" ]; then
	"$TKLOAD" write "${TK_ADDR[s]}" "$TK_TMP/acked" --inflight 256 >"$TK_TMP/writer.out" 2>&1 &
	w=$!
	tk_track $w
	tk_wait_for 60 eval '[ "$(cat "$TK_TMP/acked" 2>/dev/null | wc -l)" -ge 2000 ]'
	tk_ok $? "a writer with 256 puts in flight got 2000 acknowledgements"
	tk_stop s TERM
	tk_is "${TK_RC[s]}" 0 "SIGTERM with writes in flight: exit status 0"
	tk_like "$(cat "${TK_LOG[s]}")" "tinykvd stopped" "... after logging that it stopped"
	tk_wait_for 30 _tk_gone $w
	tk_ok $? "the writer stopped when the daemon went away"
	wait $w
	tk_diag "writer: $(tr '\n' ' ' <"$TK_TMP/writer.out")"
	tk_restart s || tk_bail "cannot restart tinykvd"
	r=$("$TKLOAD" verify "${TK_ADDR[s]}" "$TK_TMP/acked" 2>&1)
	tk_like "$r" "checked=$(wc -l <"$TK_TMP/acked") missing=0 wrong=0 errors=0" "every acknowledged write is there after the restart"
else
	tk_ok 1 "t/tkload is not built"
fi
tk_is "$(tk_inline s $'GET a\n')" 1 "earlier data survives the restart"
tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM when idle: exit status 0"

# ---- store identity ----
run1 --data-dir "${TK_DIR[s]}" --store-id 2
tk_ok "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; echo $?)" "--store-id 2 on a store 1 data dir is refused ($rc)"
tk_like "$out" "belongs to store 1, not store 2" "... with a clear message"
run1 --data-dir "${TK_DIR[s]}" --cluster-id 7
tk_ok "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; echo $?)" "--cluster-id 7 on a cluster 0 data dir is refused ($rc)"
tk_like "$out" "belongs to cluster 0, not cluster 7" "... with a clear message"
tk_start s1 --data-dir "${TK_DIR[s]}" --store-id 1 || tk_bail "cannot start tinykvd"
tk_ok 0 "--store-id 1 on the same dir is accepted"
tk_stop s1

# ---- corrupt data dirs are refused and left alone ----
db=${TK_DIR[s]}/db
cp "$db/CURRENT" "$TK_TMP/CURRENT.good"
printf 'garbage\x00\xff\n' >"$db/CURRENT"
before=$(sums "${TK_DIR[s]}")
run1 --data-dir "${TK_DIR[s]}"
tk_ok "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; echo $?)" "a garbage db/CURRENT is refused ($rc)"
tk_like "$out" "is corrupt: .*CURRENT.*refusing to start" "... with a clear message"
tk_is "$(sums "${TK_DIR[s]}")" "$before" "... and no file of the data dir changed"
cp "$TK_TMP/CURRENT.good" "$db/CURRENT"

manifest=$db/$(cat "$db/CURRENT")
size=$(stat -c %s "$manifest")
head -c "$size" /dev/urandom >"$manifest"
before=$(sums "${TK_DIR[s]}")
run1 --data-dir "${TK_DIR[s]}"
tk_ok "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; echo $?)" "a garbage MANIFEST is refused ($rc)"
tk_like "$out" "corrupt" "... with a clear message"
tk_is "$(sums "${TK_DIR[s]}")" "$before" "... and no file of the data dir changed"

mkdir -p "$TK_TMP/notleveldb/db"
echo hello >"$TK_TMP/notleveldb/db/somefile"
before=$(sums "$TK_TMP/notleveldb")
run1 --data-dir "$TK_TMP/notleveldb"
tk_ok "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; echo $?)" "a data dir whose db/ is not a LevelDB is refused ($rc)"
tk_like "$out" "not a LevelDB" "... with a clear message"
tk_is "$(sums "$TK_TMP/notleveldb")" "$before" "... and left as it was"
: >"$TK_TMP/afile"
run1 --data-dir "$TK_TMP/afile"
tk_ok "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; echo $?)" "a data dir that is a file is refused ($rc)"
tk_like "$out" "not a directory" "... with a clear message"

# ---- SIGINT, --status-addr off, --log-level debug ----
tk_start q --status-addr off --log-level debug || tk_bail "cannot start tinykvd with --status-addr off"
tk_is "${TK_STATUS[q]}" off "--status-addr off: the ready line says status=off"
tk_is "$(tk_inline q $'PING\n')" PONG "... and the daemon serves clients"
tk_wait_for 10 grep -q 'conn accepted peer=127.0.0.1:' "${TK_LOG[q]}"
tk_ok $? "--log-level debug logs each connection"
tk_stop q INT
tk_is "${TK_RC[q]}" 0 "SIGINT: clean exit"
tk_like "$(cat "${TK_LOG[q]}")" "signal 2: shutting down" "... logged as a shutdown"

# ---- SIGHUP reopens the log file ----
tk_start h --log-file "$TK_TMP/h.log" || tk_bail "cannot start tinykvd with --log-file"
mv "$TK_TMP/h.log" "$TK_TMP/h.log.1"
kill -HUP "${TK_PID[h]}"
tk_wait_for 10 grep -q 'SIGHUP: log file reopened' "$TK_TMP/h.log"
tk_ok $? "after mv and SIGHUP a new log file appears with the reopen line"
printf '\x16\x03\x01' | timeout 10 nc -N 127.0.0.1 "${TK_PORT[h]}" >/dev/null
tk_wait_for 10 grep -q 'first_byte=0x16' "$TK_TMP/h.log"
tk_ok $? "new log lines go to the new file"
tk_ok "$(! grep -q 'first_byte=0x16' "$TK_TMP/h.log.1"; echo $?)" "... and not to the old one"
tk_like "$(cat "$TK_TMP/h.log.1")" "tinykvd ready" "the old file keeps the earlier lines"
tk_stop h
tk_is "${TK_RC[h]}" 0 "SIGTERM: clean exit"
tk_like "$(cat "$TK_TMP/h.log")" "tinykvd stopped" "the shutdown is logged in the new file"
tk_done
