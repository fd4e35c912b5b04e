# t/lib.sh: shared helpers of the t/*.t integration tests (bash, TAP).
#
# A test sources this file, calls tk_init with its wall-clock cap, then uses
#   tk_ok / tk_check / tk_is / tk_like / tk_cmp / tk_diag   TAP lines (the plan
#                                    is printed by tk_done, at the end)
#   tk_start NAME [tinykvd flags]    start a daemon on free loopback ports
#   tk_stop / tk_kill / tk_restart NAME   stop it (TERM), crash it (KILL),
#                                    start it again on the same data dir
#   tk_wait_for SECONDS CMD...       poll CMD until it succeeds or time is up
#   tk_metric NAME METRIC, tk_http NAME PATH   the daemon's status endpoint
#   tk_inline NAME TEXT, tk_framed NAME JSON...   one-shot connections
#   tk_conn_open[_framed] CONN NAME, tk_conn_write / tk_conn_send / tk_conn_reply
#                                    long-lived connections (bash /dev/tcp)
#   tk_track PID, tk_on_cleanup CMD  more things to undo at exit
# Everything a test starts is killed and every temporary file removed at exit,
# also when the wall-clock cap fires (the watchdog prints "Bail out!").
#
# Programs come from $top_builddir and sources from $top_srcdir, which `make
# check` exports (AM_TESTS_ENVIRONMENT); run by hand from a build dir,
# `top_builddir=$PWD top_srcdir=/path/to/src bash t/inline.t` works too.

set -u

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$PWD}"
export top_srcdir top_builddir

TKVD=$top_builddir/src/store/tinykvd
TKFRAME=$top_builddir/tools/tkframe
TKCLI=$top_builddir/src/cli/tinykv-cli
TKLOAD=$top_builddir/t/tkload
TKFLOOD=$top_builddir/t/tkflood

# ASan keeps freed memory in a 256 MB quarantine, which would drown the RSS
# checks; a small one still catches use-after-free in tests of this size.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"

TK_N=0          # tests run
TK_FAILED=0
TK_TMP=
TK_WATCHDOG=
TK_CLEANUP_HOOKS=()
declare -A TK_PID TK_ADDR TK_PORT TK_STATUS TK_DIR TK_LOG TK_ARGS TK_RC
declare -A TK_CONN_FD TK_CONN_RPID TK_CONN_OUT

# ---- TAP ---------------------------------------------------------------

tk_diag() { local l; while IFS= read -r l; do printf '# %s\n' "$l"; done <<<"$*"; }

# tk_ok COND_STATUS DESCRIPTION: "ok N - desc" when status is 0.
tk_ok() {
	local st=$1
	shift
	TK_N=$((TK_N + 1))
	if [ "$st" -eq 0 ]; then
		printf 'ok %d - %s\n' "$TK_N" "$*"
	else
		printf 'not ok %d - %s\n' "$TK_N" "$*"
		TK_FAILED=$((TK_FAILED + 1))
	fi
	return "$st"
}

# tk_check DESCRIPTION CMD...: run CMD, ok when it succeeds.
tk_check() {
	local d=$1
	shift
	"$@"
	tk_ok $? "$d"
}

# long values are cut in diagnostics
_tk_short() { if [ ${#1} -gt 1500 ]; then printf '%s...(%d bytes)' "${1:0:1500}" ${#1}; else printf '%s' "$1"; fi; }

tk_is() { # tk_is GOT WANT DESCRIPTION
	if [ "$1" == "$2" ]; then
		tk_ok 0 "$3"
	else
		tk_ok 1 "$3"
		tk_diag "got:  '$(_tk_short "$1")'"$'\n'"want: '$(_tk_short "$2")'"
	fi
}

tk_like() { # tk_like GOT ERE DESCRIPTION
	if grep -Eq -- "$2" <<<"$1"; then
		tk_ok 0 "$3"
	else
		tk_ok 1 "$3"
		tk_diag "got:  '$(_tk_short "$1")'"$'\n'"want match of: $2"
	fi
}

tk_unlike() { # tk_unlike GOT ERE DESCRIPTION
	if grep -Eq -- "$2" <<<"$1"; then
		tk_ok 1 "$3"
		tk_diag "got:  '$(_tk_short "$1")'"$'\n'"must not match: $2"
	else
		tk_ok 0 "$3"
	fi
}

tk_cmp() { # tk_cmp A B DESCRIPTION: numeric A < B
	if [ "$1" -lt "$2" ] 2>/dev/null; then
		tk_ok 0 "$3"
	else
		tk_ok 1 "$3"
		tk_diag "expected $1 < $2"
	fi
}

# Relay the TAP lines of a helper program ("ok - x", "not ok - y", "# z")
# into this test's numbering.
tk_relay() {
	local l
	while IFS= read -r l; do
		case $l in
		"not ok"*) l=${l#not ok}; l=${l# -}; tk_ok 1 "${l# }" ;;
		"ok"*) l=${l#ok}; l=${l# -}; tk_ok 0 "${l# }" ;;
		*) printf '%s\n' "$l" ;;
		esac
	done
}

tk_done() {
	local reports
	reports=$(grep -l -E 'Sanitizer|runtime error:' "$TK_TMP"/*.log "$TK_TMP"/*.out 2>/dev/null)
	tk_is "$reports" "" "no sanitizer report in the logs of the processes started"
	printf '1..%d\n' "$TK_N"
	tk_diag "$(basename "$0") ran for ${SECONDS}s"
	if [ "$TK_FAILED" -eq 0 ]; then
		tk_diag "all $TK_N passed"
	else
		tk_diag "$TK_FAILED of $TK_N failed"
	fi
	exit 0
}

tk_skip_all() {
	printf '1..0 # SKIP %s\n' "$*"
	exit 0
}

tk_bail() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

# ---- set-up, clean-up, wall-clock cap ----------------------------------

# tk_init CAP_SECONDS: temporary dir, exit trap, watchdog.
tk_init() {
	local cap=$1 me=$$ name
	name=$(basename "$0")
	TK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tinykv-${name%.t}.XXXXXX") || tk_bail "mktemp failed"
	: >"$TK_TMP/pids"
	trap tk_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	# The watchdog: past the cap it kills what the test started (which
	# unblocks a test waiting on a daemon), then the test itself.  Its
	# sleep must not hold the TAP pipe open, or the driver would wait.
	(
		sleep "$cap" </dev/null >/dev/null 2>&1 &
		sp=$!
		trap 'kill $sp 2>/dev/null; exit 0' TERM
		wait $sp || exit 0
		printf 'Bail out! %s exceeded its wall-clock cap of %ss\n' "$name" "$cap"
		exec >/dev/null 2>&1 # let go of the TAP pipe
		tk_kill_tracked
		# whatever the test runs in the foreground (it may hold the TAP
		# pipe, and bash runs the TERM trap only once it returns)
		_tk_kill_descendants "$me" "$BASHPID"
		kill -TERM "$me" 2>/dev/null
		sleep 3 </dev/null >/dev/null 2>&1
		_tk_kill_descendants "$me" "$BASHPID"
		kill -KILL "$me" 2>/dev/null
	) &
	TK_WATCHDOG=$!
	for p in "$TKVD" "$TKFRAME"; do
		[ -x "$p" ] || tk_bail "$p is not built (top_builddir=$top_builddir)"
	done
}

# tk_track PID: kill PID at exit (and when the cap fires).
tk_track() { echo "$1" >>"$TK_TMP/pids"; }

# KILL every tracked process that is still a child of this test (a pid
# that exited long ago may belong to someone else by now).
tk_kill_tracked() {
	local p
	[ -n "$TK_TMP" ] && [ -f "$TK_TMP/pids" ] || return 0
	while read -r p; do
		[ "$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')" = "$$" ] && kill -KILL "$p" 2>/dev/null
	done <"$TK_TMP/pids"
	return 0
}

# _tk_kill_descendants PID EXCEPT: KILL every process below PID, except the
# subtree of EXCEPT (the watchdog itself).
_tk_kill_descendants() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		[ "$c" = "$2" ] && continue
		_tk_kill_descendants "$c" "$2"
		kill -KILL "$c" 2>/dev/null
	done
}

tk_on_cleanup() { TK_CLEANUP_HOOKS+=("$*"); }

tk_cleanup() {
	local rc=$? h p
	trap - EXIT INT TERM HUP
	tk_kill_tracked
	if [ -n "$TK_TMP" ] && [ -f "$TK_TMP/pids" ]; then
		while read -r p; do wait "$p" 2>/dev/null; done <"$TK_TMP/pids"
	fi
	for h in "${TK_CLEANUP_HOOKS[@]}"; do eval "$h" >/dev/null 2>&1; done
	[ -n "$TK_WATCHDOG" ] && kill -TERM "$TK_WATCHDOG" 2>/dev/null
	if [ -n "$TK_TMP" ] && [ -d "$TK_TMP" ]; then
		if [ "$TK_FAILED" -ne 0 ] || [ "$rc" -ne 0 ]; then
			# leave the daemons' logs in the test's .log for diagnosis
			for p in "$TK_TMP"/*.log; do
				[ -f "$p" ] || continue
				printf '# --- %s (last lines)\n' "$(basename "$p")"
				tail -n 15 "$p" | sed 's/^/#   /'
			done
		fi
		rm -rf "$TK_TMP"
	fi
	exit "$rc"
}

# tk_wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds (0) or
# the deadline passes (1).
tk_wait_for() {
	local limit=$1 deadline
	shift
	deadline=$(($(date +%s%N) / 1000000 + limit * 1000))
	while :; do
		"$@" && return 0
		[ $(($(date +%s%N) / 1000000)) -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

tk_now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- daemons -------------------------------------------------------------

tk_alive() { [ -n "${TK_PID[$1]:-}" ] && ! _tk_gone "${TK_PID[$1]}"; }

tk_ready_line() { grep -a 'tinykvd ready listen=' "${TK_LOG[$1]}" 2>/dev/null | tail -n 1; }

tk_ready_count() { local n; n=$(grep -ac "tinykvd ready listen=" "${TK_LOG[$1]}" 2>/dev/null); echo "${n:-0}"; }

_tk_started() { # NAME READY_LINES_BEFORE
	[ "$(tk_ready_count "$1")" -gt "$2" ] 2>/dev/null || ! tk_alive "$1"
}

# tk_start NAME [flags...]: start tinykvd with --listen and --status-addr on
# port 0 of 127.0.0.1, --data-dir $TK_TMP/NAME.d (unless a flag names one)
# and stderr into $TK_TMP/NAME.log (the file also read for the ready line:
# pass --log-file $TK_TMP/NAME.log to log there instead).  Sets TK_ADDR[NAME]
# (host:port), TK_PORT[NAME], TK_STATUS[NAME] (host:port), TK_PID[NAME].
# Returns 1 (with the log as diagnostics) when the daemon does not get ready.
tk_start() {
	local name=$1 a dd=
	shift
	for a in "$@"; do [ "$a" = --data-dir ] && dd=1; done
	TK_DIR[$name]=$TK_TMP/$name.d
	TK_LOG[$name]=$TK_TMP/$name.log
	if [ -z "$dd" ]; then
		set -- --data-dir "${TK_DIR[$name]}" "$@"
	fi
	TK_ARGS[$name]=$(printf '%q ' "$@")
	_tk_spawn "$name"
}

_tk_spawn() {
	local name=$1 before line
	before=$(tk_ready_count "$name")
	[ -n "$before" ] || before=0
	eval "set -- ${TK_ARGS[$name]}"
	"$TKVD" --listen 127.0.0.1:0 --status-addr 127.0.0.1:0 "$@" \
		</dev/null >>"${TK_LOG[$name]}" 2>&1 &
	TK_PID[$name]=$!
	tk_track "${TK_PID[$name]}"
	if ! tk_wait_for 30 _tk_started "$name" "$before" || ! tk_alive "$name"; then
		tk_diag "tinykvd $name did not start; its log:"
		tk_diag "$(tail -n 20 "${TK_LOG[$name]}")"
		return 1
	fi
	line=$(tk_ready_line "$name")
	a=${line#*listen=}
	TK_ADDR[$name]=${a%% *}
	TK_PORT[$name]=${TK_ADDR[$name]##*:}
	a=${line#*status=}
	TK_STATUS[$name]=${a%% *}
	return 0
}

# tk_restart NAME: start again with the same flags (and data dir).
tk_restart() { _tk_spawn "$1"; }

# tk_stop NAME [SIGNAL [SECONDS]]: signal (TERM) and wait for the exit (30 s,
# then KILL); TK_RC[NAME] is the exit status.  Returns it.
tk_stop() {
	local name=$1 sig=${2:-TERM} pid=${TK_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -"$sig" "$pid" 2>/dev/null
	if ! tk_wait_for "${3:-30}" _tk_gone "$pid"; then
		tk_diag "tinykvd $name did not exit after SIG$sig: killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	TK_RC[$name]=$?
	TK_PID[$name]=
	return "${TK_RC[$name]}"
}

tk_kill() { tk_stop "$1" KILL; }

_tk_gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# tk_rss_kb NAME: resident set size of the daemon.
tk_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/${TK_PID[$1]}/status" 2>/dev/null; }

# ---- status endpoint -------------------------------------------------------

tk_http() { # NAME PATH
	curl -sS --max-time 10 "http://${TK_STATUS[$1]}$2"
}

# tk_metric NAME METRIC: the value of an unlabelled metric ("" if missing).
tk_metric() {
	tk_http "$1" /metrics | awk -v m="$2" '$1 == m && !done { print $2; done = 1 }'
}

# ---- connections -----------------------------------------------------------

# tk_inline NAME TEXT: send TEXT (lines) on a fresh inline connection, print
# every reply (the server closes after answering when we stop sending).
tk_inline() {
	local a=${TK_ADDR[$1]:-127.0.0.1:0}
	printf '%s' "$2" | timeout 10 nc -N "${a%:*}" "${TK_PORT[$1]}"
}

# tk_framed NAME JSON...: a fresh framed connection: hello, the requests,
# the replies as JSON lines (the hello reply first).
tk_framed() {
	local name=$1
	shift
	local a=${TK_ADDR[$name]:-127.0.0.1:0}
	"$TKFRAME" encode --hello "$@" | timeout 20 nc -N "${a%:*}" "${TK_PORT[$name]}" |
		"$TKFRAME" decode
}

# tk_conn_open CONN NAME: a long-lived connection to daemon NAME through a
# bash /dev/tcp fd; a background reader copies everything the server sends
# into $TK_TMP/conn-CONN.out (tk_conn_open_framed decodes frames to JSON
# lines there instead).  The reader exits when the server closes.
tk_conn_open() { _tk_conn_open "$1" "$2" cat; }
tk_conn_open_framed() { _tk_conn_open "$1" "$2" "$TKFRAME" decode; }

_tk_conn_open() {
	local conn=$1 name=$2 fd
	shift 2
	exec {fd}<>"/dev/tcp/127.0.0.1/${TK_PORT[$name]}" || return 1
	TK_CONN_FD[$conn]=$fd
	TK_CONN_OUT[$conn]=$TK_TMP/conn-$conn.out
	: >"${TK_CONN_OUT[$conn]}"
	"$@" <&"$fd" >"${TK_CONN_OUT[$conn]}" 2>"$TK_TMP/conn-$conn.err" &
	TK_CONN_RPID[$conn]=$!
	tk_track "${TK_CONN_RPID[$conn]}"
}

# tk_conn_write CONN BYTES (printf format) / tk_conn_send CONN JSON... (frames)
tk_conn_write() { printf "$2" >&"${TK_CONN_FD[$1]}"; }
tk_conn_send() {
	local conn=$1
	shift
	"$TKFRAME" encode "$@" >&"${TK_CONN_FD[$conn]}"
}

tk_conn_out() { cat "${TK_CONN_OUT[$1]}"; }

# tk_conn_has CONN ERE: the output so far matches.
tk_conn_has() { grep -Eqa -- "$2" "${TK_CONN_OUT[$1]}"; }

# tk_conn_reply CONN ID [SECONDS]: wait for the framed reply with this id and
# print it (empty, status 1, on timeout).
tk_conn_reply() {
	local pat="\"id\":$2,"
	if tk_wait_for "${3:-10}" grep -qa -- "$pat" "${TK_CONN_OUT[$1]}"; then
		grep -a -- "$pat" "${TK_CONN_OUT[$1]}" | tail -n 1
		return 0
	fi
	return 1
}

# tk_conn_closed CONN: the server closed the connection (the reader saw EOF).
tk_conn_closed() { _tk_gone "${TK_CONN_RPID[$1]}"; }

tk_conn_close() {
	local conn=$1 fd=${TK_CONN_FD[$1]}
	kill "${TK_CONN_RPID[$conn]}" 2>/dev/null
	wait "${TK_CONN_RPID[$conn]}" 2>/dev/null
	eval "exec $fd>&-"
}
