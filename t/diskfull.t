#!/bin/bash
# Disk full: the data dir on a small tmpfs next to a filler file.  Puts fail
# with NO_SPACE and a clear message, reads keep working, the daemon lives;
# once the filler is deleted the engine reopens and puts succeed again, and
# every acknowledged put is readable.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
[ "$(id -u)" = 0 ] || tk_skip_all "needs root for tmpfs"
tk_init 120

[ -x "$TKLOAD" ] || tk_bail "t/tkload is not built"
fs=$TK_TMP/fs
mkdir -p "$fs"
mount -t tmpfs -o size=16m tinykv-test "$fs" || tk_bail "cannot mount a tmpfs on $fs"
tk_on_cleanup "umount '$fs' || umount -l '$fs'"
dd if=/dev/zero of="$fs/filler" bs=1M count=7 status=none
tk_ok $? "a 16 MiB tmpfs with a 7 MiB filler file"

# a 1 MiB memtable keeps the engine's recovery reserve at 4 MiB
tk_start s --data-dir "$fs/d" --sync on --write-buffer 1M --compression off ||
	tk_bail "cannot start tinykvd on the tmpfs"

"$TKLOAD" write "${TK_ADDR[s]}" "$TK_TMP/acked" --inflight 8 --vsize 4000 --max 20000 --max-errors 20 \
	>"$TK_TMP/writer.out" 2>&1
tk_diag "writer: $(tr '\n' ' ' <"$TK_TMP/writer.out")"
acked=$(wc -l <"$TK_TMP/acked")
tk_ok "$([ "$acked" -gt 100 ]; echo $?)" "$acked puts of 4 KB were acknowledged before the disk filled"
tk_like "$(cat "$TK_TMP/writer.out")" '^error NO_SPACE: .*(No space left on device|bytes free)' \
	"then puts fail with NO_SPACE and a clear message"
tk_like "$(cat "$TK_TMP/writer.out")" 'errors=[2-9][0-9]$' "... and keep failing (the writer stops after 20)"

r=$(tk_inline s $'PUT more x\n')
tk_like "$r" '^ERR NO_SPACE data dir .* (has [0-9]+ bytes free, [0-9]+ needed|No space left on device)' \
	"an inline PUT says NO_SPACE with the free space"
tk_diag "$r"
first=$(head -n 1 "$TK_TMP/acked")
r=$(tk_inline s "GET $first"$'\n')
r=${r:0:$((${#first} + 5))}
tk_is "$r" "val:$first:" "reads still work while the disk is full"
tk_ok "$(tk_alive s; echo $?)" "the daemon is alive"
tk_like "$(tk_http s /status)" '"engine_state":"degraded"' "/status says the engine is degraded"
tk_ok "$([ "$(tk_metric s tinykv_engine_write_errors_total)" -ge 1 ]; echo $?)" "tinykv_engine_write_errors_total counts the failures"

rm -f "$fs/filler"
tk_diag "free after deleting the filler: $(df -k --output=avail "$fs" | tail -n 1) KiB"
r=$(tk_inline s $'PUT after-full yes\nGET after-full\n')
tk_is "$r" $'OK\nyes' "with space back, puts succeed again (the engine reopened)"
tk_ok "$([ "$(tk_metric s tinykv_engine_reopens_total)" -ge 1 ]; echo $?)" "tinykv_engine_reopens_total counts the reopen"
tk_like "$(tk_http s /status)" '"engine_state":"ok"' "/status says the engine is ok again"
r=$("$TKLOAD" write "${TK_ADDR[s]}" "$TK_TMP/acked2" --inflight 8 --vsize 4000 --max 200 --prefix again/ 2>&1)
tk_is "$r" "acked=200 errors=0" "200 more puts of 4 KB succeed"

r=$("$TKLOAD" verify "${TK_ADDR[s]}" "$TK_TMP/acked" --vsize 4000 2>&1)
tk_is "$r" "checked=$acked missing=0 wrong=0 errors=0" "every put acknowledged before the disk filled is readable"
tk_stop s
tk_is "${TK_RC[s]}" 0 "SIGTERM: clean exit"
tk_restart s || tk_bail "cannot restart tinykvd"
cat "$TK_TMP/acked2" >>"$TK_TMP/acked"
r=$("$TKLOAD" verify "${TK_ADDR[s]}" "$TK_TMP/acked" --vsize 4000 2>&1)
tk_is "$r" "checked=$((acked + 200)) missing=0 wrong=0 errors=0" "... and after a restart, with the later ones"
tk_is "$(tk_inline s $'GET after-full\n')" yes "the put after recovery survives the restart"
tk_stop s
tk_done
