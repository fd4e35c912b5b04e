#!/bin/sh
# The module dependency rule (shared/STYLE.md, "Layout"): a module of src/
# includes headers only of itself and of modules before it in ORDER, and
# never another module's internal header.  Run by `make check`; prints each
# violation as file:line and fails when there is one.
#
# raft comes before codec: the raft library is pure (libc and util's error
# codes) and the codec's raft wire encoding (codec/raft_wire.h) converts its
# message types, so codec depends on raft, never the other way round.
set -u
top=${1:-${top_srcdir:-.}}
ORDER="util raft codec engine meta txn scheduler raftstore net store schedd client cli bench"
# internal headers: usable only inside their own module
INTERNAL="raft/impl.h raft/log.h raft/progress.h raft/mem.h client/client_int.h client/pending.h
client/fake_server.h raft/testnet.h raft/testnet_check.h scheduler/test_fixture.h
raftstore/peer_storage_int.h raftstore/entry_cache.h"

rank() {
	i=0
	for m in $ORDER; do
		[ "$m" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo -1
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
bad=0
for dir in "$top"/src/*/; do
	mod=$(basename "$dir")
	r=$(rank "$mod")
	if [ "$r" -lt 0 ]; then
		echo "check-deps: module src/$mod is not in the dependency order (tools/check-deps.sh)"
		bad=1
		continue
	fi
	for f in "$dir"*.c "$dir"*.h; do
		[ -f "$f" ] || continue
		case $(basename "$f") in test_* | fuzz_* | *_bench* | bench.c | sim.c | fake_server.c) tests=1 ;; *) tests=0 ;; esac
		grep -n '^#include "[a-z_]*/[a-z_0-9]*\.h"' "$f" | while IFS= read -r line; do
			n=${line%%:*}
			h=$(echo "$line" | sed 's/.*#include "\(.*\)".*/\1/')
			hm=${h%%/*}
			[ "$hm" = "$mod" ] && continue
			hr=$(rank "$hm")
			rel=${f#"$top"/}
			if [ "$hr" -lt 0 ] || [ "$hr" -gt "$r" ]; then
				echo "$rel:$n: $mod includes $h from a module above it"
				echo x >>"$tmp"
			fi
			for i in $INTERNAL; do
				if [ "$h" = "$i" ] && [ "$tests" = 0 ]; then
					echo "$rel:$n: $mod includes $h, an internal header of $hm"
					echo x >>"$tmp"
				fi
			done
		done
	done
done
[ -s "$tmp" ] && bad=1
[ $bad = 0 ] && echo "check-deps: every module includes only modules before it ($ORDER)"
exit $bad
