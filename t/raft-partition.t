#!/bin/bash
# A network partition between the stores of a replicated region, made with
# nftables in a network namespace this test creates.  The stores listen on
# 127.0.0.2, .3 and .4 (their raft links leave from those addresses); the
# scheduler and the clients use 127.0.0.1, which stays connected to all.
# The leader is cut off from the two others:
#  - the minority (the old leader) never acknowledges a write and never
#    answers a read with a value (it steps down: NOT_LEADER);
#  - the majority elects a leader and serves writes and linearizable reads;
#  - after the heal every replica converges and the old leader follows.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
[ "$(id -u)" = 0 ] || tk_skip_all "needs root for a network namespace"

if [ -z "${TK_NETNS:-}" ]; then
	ns=tinykv-rp-$$
	ip netns add "$ns" || tk_bail "cannot create a network namespace"
	TK_NETNS=$ns timeout 280 ip netns exec "$ns" bash "$0"
	rc=$?
	ip netns del "$ns"
	exit $rc
fi
. "$top_srcdir/t/sched-lib.sh"
. "$top_srcdir/t/cluster-lib.sh"
tk_init 260
ip link set lo up || tk_bail "cannot bring up lo in the namespace"
command -v nft >/dev/null || tk_bail "nft is not installed (tools/setup-deps.sh)"
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"
[ -x "$TKLOAD" ] || tk_bail "t/tkload is not built"

tkc_start_sched || tk_bail "cannot start tinykv-scheduler"
tkc_start_store s1 127.0.0.2 --sync on || tk_bail "cannot start s1"
tkc_start_store s2 127.0.0.3 --sync on || tk_bail "cannot start s2"
tkc_start_store s3 127.0.0.4 --sync on || tk_bail "cannot start s3"
tkc_wait_replicas 3 60
tk_ok $? "three replicas"
tkc_converged 30 s1 s2 s3
tk_ok $? "... in step"
l=$(tkc_wait_leader 10) || tk_bail "no leader"
tk_is "$(tk_inline "$l" $'PUT p old\n')" "OK" "a write before the partition"

ip_of() { local a=${TK_ADDR[$1]}; echo "${a%:*}"; }
others=()
for n in s1 s2 s3; do [ "$n" != "$l" ] && others+=("$(ip_of "$n")"); done
lip=$(ip_of "$l")
partition_leader() { # the leader's address against the two others, both ways
	nft add table inet tkrp &&
		nft add chain inet tkrp in '{ type filter hook input priority 0; }' &&
		nft add rule inet tkrp in ip saddr "$lip" ip daddr "{ ${others[0]}, ${others[1]} }" drop &&
		nft add rule inet tkrp in ip daddr "$lip" ip saddr "{ ${others[0]}, ${others[1]} }" drop
}
heal() { nft delete table inet tkrp; }
partition_leader || tk_bail "cannot install the nftables rules"
tk_diag "cut $l ($lip) from ${others[*]}"

# the minority: a write gets no OK
(printf 'PUT p minority\n' | timeout 6 nc -N "$lip" "${TK_PORT[$l]}" >"$TK_TMP/minority-put" 2>&1) &
mp=$!

TKC_STORES=()
for n in s1 s2 s3; do [ "$n" != "$l" ] && TKC_STORES+=("$n"); done
l2=$(tkc_wait_leader 20)
tk_ok $? "the majority elects a leader ($l2)" ||
	for n in s1 s2 s3; do tk_diag "$n: $(tk_http "$n" /status)"; done
tk_is "$(tk_inline "$l2" $'PUT p new\nGET p\n')" $'OK\nnew' "the majority serves writes and reads"
"$TKLOAD" write "${TK_ADDR[$l2]}" "$TK_TMP/acked" --inflight 16 --max 500 --prefix pk- \
	>"$TK_TMP/w.out" 2>&1
tk_is "$(wc -l <"$TK_TMP/acked")" 500 "500 puts acknowledged by the majority"
wait $mp
tk_unlike "$(cat "$TK_TMP/minority-put")" '^OK' "the cut-off old leader never acknowledged its write"
tk_diag "minority put: $(cat "$TK_TMP/minority-put")"
r=$(tk_inline "$l" $'GET p\n')
tk_unlike "$r" '^(old|new|minority)$' "the cut-off old leader serves no read (it answers: ${r:0:60})"
tk_like "$(tkc_role "$l")" '^(follower|pre-candidate)$' "... it stepped down (check quorum)"

heal
TKC_STORES=(s1 s2 s3)
tkc_converged 30 s1 s2 s3
tk_ok $? "after the heal the three replicas converge"
l3=$(tkc_wait_leader 10)
tk_is "$(tk_inline "$l3" $'GET p\n')" "new" "the majority's write won; the minority's never happened"
out=$("$TKLOAD" verify "${TK_ADDR[$l3]}" "$TK_TMP/acked" 2>&1)
tk_ok $? "every put acknowledged during the partition is there"
tk_diag "$out"
tk_done
