#!/bin/sh
# make check: libtinykv exports exactly the functions its installed headers
# declare (src/client/libtinykv.sym lists them for the linker), so that
# programs cannot come to depend on the internal codec, util or client
# symbols linked into it.  Fails with the difference otherwise.
set -u
srcdir=${top_srcdir:-${srcdir:-.}}
builddir=${top_builddir:-.}
lib=$builddir/src/client/.libs/libtinykv.so
[ -f "$lib" ] || { echo "check-exports: no $lib (shared library not built?)"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
for h in src/client/tinykv.h src/client/tinykv_sched.h src/client/tinykv_txn.h \
	src/util/tk_errors.h; do
	# declarations start in column 0 with their type; typedefs of
	# callbacks are no symbols
	grep -hE '^[a-z]' "$srcdir/$h" | grep -v '^typedef' |
		grep -oE '\b(tkv|tk)_[a-z0-9_]+\(' | tr -d '('
done | sort -u >"$tmp/declared"
nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' | sed 's/@.*//' | sort -u \
	>"$tmp/exported"
if ! cmp -s "$tmp/declared" "$tmp/exported"; then
	echo "check-exports: libtinykv's exports differ from its public headers"
	echo "  exported but not declared (hide them: src/client/libtinykv.sym):"
	comm -13 "$tmp/declared" "$tmp/exported" | sed 's/^/    /'
	echo "  declared but not exported (add them to src/client/libtinykv.sym):"
	comm -23 "$tmp/declared" "$tmp/exported" | sed 's/^/    /'
	exit 1
fi
echo "check-exports: $(wc -l <"$tmp/exported") symbols, all public"
