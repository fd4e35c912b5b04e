#!/bin/bash
# Every man page renders cleanly: no output from `mandoc -Tlint`, no warnings
# from `groff -ww -man -z`.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 60

command -v mandoc >/dev/null || tk_bail "mandoc is not installed (tools/setup-deps.sh)"
command -v groff >/dev/null || tk_bail "groff is not installed (tools/setup-deps.sh)"

shopt -s nullglob
pages=("$top_srcdir"/man/*.[1-8])
tk_ok "$([ ${#pages[@]} -gt 0 ]; echo $?)" "man/ has pages (${#pages[@]})"
for want in tinykvd.8 tinykv-cli.1 tinykv-protocol.7 tkframe.1; do
	tk_ok "$([ -f "$top_srcdir/man/$want" ]; echo $?)" "man/$want exists"
done
for p in "${pages[@]}"; do
	name=$(basename "$p")
	out=$(mandoc -Tlint "$p" 2>&1)
	tk_is "$out" "" "$name: mandoc -Tlint is silent"
	out=$(groff -ww -man -z "$p" 2>&1)
	tk_is "$out" "" "$name: groff -ww -man -z has no warnings"
	out=$(MANWIDTH=80 mandoc -Tutf8 "$p" 2>/dev/null | grep -c .)
	tk_ok "$([ "${out:-0}" -gt 10 ]; echo $?)" "$name: renders to text ($out lines)"
done
tk_done
