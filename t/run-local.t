#!/bin/bash
# tools/run-local.sh, as a new user runs it: it starts the scheduler and a
# store of its cluster, opens the shell on them, and stops them when the
# shell ends; the cluster is real (store list shows the store); a
# second run while one is up, or a taken port, is refused with a message
# (it used to report "up" from an old log line and talk to the old daemons).
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 120

RL=$top_srcdir/tools/run-local.sh
export TINYKV_BUILDDIR=$top_builddir
export TINYKV_RUN_DIR=$TK_TMP/run
base=$((20000 + RANDOM % 20000))
export TINYKV_PORT=$base TINYKV_STATUS_PORT=$((base + 1)) TINYKV_SCHEDULER_PORT=$((base + 2))

# one-shot: the shell runs one command and leaves; the daemons stop with it
out=$("$RL" put rl:1 hello 2>&1)
tk_like "$out" "tinykvd is up on 127.0.0.1:$base" "run-local starts the daemons and says where"
tk_like "$out" "OK" "the shell's command ran against them"
tk_wait_for 10 sh -c "! ss -Hltn 'sport = :$base' | grep -q ."
tk_ok $? "the daemons stopped when the shell left"

# the store joined the scheduler's cluster: store list shows it
out=$("$RL" store list 2>&1)
tk_like "$out" "^1 +127\.0\.0\.1:$base +up +1 +1 " "store list shows store 1 up with 1 region (and its leader)"
tk_like "$out" '\(1 stores\)' "... and no other store"
out=$("$RL" get rl:1 2>&1)
tk_like "$out" "hello" "a second run keeps the data (the store rejoins its cluster)"
tk_wait_for 10 sh -c "! ss -Hltn 'sport = :$base' | grep -q ."

# a second run while the first is up is refused, naming the running pid
mkfifo "$TK_TMP/in"
("$RL" <"$TK_TMP/in" >"$TK_TMP/first.out" 2>&1) &
tk_track $!
exec 7>"$TK_TMP/in" # keep the first shell open
tk_wait_for 20 grep -q "tinykvd is up" "$TK_TMP/first.out"
tk_ok $? "a first instance is up"
out=$("$RL" ping 2>&1)
rc=$?
tk_is "$rc" 1 "a second run exits 1"
tk_like "$out" "already running on .*/run/(store1|scheduler) \\(pid [0-9]+\\)" "and says tinykv is already running"
tk_unlike "$out" "is up" "and never claims to be up"
exec 7>&-
tk_wait_for 10 sh -c "! ss -Hltn 'sport = :$base' | grep -q ."
tk_ok $? "the first instance stopped when its shell's input ended"

# a port in use (not ours) is named
export TINYKV_RUN_DIR=$TK_TMP/run2
python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $base)); s.listen(); time.sleep(30)" &
tk_track $!
tk_wait_for 30 sh -c "ss -Hltn 'sport = :$base' | grep -q ."
out=$("$RL" ping 2>&1)
tk_is "$?" 1 "a taken port: exit 1"
tk_like "$out" "port $base is in use" "and the port is named"
tk_done
