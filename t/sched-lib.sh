# t/sched-lib.sh: helpers for the scheduler's t/sched-*.t tests, on top of
# t/lib.sh (source that first).
#   tks_start NAME [flags]   start tinykv-scheduler on free loopback ports
#                            (data dir $TK_TMP/NAME.d); sets TK_ADDR[NAME],
#                            TK_PORT[NAME], TK_STATUS[NAME], TK_PID[NAME]
#   tks_restart NAME         start it again with the same flags and data dir
# tk_stop / tk_kill / tk_http / tk_metric / tk_framed work on it as on tinykvd.

TKSCHED=$top_builddir/src/schedd/tinykv-scheduler
TKSCHED_SIM=$top_builddir/t/tksched

_tks_ready_count() { grep -ac 'tinykv-scheduler ready listen=' "${TK_LOG[$1]}" 2>/dev/null; }

_tks_started() { # NAME READY_LINES_BEFORE
	[ "$(_tks_ready_count "$1")" -gt "$2" ] || ! tk_alive "$1"
}

tks_start() {
	local name=$1
	shift
	TK_DIR[$name]=$TK_TMP/$name.d
	TK_LOG[$name]=$TK_TMP/$name.log
	TK_ARGS[$name]=$(printf '%q ' --data-dir "${TK_DIR[$name]}" "$@")
	tks_restart "$name"
}

tks_restart() {
	local name=$1 before line a
	before=$(_tks_ready_count "$name")
	[ -n "$before" ] || before=0
	eval "set -- ${TK_ARGS[$name]}"
	"$TKSCHED" --listen 127.0.0.1:0 --status-addr 127.0.0.1:0 "$@" \
		</dev/null >>"${TK_LOG[$name]}" 2>&1 &
	TK_PID[$name]=$!
	tk_track "${TK_PID[$name]}"
	if ! tk_wait_for 30 _tks_started "$name" "$before" || ! tk_alive "$name"; then
		tk_diag "tinykv-scheduler $name did not start; its log:"
		tk_diag "$(tail -n 20 "${TK_LOG[$name]}")"
		return 1
	fi
	line=$(grep -a 'tinykv-scheduler ready listen=' "${TK_LOG[$name]}" | tail -n 1)
	a=${line#*listen=}
	TK_ADDR[$name]=${a%% *}
	TK_PORT[$name]=${TK_ADDR[$name]##*:}
	a=${line#*status=}
	TK_STATUS[$name]=${a%% *}
	return 0
}
