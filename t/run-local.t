#!/bin/bash
# tools/run-local.sh, as a new user runs it: it starts the scheduler and a
# store of its cluster (TINYKV_STORES=1), opens the shell on them, and stops
# them when the shell ends; the cluster is real (store list shows the
# store); a second run while one is up, or a taken port, is refused with a
# message (it used to report "up" from an old log line and talk to the old
# daemons).  Then its default, three stores on 127.0.0.1-3: the region gets
# a replica on each before the shell opens, also after a restart; and a wait
# that cannot end well (four stores, three replicas) times out saying what
# the scheduler saw.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
tk_init 180

RL=$top_srcdir/tools/run-local.sh
export TINYKV_BUILDDIR=$top_builddir
export TINYKV_RUN_DIR=$TK_TMP/run
base=$((20000 + RANDOM % 20000))
export TINYKV_PORT=$base TINYKV_STATUS_PORT=$((base + 1)) TINYKV_SCHEDULER_PORT=$((base + 2))
export TINYKV_STORES=1

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
holder=$!
tk_track $holder
tk_wait_for 30 sh -c "ss -Hltn 'sport = :$base' | grep -q ."
out=$("$RL" ping 2>&1)
tk_is "$?" 1 "a taken port: exit 1"
tk_like "$out" "port $base is in use" "and the port is named"
kill "$holder" 2>/dev/null
tk_wait_for 30 sh -c "! ss -Hltn 'sport = :$base' | grep -q ."

# three stores (the default), each on its own address: the scheduler adds
# the missing replicas, the shell opens on the leader once there are three
unset TINYKV_STORES
export TINYKV_RUN_DIR=$TK_TMP/run3 TINYKV_REPLICA_WAIT=60
out=$("$RL" put rl:3 three 2>&1)
tk_is "$?" 0 "three stores: run-local comes up and the shell's put succeeds"
for n in 1 2 3; do
	tk_like "$out" "tinykvd is up on 127\.0\.0\.$n:$base " "store $n is up on 127.0.0.$n:$base"
done
tk_like "$out" "^the region: .* peers [0-9]+@[0-9]+\*?,[0-9]+@[0-9]+\*?,[0-9]+@[0-9]+\*? leader [0-9]" \
	"run-local waited for the region's three peers and its leader"
tk_like "$out" "^OK" "the put ran on the leader"
tk_wait_for 10 sh -c "! ss -Hltn 'sport = :$base' | grep -q ."
tk_ok $? "every daemon stopped when the shell left"

# a second run restarts the three stores over their data: each holds a
# replica, and the write is still there (whoever leads after the restart)
out=$("$RL" store list 2>&1)
for n in 1 2 3; do
	tk_like "$out" "^[0-9]+ +127\.0\.0\.$n:$base +up +1 " "after a restart, store $n holds a replica of the region"
done
tk_like "$out" '\(3 stores\)' "... three stores in all"
out=$("$RL" get rl:3 2>&1)
tk_like "$out" "^three" "the write survived the restart of the three stores"
tk_wait_for 10 sh -c "! ss -Hltn 'sport = :$base' | grep -q ."

# a region that cannot get its replicas in time: the wait ends, saying
# what the scheduler saw, and nothing is left running
export TINYKV_RUN_DIR=$TK_TMP/run4 TINYKV_STORES=4 TINYKV_REPLICA_WAIT=3
out=$("$RL" ping 2>&1)
tk_is "$?" 1 "four stores for a region of three replicas (max-replicas): exit 1 after the wait"
tk_like "$out" "after 3 s the region has 3 replica\(s\) of 4, leader 127\.0\.0\.[1-4]:$base" \
	"... saying how many replicas it saw, and the leader"
tk_like "$out" "region info: region [0-9]+ " "... with the region's line"
tk_like "$out" "^ *[0-9]+ +127\.0\.0\.4:$base +up " "... and the stores (the fourth one up)"
tk_unlike "$out" "is up" "... and never claims to be up"
tk_wait_for 10 sh -c "! ss -Hltn 'sport = :$base' | grep -q ."
tk_ok $? "every daemon stopped"
tk_done
