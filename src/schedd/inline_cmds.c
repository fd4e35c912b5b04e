/* tinykv-scheduler's inline (netcat) commands: text lines onto the same
 * request structs as frames (net/net.h, struct net_inline_cmd), so they run
 * through the same execute.  The protocol itself adds HELP, INFO and QUIT
 * (net/inline.c); proto-spec/inline.md lists what the scheduler serves. */
#include <inttypes.h>
#include <stdio.h>

#include "schedd/service.h"

static void render_pong(struct tk_buf *out, const void *resp)
{
	(void)resp;
	tk_buf_append(out, "PONG\n", 5);
}

#define TSO_USAGE "TSO [count]"

/* A decimal count: digits only, no sign; one that overflows is refused,
 * never clamped (the limit itself is the TSO's: BAD_REQUEST naming it). */
static enum tk_err parse_tso(const struct tk_slice *argv, size_t argc, void *reqp,
                             struct tk_errbuf *eb)
{
	struct tk_get_ts_req *req = reqp;
	if (argc == 0)
		return TK_OK; /* count 0: one timestamp */
	return net_inline_count(argv[0], TSO_USAGE, "count", TSO_MAX_COUNT, &req->count, eb);
}

static void render_tso(struct tk_buf *out, const void *respp)
{
	const struct tk_get_ts_resp *resp = respp;
	tk_buf_printf(out, "%" PRIu64 "\n", resp->ts);
}

static const struct net_inline_cmd inl_ping = {
    .name = "PING",
    .usage = "PING",
    .help = "PONG",
    .type = TK_MSG_ping,
    .render = render_pong,
};

static const struct net_inline_cmd inl_tso = {
    .name = "TSO",
    .usage = TSO_USAGE,
    .help = "a timestamp (the first of count, at most 16384)",
    .type = TK_MSG_get_ts,
    .max_args = 1,
    .parse = parse_tso,
    .render = render_tso,
};

const struct net_inline_cmd *const schedd_inline_cmds[] = {&inl_ping, &inl_tso, NULL};
