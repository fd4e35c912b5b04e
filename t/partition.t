#!/bin/bash
# A network partition between clients and tinykvd, made with nftables in a
# network namespace this test creates: in-flight requests time out on the
# client, new connections fail within the client's timeout, the daemon
# reclaims the blackholed connections through its idle timeout (no FIN or
# RST ever arrives), and after the partition heals everything acknowledged
# is there.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
[ "$(id -u)" = 0 ] || tk_skip_all "needs root for a network namespace"

if [ -z "${TK_NETNS:-}" ]; then
	# re-run this script inside a fresh network namespace
	ns=tinykv-t-$$
	ip netns add "$ns" || tk_bail "cannot create a network namespace"
	TK_NETNS=$ns timeout 150 ip netns exec "$ns" bash "$0"
	rc=$?
	ip netns del "$ns"
	exit $rc
fi
tk_init 120
ip link set lo up || tk_bail "cannot bring up lo in the namespace"
command -v nft >/dev/null || tk_bail "nft is not installed (tools/setup-deps.sh)"
[ -x "$TKLOAD" ] || tk_bail "t/tkload is not built"
[ -x "$TKCLI" ] || tk_bail "src/cli/tinykv-cli is not built"

tk_start s --sync on --idle-timeout 3 || tk_bail "cannot start tinykvd"
port=${TK_PORT[s]}
cut() { # drop every packet to and from the client port, in both directions
	nft add table inet tkvt &&
		nft add chain inet tkvt in '{ type filter hook input priority 0; }' &&
		nft add rule inet tkvt in tcp dport "$port" drop &&
		nft add rule inet tkvt in tcp sport "$port" drop
}
heal() { nft delete table inet tkvt; }

"$TKLOAD" write "${TK_ADDR[s]}" "$TK_TMP/acked" --inflight 64 --timeout 1500 >"$TK_TMP/writer.out" 2>&1 &
w=$!
tk_track $w
tk_wait_for 30 eval '[ "$(cat "$TK_TMP/acked" 2>/dev/null | wc -l)" -ge 1000 ]'
tk_ok $? "a writer with 64 puts in flight got 1000 acknowledgements"

cut
tk_ok $? "partition: nftables drops all traffic to and from port $port"
start=$(tk_now_ms)
tk_wait_for 15 _tk_gone $w
tk_ok $? "the writer's in-flight puts time out and it stops ($(($(tk_now_ms) - start)) ms)"
wait $w
tk_like "$(cat "$TK_TMP/writer.out")" '^error TIMEOUT' "... with TIMEOUT errors"
tk_diag "writer: $(tr '\n' ' ' <"$TK_TMP/writer.out")"

start=$(tk_now_ms)
out=$(timeout 20 "$TKCLI" -a "${TK_ADDR[s]}" --timeout 500 ping 2>&1)
rc=$?
took=$(($(tk_now_ms) - start))
tk_is "$rc" 4 "a new connection during the partition fails with exit 4"
tk_cmp "$took" 5000 "... within the client's timeout, not the kernel's ($took ms)"

# the writer's socket is gone, but its FIN was dropped: only the idle
# timeout can free the daemon's side
tk_wait_for 15 eval '[ "$(tk_metric s tinykv_connections)" = 0 ]'
tk_ok $? "the daemon closes the blackholed connections by its idle timeout"
tk_ok "$([ "$(tk_metric s tinykv_connections_closed_idle_total)" -ge 1 ]; echo $?)" "... counted in tinykv_connections_closed_idle_total"

heal
tk_ok $? "heal: the nftables table is removed"
out=$(timeout 20 "$TKCLI" -a "${TK_ADDR[s]}" ping 2>&1)
tk_is "$?: $out" "0: PONG" "after the partition the daemon answers again"
r=$("$TKLOAD" verify "${TK_ADDR[s]}" "$TK_TMP/acked" 2>&1)
tk_like "$r" "checked=$(wc -l <"$TK_TMP/acked") missing=0 wrong=0 errors=0" "every put acknowledged before the partition is there"
tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM: clean exit"
tk_done
