#!/bin/bash
# The module dependency rule (tools/check-deps.sh): the tree obeys it, and
# the check fails on a module that includes a module above it or another
# module's internal header (checked on a scratch copy of src/).
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 60

CHK=$top_srcdir/tools/check-deps.sh
out=$(sh "$CHK" "$top_srcdir" 2>&1)
tk_is "$?" 0 "src/ obeys the dependency order"
tk_diag "$out"

mkdir -p "$TK_TMP/tree"
cp -r "$top_srcdir/src" "$TK_TMP/tree/src"
printf '#include "store/store.h"\n' >>"$TK_TMP/tree/src/engine/engine.h"
out=$(sh "$CHK" "$TK_TMP/tree" 2>&1)
tk_is "$?" 1 "an include of a module above fails the check"
tk_like "$out" "src/engine/engine.h:[0-9]+: engine includes store/store.h from a module above it" "... naming the line"

rm -rf "$TK_TMP/tree/src" && cp -r "$top_srcdir/src" "$TK_TMP/tree/src"
printf '#include "client/client_int.h"\n' >>"$TK_TMP/tree/src/cli/cli.h"
out=$(sh "$CHK" "$TK_TMP/tree" 2>&1)
tk_is "$?" 1 "an include of another module's internal header fails the check"
tk_like "$out" "cli includes client/client_int.h, an internal header of client" "... naming it"

rm -rf "$TK_TMP/tree/src" && cp -r "$top_srcdir/src" "$TK_TMP/tree/src"
mkdir -p "$TK_TMP/tree/src/newmod"
printf 'int x;\n' >"$TK_TMP/tree/src/newmod/x.c"
out=$(sh "$CHK" "$TK_TMP/tree" 2>&1)
tk_is "$?" 1 "a module missing from the order fails the check"
tk_done
