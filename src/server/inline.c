/* The inline text protocol for netcat (proto-spec/inline.md): one command
 * per line, binary-safe quoting shared with tinykv-cli (util/quote.h), one
 * human-readable reply per command.  Requests become the same structs as
 * framed requests and run through the same handlers. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/server.h"
#include "util/clock.h"
#include "util/quote.h"

#define INLINE_MAX_ARGS 8

static void line(struct srv_conn *c, const char *text)
{
	tk_buf_append(&c->out, text, strlen(text));
	tk_buf_append_byte(&c->out, '\n');
}

static void error_line(struct srv_conn *c, enum tk_err code, const char *msg)
{
	tk_buf_printf(&c->out, "ERR %s %s\n", tk_err_name(code), msg);
}

void srv_inline_write_reply(struct srv_conn *c, enum tk_err code, const char *errmsg)
{
	if (code == TK_OK)
		line(c, "OK");
	else
		error_line(c, code, errmsg);
}

static const char help_text[] =
	"commands (case-insensitive; quote arguments with \"...\" or '...'; \\xHH for any byte):\n"
	"  PING                       -> PONG\n"
	"  GET key                    -> the value, or (nil)\n"
	"  PUT key value              -> OK once durable\n"
	"  DEL key                    -> OK once durable\n"
	"  SCAN start [end [limit]]   -> one `key value` line per pair, then (N pairs[, more])\n"
	"                                end \"\" = no end; limit default 100\n"
	"  INFO                       -> server status lines, then (end)\n"
	"  HELP                       -> this text, then (end)\n"
	"  QUIT                       -> BYE, then the connection closes\n"
	"errors: ERR CODE message (codes in tinykv-protocol(7))\n"
	"(end)";

static void reply_value(struct srv_conn *c, struct tk_slice v)
{
	tk_quote(&c->out, v);
	tk_buf_append_byte(&c->out, '\n');
}

static void run(struct srv_conn *c, struct tk_args *a, uint64_t t0)
{
	struct server *s = c->srv;
	const char *cmd = (const char *)a->argv[0].data;
	size_t cmdlen = a->argv[0].len;
	struct tk_errbuf eb;
	tk_err_clear(&eb);
#define IS(name) (cmdlen == sizeof(name) - 1 && strncasecmp(cmd, name, cmdlen) == 0)
#define ARG(i) tk_buf_slice(&a->argv[i])
	enum tk_msg_type type;
	union {
		struct tk_raw_get_req get;
		struct tk_raw_put_req put;
		struct tk_raw_delete_req del;
		struct tk_raw_scan_req scan;
	} req;
	union {
		struct tk_raw_get_resp get;
		struct tk_raw_scan_resp scan;
		struct tk_empty empty;
	} resp;
	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	const char *usage = NULL;
	if (IS("PING")) {
		srv_commit_if_deferred(s, c);
		line(c, "PONG");
		return;
	} else if (IS("HELP")) {
		srv_commit_if_deferred(s, c);
		line(c, help_text);
		return;
	} else if (IS("QUIT")) {
		srv_commit_if_deferred(s, c);
		line(c, "BYE");
		c->closing = true;
		return;
	} else if (IS("INFO")) {
		srv_commit_if_deferred(s, c);
		srv_status_text(s, &c->out);
		line(c, "(end)");
		return;
	} else if (IS("GET")) {
		type = TK_MSG_raw_get;
		if (a->argc != 2)
			usage = "GET key";
		req.get.key = ARG(1);
	} else if (IS("PUT") || IS("SET")) {
		type = TK_MSG_raw_put;
		if (a->argc != 3)
			usage = "PUT key value";
		req.put.key = ARG(1);
		req.put.value = a->argc > 2 ? ARG(2) : tk_slice_of("", 0);
	} else if (IS("DEL") || IS("DELETE")) {
		type = TK_MSG_raw_delete;
		if (a->argc != 2)
			usage = "DEL key";
		req.del.key = ARG(1);
	} else if (IS("SCAN")) {
		type = TK_MSG_raw_scan;
		if (a->argc > 4)
			usage = "SCAN start [end [limit]]";
		req.scan.start = a->argc > 1 ? ARG(1) : tk_slice_of("", 0);
		req.scan.end = a->argc > 2 ? ARG(2) : tk_slice_of(NULL, 0);
		if (a->argc > 3) {
			char num[24];
			struct tk_slice l = ARG(3);
			char *end;
			snprintf(num, sizeof num, "%.*s", (int)(l.n < 23 ? l.n : 23), l.p);
			req.scan.limit = strtoull(num, &end, 10);
			if (*end || !l.n || num[0] == '-')
				usage = "SCAN start [end [limit]] (limit is a number)";
		}
	} else {
		srv_commit_if_deferred(s, c);
		tk_buf_printf(&c->out, "ERR %s unknown command '%.*s' (try HELP)\n", tk_err_name(TK_E_BAD_REQUEST),
			      (int)(cmdlen > 32 ? 32 : cmdlen), cmd);
		return;
	}
	if (usage) {
		srv_commit_if_deferred(s, c);
		tk_buf_printf(&c->out, "ERR %s wrong arguments; usage: %s\n", tk_err_name(TK_E_BAD_REQUEST), usage);
		return;
	}
	if (!srv_is_write(s, type))
		srv_commit_if_deferred(s, c);
	bool deferred = false;
	enum tk_err e = srv_execute(s, c, type, &req, &resp, &deferred, &eb);
	if (e == TK_OK && deferred) {
		e = srv_defer_reply(s, c, 0, type, true, t0, NULL);
		if (e == TK_OK)
			return;
		tk_err_set(&eb, e, "out of memory");
	}
	srv_commit_if_deferred(s, c);
	srv_metrics_observe(&s->metrics, (int)type, tk_mono_ns() - t0, e != TK_OK);
	if (e != TK_OK) {
		error_line(c, e, eb.msg);
		return;
	}
	if (type == TK_MSG_raw_get) {
		if (resp.get.value.p)
			reply_value(c, resp.get.value);
		else
			line(c, "(nil)");
	} else if (type == TK_MSG_raw_scan) {
		for (uint32_t i = 0; i < resp.scan.kvs.n; i++) {
			tk_quote(&c->out, resp.scan.kvs.v[i].k);
			tk_buf_append_byte(&c->out, ' ');
			reply_value(c, resp.scan.kvs.v[i].v);
		}
		tk_buf_printf(&c->out, "(%u pairs%s)\n", resp.scan.kvs.n, resp.scan.more ? ", more" : "");
	}
#undef IS
#undef ARG
}

/* A browser or curl pointed at the client port gets a clear answer. */
static bool looks_like_http(const uint8_t *p, size_t n)
{
	return n >= 9 && (memcmp(p + n - 8, "HTTP/1.1", 8) == 0 || memcmp(p + n - 8, "HTTP/1.0", 8) == 0);
}

void srv_inline_input(struct srv_conn *c)
{
	struct server *s = c->srv;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct tk_args args;
	tk_args_init(&args);
	while (srv_conn_may_continue(c)) {
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
			srv_commit_if_deferred(s, c);
			tk_buf_printf(&c->out, "ERR %s line longer than max-frame (%u bytes)\n",
				      tk_err_name(TK_E_TOO_LARGE), s->cfg.max_frame);
			c->closing = true;
			s->metrics.conns_closed_protocol++;
			break;
		}
		uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)(len + eol_len));
		size_t l = len;
		if (l && p[l - 1] == '\r')
			l--;
		s->metrics.bytes_in += len + eol_len;
		uint64_t t0 = tk_mono_ns();
		const char *why = NULL;
		if (looks_like_http(p, l)) {
			srv_commit_if_deferred(s, c);
			const char *body = "tinykvd: this port speaks the tinykv protocol "
					   "(tinykv-protocol(7)); HTTP status is served on status-addr\n";
			tk_buf_printf(&c->out, "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\n"
					       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
				      strlen(body), body);
			c->closing = true;
			s->metrics.conns_closed_protocol++;
		} else if (!tk_split_args((const char *)p, l, &args, INLINE_MAX_ARGS, &why)) {
			srv_commit_if_deferred(s, c);
			error_line(c, TK_E_BAD_REQUEST, why);
		} else if (args.argc > 0) {
			s->metrics.inline_commands++;
			run(c, &args, t0);
		}
		evbuffer_drain(in, len + eol_len);
	}
	tk_args_destroy(&args);
}
