#!/bin/bash
# tinykv-cli's scheduler admin commands against a real tinykv-scheduler
# with synthetic stores (t/tksched): human and --json output, errors and
# exit statuses.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/sched-lib.sh"
tk_init 60
[ -x "$TKSCHED" ] || tk_bail "$TKSCHED is not built"
[ -x "$TKSCHED_SIM" ] || tk_bail "$TKSCHED_SIM is not built"
[ -x "$TKCLI" ] || tk_bail "$TKCLI is not built"

tks_start pd --schedule-interval 100 || tk_bail "cannot start tinykv-scheduler"
cli() { "$TKCLI" -s "${TK_ADDR[pd]}" "$@"; }

r=$(cli region a 2>&1)
tk_ok $(( $? == 3 ? 0 : 1 )) "region before bootstrap exits 3"
tk_like "$r" 'NOT_BOOTSTRAPPED' "and says NOT_BOOTSTRAPPED"

"$TKSCHED_SIM" "${TK_ADDR[pd]}" setup "$TK_TMP/state" >"$TK_TMP/setup.out"
tk_ok $? "synthetic stores bootstrap and split the cluster"

r=$(cli store list)
tk_like "$r" '^ID +ADDRESS +STATE' "store list prints a header"
tk_like "$r" '^1 +127\.0\.0\.1:30001 +up +2 +2 ' "store 1 is up with 2 regions and 2 leaders"
tk_like "$r" '\(4 stores\)' "store list counts 4 stores"
r=$(cli --json store list)
tk_like "$r" '^\{"stores":\[\{"id":1,"addr":"127\.0\.0\.1:30001","state":"up","regions":2,"leaders":2,' \
	"store list --json"

r=$(cli region list)
tk_like "$r" '^region [0-9]+ \[-inf, m\) epoch 3/2 peers ' "region list shows the left half"
tk_like "$r" '^region [0-9]+ \[m, \+inf\) epoch 3/2' "region list shows the right half"
tk_like "$r" '\(2 regions\)' "region list counts 2 regions"
r=$(cli region list --limit 1)
tk_like "$r" '\(1 regions\)' "region list --limit 1"
r=$(cli --json region zebra)
tk_like "$r" '^\{"id":[0-9]+,"start":\{"\$b":"m"\},"end":\{"\$b":""\},"conf_ver":3,"version":2,' \
	"region KEY --json routes to the right half"
tk_like "$r" '"leader_addr":"127\.0\.0\.1:30001"' "with the leader's address"

r=$(tk_framed pd '{"t":"scan_regions","id":1,"b":{"start":"","limit":1}}' \
	'{"t":"scan_regions","id":2,"b":{"start":"","end":"m"}}' \
	'{"t":"scan_regions","id":3,"b":{"start":"zz"}}')
tk_like "$r" '"id":1,"r":\{"regions":\[\{[^]]*\]\}[^]]*\],"more":true\}' "scan_regions with limit 1 says there is more"
l2=$(grep '"id":2,' <<<"$r")
tk_like "$l2" '"end":\{"\$b":"m"\}' "scan_regions up to end returns the left half"
tk_unlike "$l2" '"start":\{"\$b":"m"\}|"more"' "and stops before end, without more"
tk_like "$r" '"id":3,"r":\{"regions":\[\{"region":\{[^}]*"start":\{"\$b":"m"\}' \
	"scan_regions from a key starts with the region containing it"

r=$(cli operator list)
tk_is "$r" "(0 operators)" "operator list when nothing runs"

r=$(cli scheduler list)
tk_like "$r" 'balance-leader +inactive' "scheduler list shows the removed balance-leader"
tk_is "$(cli scheduler add balance-leader)" "OK" "scheduler add"
tk_like "$(cli --json scheduler list)" '"active":\["balance-leader"\]' "scheduler list --json"
cli scheduler add nothing-like-it 2>/dev/null
tk_ok $(( $? == 3 ? 0 : 1 )) "adding an unknown scheduler exits 3"
tk_is "$(cli scheduler remove balance-leader)" "OK" "scheduler remove"

tk_is "$(cli config show max-replicas)" "max-replicas = 3" "config show NAME"
tk_is "$(cli config set max-store-down-time 45m)" "OK" "config set"
tk_is "$(cli --json config show max-store-down-time)" '{"max-store-down-time":"45m"}' "config show --json"
r=$(cli config set max-replicas 99 2>&1)
tk_ok $(( $? == 3 ? 0 : 1 )) "an out-of-range value exits 3"
tk_like "$r" 'BAD_CONFIG.*out of range' "and says why"

a=$(cli --raw tso)
b=$(cli --raw tso 100)
tk_ok $(( b > a ? 0 : 1 )) "tso is increasing ($a < $b)"
tk_like "$(cli --json tso)" '^\{"ts":[0-9]+,"count":1,"physical_ms":[0-9]+,"logical":[0-9]+\}$' "tso --json"

r=$(cli store offline 12345 2>&1)
tk_like "$r" 'NOT_FOUND' "store offline of an unknown store is NOT_FOUND"
cli store list >/dev/null
"$TKCLI" -s 127.0.0.1:1 tso 2>/dev/null
tk_ok $(( $? == 4 ? 0 : 1 )) "an unreachable scheduler exits 4"
cli region 2>/dev/null
tk_ok $(( $? == 2 ? 0 : 1 )) "region without arguments is a usage error"

tk_stop pd
tk_done
