/* The framed msgpack protocol on a connection: split frames, decode them
 * with the table-driven codec, enforce the hello, hand requests to the
 * service, reply. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdio.h>
#include <string.h>

#include "net/net.h"
#include "util/clock.h"
#include "util/log.h"

enum tk_err net_framed_encode(struct tk_buf *out, enum tk_msg_type type, struct tk_slice type_name,
                              uint64_t id, enum tk_err code, const char *errmsg, const void *resp)
{
	if (code != TK_OK)
		return tk_encode_error_frame(out, type, type_name, id, code, errmsg);
	struct tk_msg m = {.type = type, .id = id, .kind = TK_RESPONSE, .body = (void *)resp};
	enum tk_err e = tk_msg_encode_frame(out, &m);
	if (e == TK_E_TOO_LARGE) {
		char why[96];
		snprintf(why, sizeof why, "reply larger than the frame limit (%u bytes)",
		         TK_MAX_FRAME_LIMIT);
		e = tk_encode_error_frame(out, type, type_name, id, TK_E_TOO_LARGE, why);
	}
	return e;
}

/* A reply given at once, behind any deferred one still open. */
static void reply(struct net_conn *c, enum tk_msg_type type, struct tk_slice type_name, uint64_t id,
                  enum tk_err code, const char *errmsg, const void *resp)
{
	if (net_framed_encode(net_conn_out(c), type, type_name, id, code, errmsg, resp) != TK_OK) {
		/* out of memory while encoding: the peer would wait forever for this
		 * id, so the connection cannot continue */
		LOG_ERROR("conn peer=%s: cannot encode reply", c->peer);
		net_conn_set_state(c, NET_CONN_CLOSING);
	}
}

/* Connection-level errors (no request to blame) go out as an error reply to
 * the hello, id 0, and the connection closes after it. */
static void fatal(struct net_conn *c, enum tk_err code, const char *msg)
{
	reply(c, TK_MSG_hello, tk_slice_of(NULL, 0), 0, code, msg, NULL);
	net_conn_set_state(c, NET_CONN_CLOSING);
	c->srv->metrics.conns_closed_protocol++;
	LOG_INFO("conn closed peer=%s: %s: %s", c->peer, tk_err_name(code), msg);
}

static void hello(struct net_conn *c, const struct tk_msg *m)
{
	struct net_server *s = c->srv;
	const struct tk_hello_req *req = m->body;
	char why[160];
	if (req->proto != TK_PROTO_VERSION) {
		snprintf(why, sizeof why,
		         "protocol version %llu not supported (this server speaks %d)",
		         (unsigned long long)req->proto, TK_PROTO_VERSION);
		reply(c, TK_MSG_hello, m->type_name, m->id, TK_E_VERSION_MISMATCH, why, NULL);
		net_conn_set_state(c, NET_CONN_CLOSING);
		return;
	}
	if (!s->svc->accepts_role(req->role, why, sizeof why)) {
		reply(c, TK_MSG_hello, m->type_name, m->id, TK_E_VERSION_MISMATCH, why, NULL);
		net_conn_set_state(c, NET_CONN_CLOSING);
		return;
	}
	struct tk_hello_resp resp = {
	    .proto = TK_PROTO_VERSION,
	    .role = tk_slice_str(s->svc->role),
	    .server = tk_slice_str(s->svc->server_name),
	    .max_frame = s->cfg.max_frame,
	    .cluster_id = s->ident.cluster_id,
	    .store_id = s->ident.store_id,
	    /* a cluster store names its scheduler: a client given any store's
	     * address can route from there */
	    .scheduler = s->cfg.scheduler[0] ? tk_slice_str(s->cfg.scheduler) : tk_slice_of(NULL, 0),
	};
	reply(c, TK_MSG_hello, m->type_name, m->id, TK_OK, NULL, &resp);
	net_conn_set_state(c, NET_CONN_FRAMED);
	if (req->name.p)
		LOG_DEBUG("conn hello peer=%s name=%.*s", c->peer,
		          (int)(req->name.n > 64 ? 64 : req->name.n), req->name.p);
}

/* Handle one frame; false when the service holds it (leave it unread). */
static bool handle_frame(struct net_conn *c, struct tk_slice payload)
{
	struct net_server *s = c->srv;
	uint64_t t0 = tk_mono_ns();
	struct tk_msg m;
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	enum tk_err e = tk_msg_decode(payload, &c->arena, &m, &eb);
	/* Envelope errors, as proto-spec/framing.md lists them: no id to
	 * answer, anything but a hello first, a failed hello, or id 0 (which
	 * the peer would read as a connection error) close the connection;
	 * everything else is answered with the request's id and the
	 * connection goes on. */
	if (e != TK_OK && !m.id_known) {
		fatal(c, e, eb.msg); /* not even an envelope: the peer is confused */
		return true;
	}
	if (c->state == NET_CONN_HELLO) {
		if (m.type != TK_MSG_hello) {
			fatal(c, TK_E_PROTOCOL, "the first message on a connection must be hello");
			return true;
		}
		if (e == TK_OK && m.kind != TK_REQUEST)
			e = tk_err_set(&eb, TK_E_PROTOCOL,
			               "a client sends requests ('b'), not replies");
		if (e != TK_OK) {
			reply(c, m.type, m.type_name, m.id, e, eb.msg, NULL);
			net_conn_set_state(c, NET_CONN_CLOSING);
			s->metrics.conns_closed_protocol++;
			return true;
		}
		hello(c, &m);
		return true;
	}
	if (m.id == 0 && m.type != TK_MSG_raft) {
		fatal(c, TK_E_PROTOCOL,
		      "id 0 is reserved for hello and one-way messages: a request needs a "
		      "non-zero id");
		return true;
	}
	if (e == TK_OK && m.kind != TK_REQUEST)
		e = tk_err_set(&eb, TK_E_PROTOCOL, "a client sends requests ('b'), not replies");
	if (e != TK_OK) {
		reply(c, m.type, m.type_name, m.id, e, eb.msg, NULL);
		net_metrics_observe(&s->metrics,
		                    m.type < TK_MSG__COUNT ? (int)m.type : NET_METRIC_INLINE,
		                    tk_mono_ns() - t0, true);
		return true;
	}
	if (m.type == TK_MSG_hello) {
		reply(c, m.type, m.type_name, m.id, TK_E_PROTOCOL, "hello was already done", NULL);
		return true;
	}
	void *resp = tk_arena_alloc(&c->arena, tk_msg_defs[m.type].resp->size);
	struct net_req r = {.conn = c, .id = m.id, .type = m.type, .start_ns = t0, .icmd = NULL};
	enum net_outcome o = NET_ANSWER;
	if (resp)
		o = s->svc->execute(s, &r, m.body, resp, &e, &eb);
	else
		e = tk_err_set(&eb, TK_E_NOMEM, "out of memory");
	if (o == NET_HOLD) {
		c->held = true;
		return false;
	}
	if (o == NET_ANSWER) {
		reply(c, m.type, m.type_name, m.id, e, eb.msg, resp);
		net_metrics_observe(&s->metrics, (int)m.type, tk_mono_ns() - t0, e != TK_OK);
	}
	return true;
}

void net_framed_input(struct net_conn *c)
{
	struct net_server *s = c->srv;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	while (net_conn_may_continue(c)) {
		size_t avail = evbuffer_get_length(in);
		if (avail < TK_FRAME_HEADER)
			break;
		uint8_t hdr[TK_FRAME_HEADER];
		evbuffer_copyout(in, hdr, sizeof hdr);
		uint32_t n;
		enum tk_frame_status st = tk_frame_peek(hdr, avail, s->cfg.max_frame, &n);
		if (st == TK_FRAME_TOO_LARGE) {
			char why[128];
			snprintf(why, sizeof why, "frame of %u bytes is above max-frame %u", n,
			         s->cfg.max_frame);
			fatal(c, TK_E_TOO_LARGE, why);
			break;
		}
		if (st == TK_FRAME_NEED_MORE)
			break;
		/* contiguous view of the frame; decoded slices point into it, so it
		 * is drained only after the reply is encoded */
		uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)(TK_FRAME_HEADER + n));
		bool consumed = handle_frame(c, tk_slice_of(p + TK_FRAME_HEADER, n));
		tk_arena_reset(&c->arena);
		if (!consumed)
			break; /* held: read again on net_conn_resume */
		s->metrics.bytes_in += TK_FRAME_HEADER + n;
		evbuffer_drain(in, TK_FRAME_HEADER + n);
	}
}
