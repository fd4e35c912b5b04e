#!/bin/bash
# tinykvd --scheduler: cluster membership and heartbeats on real processes.
# The first store bootstraps the cluster (its region spans every key, led
# by it) and serves; a second store joins with a new id and no region; a
# restart keeps the store id and the data; data dirs of another cluster, and
# standalone and cluster data dirs used the other way, are refused; stores
# started before the scheduler wait for it (two of them race to bootstrap:
# one region results); heartbeats keep a store up, and a SIGSTOPped store
# turns disconnected then down (the scheduler's thresholds made short).
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
tk_init 240
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"
[ -x "$TKCLI" ] || tk_bail "$TKCLI is not built"

HB=(--heartbeat-interval 200ms)
# max-replicas 1: membership alone, without the replica checker growing the
# region onto the joining stores (t/replicate.t tests replication)
SCHED_FAST=(--store-disconnect-time 1s --max-store-down-time 3s --max-replicas 1)
tks_start pd "${SCHED_FAST[@]}" || tk_bail "cannot start tinykv-scheduler"
cli() { "$TKCLI" -s "${TK_ADDR[pd]}" "$@"; }
status_num() { tk_http "$1" /status | grep -o "\"$2\":[0-9]*" | cut -d: -f2; }
# run1 ARGS...: tinykvd in the foreground (it must exit); out and rc
run1() {
	out=$(timeout 90 "$TKVD" --listen 127.0.0.1:0 --status-addr off "$@" 2>&1)
	rc=$?
}

# ---- the first store bootstraps the cluster ----
tk_start s1 --scheduler "${TK_ADDR[pd]}" "${HB[@]}" || tk_bail "cannot start the first store"
id1=$(status_num s1 store_id)
tk_like "$(tk_http s1 /status)" '"mode":"cluster"' "/status says cluster mode"
tk_like "$(grep 'bootstrapped cluster' "${TK_LOG[s1]}")" "store $id1 at ${TK_ADDR[s1]}, region [0-9]+" \
	"the first store bootstraps the cluster"
store_row() { cli store list | grep -E "^$1 "; }
tk_wait_for 10 sh -c "'$TKCLI' -s '${TK_ADDR[pd]}' store list | grep -Eq '^$id1 +${TK_ADDR[s1]} +up +1 +1 '"
tk_ok $? "store list: store $id1 at ${TK_ADDR[s1]} is up with 1 region and 1 leader"
tk_diag "$(store_row "$id1")"
r=$(cli region list)
tk_like "$r" "^region [0-9]+ \\[-inf, \\+inf\\) epoch 1/1 peers [0-9]+@$id1\\* leader [0-9]+ \\(store $id1 ${TK_ADDR[s1]}\\)" \
	"region list: one region over every key, led by the first store"
tk_like "$r" '^\(1 regions\)' "... and only that one"

tk_is "$(tk_inline s1 $'PUT k1 v1\nGET k1\n')" $'OK\nv1' "writes and reads go through the first store"
tk_is "$("$TKCLI" -a "${TK_ADDR[s1]}" put k2 v2)" "OK" "tinykv-cli writes through it"
tk_is "$("$TKCLI" -a "${TK_ADDR[s1]}" get k2)" "v2" "... and reads back"

# ---- a second store joins with a new id and no region ----
tk_start s2 --scheduler "${TK_ADDR[pd]}" "${HB[@]}" || tk_bail "cannot start the second store"
id2=$(status_num s2 store_id)
tk_ok "$([ -n "$id2" ] && [ "$id2" != "$id1" ]; echo $?)" "the second store got a new id ($id2, the first is $id1)"
tk_wait_for 10 sh -c "'$TKCLI' -s '${TK_ADDR[pd]}' store list | grep -Eq '^$id2 +${TK_ADDR[s2]} +up +0 +0 '"
tk_ok $? "store list: store $id2 is up with 0 regions"
tk_like "$(tk_inline s2 $'GET k1\n')" "REGION_NOT_FOUND" "a store without regions answers REGION_NOT_FOUND"
tk_like "$(cli region list)" '^\(1 regions\)' "still one region"

# ---- a restart keeps the store id and the data, and re-registers ----
tk_stop s1
tk_restart s1 || tk_bail "cannot restart the first store"
tk_is "$(status_num s1 store_id)" "$id1" "the restarted store keeps its id"
tk_is "$(tk_inline s1 $'GET k1\n')" "v1" "... and its data"
tk_like "$(grep -c 'bootstrapped cluster' "${TK_LOG[s1]}")" '^1$' "... and does not bootstrap again"
tk_wait_for 10 sh -c "'$TKCLI' -s '${TK_ADDR[pd]}' store list | grep -Eq '^$id1 +${TK_ADDR[s1]} +up +1 +1 '"
tk_ok $? "store list shows it at its new address (${TK_ADDR[s1]}), up, leading its region"
tk_like "$(cli store list)" '^\(2 stores\)' "two stores, no duplicate"

# ---- heartbeats: SIGSTOP turns a store disconnected, then down ----
sleep 1.5
tk_like "$(store_row "$id2")" " up " "heartbeats keep an idle store up past store-disconnect-time"
kill -STOP "${TK_PID[s2]}"
tk_wait_for 10 sh -c "'$TKCLI' -s '${TK_ADDR[pd]}' store list | grep -Eq '^$id2 .* disconnected '"
tk_ok $? "a SIGSTOPped store turns disconnected (store-disconnect-time 1s)"
tk_wait_for 10 sh -c "'$TKCLI' -s '${TK_ADDR[pd]}' store list | grep -Eq '^$id2 .* down '"
tk_ok $? "... then down (max-store-down-time 3s)"
kill -CONT "${TK_PID[s2]}"
tk_wait_for 10 sh -c "'$TKCLI' -s '${TK_ADDR[pd]}' store list | grep -Eq '^$id2 .* up '"
tk_ok $? "after SIGCONT its heartbeats make it up again"
tk_like "$(store_row "$id1")" " up " "the other store stayed up"

tk_like "$(tk_metric s1 'tinykv_sched_heartbeats_total{kind="store"}')" '^[1-9][0-9]*$' \
	"/metrics counts store heartbeats"
tk_like "$(tk_metric s1 'tinykv_sched_heartbeats_total{kind="region"}')" '^[1-9][0-9]*$' \
	"... and region heartbeats"

# ---- data dirs that do not belong ----
tk_stop s1
tks_start pd2 --max-replicas 1 || tk_bail "cannot start a second scheduler"
run1 --data-dir "${TK_DIR[s1]}" --scheduler "${TK_ADDR[pd2]}"
tk_is "$rc" 1 "a data dir of another cluster: exit 1"
tk_like "$out" "belongs to store $id1 of cluster [0-9]+.*serves cluster [0-9]+" "... saying whose it is and whom the scheduler serves"
run1 --data-dir "${TK_DIR[s1]}"
tk_is "$rc" 1 "a cluster data dir without --scheduler: exit 1"
tk_like "$out" "belongs to store $id1 of cluster [0-9]+: start it with --scheduler" "... saying why"
tk_start sa || tk_bail "cannot start a standalone store"
tk_stop sa
run1 --data-dir "${TK_DIR[sa]}" --scheduler "${TK_ADDR[pd]}"
tk_is "$rc" 1 "a standalone data dir with --scheduler: exit 1"
tk_like "$out" "is a standalone store's: it cannot join a cluster" "... saying why"
tk_like "$(cli store list)" '^\(2 stores\)' "refused stores registered nothing"

# ---- options ----
run1 --data-dir "$TK_TMP/o.d" --scheduler "${TK_ADDR[pd]}" --advertise-addr 0.0.0.0:20160
tk_is "$rc" 2 "--advertise-addr 0.0.0.0:PORT is refused (exit 2)"
tk_like "$out" "wildcard" "... as a wildcard"
run1 --data-dir "$TK_TMP/o.d" --scheduler "${TK_ADDR[pd]}" --advertise-addr 127.0.0.1:0
tk_is "$rc" 2 "--advertise-addr with port 0 is refused (exit 2)"
out=$(timeout 30 "$TKVD" --listen 0.0.0.0:0 --status-addr off --data-dir "$TK_TMP/o.d" \
	--scheduler "${TK_ADDR[pd]}" 2>&1)
tk_is "$?" 1 "listening on 0.0.0.0 without --advertise-addr: exit 1"
tk_like "$out" "give --advertise-addr" "... asking for --advertise-addr"
run1 --data-dir "$TK_TMP/o.d" --scheduler localhost:2379
tk_is "$rc" 2 "a scheduler host name is refused (exit 2: numeric only)"
run1 --data-dir "$TK_TMP/o.d" --scheduler "${TK_ADDR[pd]}" --heartbeat-interval 5
tk_is "$rc" 2 "--heartbeat-interval below 10ms is refused"
tk_like "$(cli store list)" '^\(2 stores\)' "still two stores"

# ---- stores started before the scheduler wait for it, and race ----
port=
for _ in 1 2 3 4 5 6 7 8 9 10; do
	p=$((20000 + RANDOM % 20000))
	ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { port=$p; break; }
done
[ -n "$port" ] || tk_bail "no free port"
spawn_bg() { # NAME FLAGS...: tinykvd in the background, not waited for
	local name=$1
	shift
	TK_DIR[$name]=$TK_TMP/$name.d
	TK_LOG[$name]=$TK_TMP/$name.log
	TK_ARGS[$name]=$(printf '%q ' --data-dir "${TK_DIR[$name]}" "$@")
	"$TKVD" --listen 127.0.0.1:0 --status-addr 127.0.0.1:0 --data-dir "${TK_DIR[$name]}" "$@" \
		</dev/null >>"${TK_LOG[$name]}" 2>&1 &
	TK_PID[$name]=$!
	tk_track "$!"
}
ready_addr() { # NAME: the listen address of its ready line
	local l
	l=$(tk_ready_line "$1")
	l=${l#*listen=}
	TK_ADDR[$1]=${l%% *}
	TK_PORT[$1]=${TK_ADDR[$1]##*:}
	l=$(tk_ready_line "$1")
	l=${l#*status=}
	TK_STATUS[$1]=${l%% *}
}
spawn_bg w1 --scheduler "127.0.0.1:$port" "${HB[@]}"
spawn_bg w2 --scheduler "127.0.0.1:$port" "${HB[@]}"
spawn_bg w3 --scheduler "127.0.0.1:$port" "${HB[@]}"
tk_wait_for 20 grep -q "waiting for the scheduler at 127.0.0.1:$port" "${TK_LOG[w1]}"
tk_ok $? "a store started before its scheduler waits for it"
tk_wait_for 20 grep -q "waiting for the scheduler" "${TK_LOG[w3]}"
tk_is "$(tk_ready_count w1)" 0 "... without serving"
tk_stop w3
tk_is "${TK_RC[w3]}" 0 "SIGTERM stops a waiting store (exit 0)"
tks_start pd3 --listen "127.0.0.1:$port" --max-replicas 1 || tk_bail "cannot start the late scheduler"
tk_wait_for 30 sh -c "grep -q 'tinykvd ready' '${TK_LOG[w1]}' && grep -q 'tinykvd ready' '${TK_LOG[w2]}'"
tk_ok $? "both stores join once the scheduler is up"
ready_addr w1
ready_addr w2
r=$(cat "${TK_LOG[w1]}" "${TK_LOG[w2]}")
if grep -q "bootstrapped by another store meanwhile" <<<"$r"; then
	tk_diag "the two stores raced to bootstrap: one lost and dropped its region"
fi
tk_like "$(grep -c 'bootstrapped cluster' <<<"$r")" '^1$' "exactly one store bootstrapped the cluster"
tk_like "$("$TKCLI" -s "${TK_ADDR[pd3]}" region list)" '^\(1 regions\)' "the cluster has one region"
tk_wait_for 10 sh -c "'$TKCLI' -s '${TK_ADDR[pd3]}' store list | grep -Eq '^[0-9]+ +[^ ]+ +up +1 +1 '"
tk_ok $? "one store holds and leads it"
r=$("$TKCLI" -s "${TK_ADDR[pd3]}" store list)
tk_like "$r" '^\(2 stores\)' "both stores are registered"
tk_like "$r" '^[0-9]+ +[^ ]+ +up +0 +0 ' "the other holds no region"
tk_diag "$r"
for w in w1 w2; do
	if [ "$(tk_inline "$w" $'PUT late 1\n')" = OK ]; then
		tk_is "$(tk_inline "$w" $'GET late\n')" 1 "the bootstrapping store ($w) serves writes"
	fi
done
tk_done
