/* The inline text protocol for netcat (proto-spec/inline.md): one command
 * per line, binary-safe quoting shared with tinykv-cli (util/quote.h), one
 * human-readable reply per command.  The service's inline command table
 * turns a line into the same request struct a frame decodes to, and the
 * request runs through the same execute; HELP, INFO and QUIT belong to the
 * protocol itself. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/net.h"
#include "util/clock.h"
#include "util/quote.h"

static void line(struct tk_buf *out, const char *text)
{
	tk_buf_append(out, text, strlen(text));
	tk_buf_append_byte(out, '\n');
}

static void error_line(struct tk_buf *out, enum tk_err code, const char *msg)
{
	tk_buf_printf(out, "ERR %s %s\n", tk_err_name(code), msg);
}

void net_inline_error(struct tk_buf *out, struct tk_slice code, struct tk_slice msg)
{
	tk_buf_printf(out, "ERR %.*s %.*s\n", (int)code.n, (const char *)code.p, (int)msg.n,
	              (const char *)msg.p);
}

void net_inline_encode(struct tk_buf *out, const struct net_inline_cmd *icmd, enum tk_err code,
                       const char *errmsg, const void *resp)
{
	if (code != TK_OK)
		error_line(out, code, errmsg);
	else if (icmd && icmd->render && resp)
		icmd->render(out, resp);
	else
		line(out, "OK");
}

static bool name_is(const char *name, const char *cmd, size_t len)
{
	return name && strlen(name) == len && strncasecmp(name, cmd, len) == 0;
}

static const struct net_inline_cmd *lookup(const struct net_service *svc, const char *cmd,
                                           size_t len)
{
	for (const struct net_inline_cmd *const *p = svc->inline_cmds; *p; p++)
		if (name_is((*p)->name, cmd, len) || name_is((*p)->alias, cmd, len))
			return *p;
	return NULL;
}

/* HELP: the service's commands, then the protocol's own. */
static void help(struct net_conn *c, struct tk_buf *out)
{
	tk_buf_printf(out, "commands (case-insensitive; quote arguments with \"...\" or '...'; "
	                   "\\xHH for any byte):\n");
	for (const struct net_inline_cmd *const *p = c->srv->svc->inline_cmds; *p; p++)
		tk_buf_printf(out, "  %-28s -> %s\n", (*p)->usage, (*p)->help);
	tk_buf_printf(out, "  %-28s -> %s\n", "INFO", "server status lines, then (end)");
	tk_buf_printf(out, "  %-28s -> %s\n", "HELP", "this text, then (end)");
	tk_buf_printf(out, "  %-28s -> %s\n", "QUIT", "BYE, then the connection closes");
	line(out, "errors: ERR CODE message (codes in tinykv-protocol(7))\n(end)");
}

/* Run one line's command; false when the service holds it. */
static bool run(struct net_conn *c, struct tk_args *a, uint64_t t0)
{
	struct net_server *s = c->srv;
	const char *cmd = (const char *)a->argv[0].data;
	size_t cmdlen = a->argv[0].len;
	struct tk_buf *out = net_conn_out(c);
	if (name_is("HELP", cmd, cmdlen)) {
		help(c, out);
		return true;
	}
	if (name_is("QUIT", cmd, cmdlen)) {
		line(out, "BYE");
		net_conn_set_state(c, NET_CONN_CLOSING);
		return true;
	}
	if (name_is("INFO", cmd, cmdlen)) {
		net_status_text(s, out);
		line(out, "(end)");
		return true;
	}
	const struct net_inline_cmd *icmd = lookup(s->svc, cmd, cmdlen);
	if (!icmd) {
		tk_buf_printf(out, "ERR %s unknown command '", tk_err_name(TK_E_BAD_REQUEST));
		tk_quote(out, tk_slice_of(cmd, cmdlen > 32 ? 32 : cmdlen));
		tk_buf_printf(out, "' (try HELP)\n");
		return true;
	}
	size_t argc = a->argc - 1;
	if (argc < icmd->min_args || argc > icmd->max_args) {
		tk_buf_printf(out, "ERR %s wrong arguments; usage: %s\n",
		              tk_err_name(TK_E_BAD_REQUEST), icmd->usage);
		return true;
	}
	struct tk_slice argv[NET_INLINE_MAX_ARGS];
	for (size_t i = 0; i < argc; i++)
		argv[i] = tk_buf_slice(&a->argv[i + 1]);
	const struct tk_msg_def *def = &tk_msg_defs[icmd->type];
	void *req = tk_arena_alloc(&c->arena, def->req->size);
	void *resp = tk_arena_alloc(&c->arena, def->resp->size);
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	enum tk_err e;
	enum net_outcome o = NET_ANSWER;
	if (!req || !resp) {
		e = tk_err_set(&eb, TK_E_NOMEM, "out of memory");
	} else {
		memset(req, 0, def->req->size);
		memset(resp, 0, def->resp->size);
		e = icmd->parse ? icmd->parse(argv, argc, req, &eb) : TK_OK;
		if (e == TK_OK) {
			struct net_req r = {
			    .conn = c, .id = 0, .type = icmd->type, .start_ns = t0, .icmd = icmd};
			o = s->svc->execute(s, &r, req, resp, &e, &eb);
		}
	}
	if (o == NET_HOLD) {
		c->held = true;
		return false;
	}
	if (o == NET_ANSWER) {
		net_metrics_observe(&s->metrics, (int)icmd->type, tk_mono_ns() - t0, e != TK_OK);
		net_inline_encode(net_conn_out(c), icmd, e, eb.msg, resp);
	}
	return true;
}

void net_inline_input(struct net_conn *c)
{
	struct net_server *s = c->srv;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct tk_args args;
	tk_args_init(&args);
	while (net_conn_may_continue(c)) {
		size_t eol_len = 0, len;
		struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos >= 0) {
			len = (size_t)eol.pos;
		} else if (c->eof && evbuffer_get_length(in) > 0) {
			/* the peer is done: its last line needs no newline.  (The
			 * input buffer is frozen at its end: nothing may be added.) */
			len = evbuffer_get_length(in);
			eol_len = 0;
		} else {
			len = evbuffer_get_length(in);
			if (len <= s->cfg.max_frame)
				break; /* wait for the rest of the line */
		}
		if (len > s->cfg.max_frame) {
			tk_buf_printf(net_conn_out(c),
			              "ERR %s line longer than max-frame (%u bytes)\n",
			              tk_err_name(TK_E_TOO_LARGE), s->cfg.max_frame);
			net_conn_set_state(c, NET_CONN_CLOSING);
			s->metrics.conns_closed_protocol++;
			break;
		}
		uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)(len + eol_len));
		uint64_t t0 = tk_mono_ns();
		const char *why = NULL;
		bool consumed = true;
		switch (net_inline_parse_line(p, len, &args, &why)) {
		case NET_INLINE_HTTP: {
			const char *body =
			    "tinykvd: this port speaks the tinykv protocol "
			    "(tinykv-protocol(7)); HTTP status is served on status-addr\n";
			tk_buf_printf(net_conn_out(c),
			              "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\n"
			              "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			              strlen(body), body);
			net_conn_set_state(c, NET_CONN_CLOSING);
			s->metrics.conns_closed_protocol++;
			break;
		}
		case NET_INLINE_BAD: error_line(net_conn_out(c), TK_E_BAD_REQUEST, why); break;
		case NET_INLINE_ARGS:
			consumed = run(c, &args, t0);
			if (consumed)
				s->metrics.inline_commands++;
			break;
		case NET_INLINE_EMPTY: break;
		}
		tk_arena_reset(&c->arena);
		if (!consumed)
			break; /* held: read again on net_conn_resume */
		s->metrics.bytes_in += len + eol_len;
		evbuffer_drain(in, len + eol_len);
	}
	tk_args_destroy(&args);
}
