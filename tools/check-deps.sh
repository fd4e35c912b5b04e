#!/bin/sh
# The module dependency rule (shared/STYLE.md, "Layout"): a module of src/
# includes headers only of itself and of modules before it in ORDER, and
# never another module's internal header.  Run by `make check`; prints each
# violation as file:line and fails when there is one.
#
# raft comes before codec: the raft library is pure (libc and util's error
# codes) and the codec's raft wire encoding (codec/raft_wire.h) converts its
# message types, so codec depends on raft, never the other way round.
#
# client (libtinykv) needs only util and codec, and comes before store:
# tinykvd registers and heartbeats through libtinykv's scheduler client.
set -u
top=${1:-${top_srcdir:-.}}
ORDER="util raft codec engine meta txn scheduler raftstore net client store schedd cli bench"
# internal headers: usable only inside their own module
INTERNAL="raft/impl.h raft/log.h raft/progress.h raft/mem.h client/client_int.h client/pending.h
client/fake_server.h raft/testnet.h raft/testnet_check.h scheduler/test_fixture.h
raftstore/peer_storage_int.h raftstore/entry_cache.h raftstore/fixture.h raftstore/store_int.h"

# One awk pass over every .c and .h of src/ (a shell loop per include was
# too slow for make check on a loaded machine).
modules_missing=0
for dir in "$top"/src/*/; do
	mod=$(basename "$dir")
	case " $ORDER " in *" $mod "*) ;; *)
		echo "check-deps: module src/$mod is not in the dependency order (tools/check-deps.sh)"
		modules_missing=1 ;;
	esac
done
files=$(find "$top"/src -name '*.[ch]' | sort)
# shellcheck disable=SC2086
awk -v order="$ORDER" -v internal="$INTERNAL" -v top="$top/" '
BEGIN {
	n = split(order, o, " ")
	for (i = 1; i <= n; i++) rank[o[i]] = i
	m = split(internal, in_, /[ \n]+/)
	for (i = 1; i <= m; i++) if (in_[i] != "") isint[in_[i]] = 1
	bad = 0
}
FNR == 1 {
	rel = FILENAME; sub("^" top, "", rel)
	split(rel, parts, "/"); mod = parts[2]; base = parts[3]
	tests = (base ~ /^(test_|fuzz_)/ || base ~ /_bench/ || base == "bench.c" || base == "sim.c" ||
		 base == "fake_server.c")
}
/^#include "[a-z_]+\/[a-z_0-9]+\.h"/ {
	h = $0; sub(/^#include "/, "", h); sub(/".*/, "", h)
	hm = h; sub(/\/.*/, "", hm)
	if (hm == mod) next
	if (!(hm in rank) || !(mod in rank) || rank[hm] > rank[mod]) {
		printf "%s:%d: %s includes %s from a module above it\n", rel, FNR, mod, h
		bad = 1
	}
	if ((h in isint) && !tests) {
		printf "%s:%d: %s includes %s, an internal header of %s\n", rel, FNR, mod, h, hm
		bad = 1
	}
}
END { exit bad }
' $files
rc=$?
[ $modules_missing = 1 ] && rc=1
[ $rc = 0 ] && echo "check-deps: every module includes only modules before it ($ORDER)"
exit $rc
