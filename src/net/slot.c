/* Deferred replies: a connection's queue of reply slots.
 *
 * Invariants:
 * - c->slots lists the open slots of c, oldest first; each holds the reply
 *   to one deferred request, and in `after` every reply given at once while
 *   it was the newest open slot.  Bytes in c->out precede every slot.
 * - A completed slot leaves the queue only from the head: its reply, then
 *   its `after`, move to c->out; so replies leave in request order.
 * - Each open slot holds one reference on c (c->refs), so a connection
 *   closed by its peer lives until the service completes what it owes.
 * - A slot knows how to write its own reply (framed frame or inline text)
 *   from what net_defer recorded: whoever completes it needs no protocol. */
#include <stdlib.h>

#include "net/net.h"
#include "util/clock.h"
#include "util/log.h"

struct net_slot {
	struct net_conn *conn;
	struct net_slot *next;
	bool done;
	bool has_reply; /* reply holds the success form given to net_defer */
	uint64_t id;
	enum tk_msg_type type;
	const struct net_inline_cmd *icmd; /* NULL: framed */
	uint64_t start_ns;
	struct tk_buf reply; /* this slot's reply */
	struct tk_buf after; /* replies given at once behind it */
};

struct net_conn *net_slot_conn(const struct net_slot *sl)
{
	return sl->conn;
}

bool net_conn_has_open_slots(const struct net_conn *c)
{
	return c->slots != NULL;
}

struct tk_buf *net_conn_out(struct net_conn *c)
{
	return c->slots_tail ? &c->slots_tail->after : &c->out;
}

/* The slot's reply in its protocol.  False when out of memory. */
static bool encode(struct net_slot *sl, enum tk_err code, const char *msg, const void *resp)
{
	struct tk_buf *b = &sl->reply;
	if (sl->icmd) {
		net_inline_encode(b, sl->icmd, code, msg, resp);
		return true;
	}
	return net_framed_encode(b, sl->type, tk_slice_of(NULL, 0), sl->id, code, msg, resp) ==
	       TK_OK;
}

struct net_slot *net_defer(const struct net_req *r, const void *resp)
{
	struct net_conn *c = r->conn;
	struct net_slot *sl = c->free_slots;
	if (sl) {
		c->free_slots = sl->next;
	} else {
		sl = calloc(1, sizeof *sl);
		if (!sl)
			return NULL;
		tk_buf_init(&sl->reply);
		tk_buf_init(&sl->after);
	}
	sl->conn = c;
	sl->next = NULL;
	sl->done = false;
	sl->id = r->id;
	sl->type = r->type;
	sl->icmd = r->icmd;
	sl->start_ns = r->start_ns;
	sl->has_reply = false;
	if (resp) {
		if (!encode(sl, TK_OK, NULL, resp)) {
			tk_buf_reset(&sl->reply);
			sl->next = c->free_slots;
			c->free_slots = sl;
			return NULL;
		}
		sl->has_reply = true;
	}
	if (c->slots_tail)
		c->slots_tail->next = sl;
	else
		c->slots = sl;
	c->slots_tail = sl;
	c->refs++;
	return sl;
}

static void recycle(struct net_conn *c, struct net_slot *sl)
{
	tk_buf_reset(&sl->reply);
	tk_buf_reset(&sl->after);
	sl->next = c->free_slots;
	c->free_slots = sl;
}

/* An error object with its detail fields, in the slot's protocol.  False
 * when out of memory. */
static bool encode_error(struct net_slot *sl, const struct tk_error *err)
{
	struct tk_buf *b = &sl->reply;
	if (sl->icmd) {
		net_inline_error(b, err->code, err->msg);
		return true;
	}
	struct tk_msg m = {.type = sl->type, .id = sl->id, .kind = TK_ERROR, .body = (void *)err};
	enum tk_err e = tk_msg_encode_frame(b, &m);
	if (e == TK_E_TOO_LARGE) {
		/* detail too large for any frame (regions of huge keys): the code
		 * and the message still answer the request */
		struct tk_error bare = {.code = err->code, .msg = err->msg};
		m.body = &bare;
		e = tk_msg_encode_frame(b, &m);
	}
	return e == TK_OK;
}

static void finish(struct net_slot *sl, bool failed);

void net_slot_complete(struct net_slot *sl, enum tk_err code, const char *msg, const void *resp)
{
	struct net_conn *c = sl->conn;
	if (code != TK_OK || resp || !sl->has_reply) {
		tk_buf_reset(&sl->reply);
		if (!encode(sl, code, msg, resp)) {
			/* out of memory: the peer would wait forever for this id */
			LOG_ERROR("conn peer=%s: cannot encode a deferred reply", c->peer);
			if (c->bev)
				net_conn_set_state(c, NET_CONN_CLOSING);
		}
	}
	finish(sl, code != TK_OK);
}

void net_slot_complete_error(struct net_slot *sl, const struct tk_error *err)
{
	struct net_conn *c = sl->conn;
	tk_buf_reset(&sl->reply);
	if (!encode_error(sl, err)) {
		LOG_ERROR("conn peer=%s: cannot encode a deferred error reply", c->peer);
		if (c->bev)
			net_conn_set_state(c, NET_CONN_CLOSING);
	}
	finish(sl, true);
}

bool net_reply_error(const struct net_req *r, const struct tk_error *err)
{
	struct net_slot *sl = net_defer(r, NULL);
	if (!sl)
		return false;
	net_slot_complete_error(sl, err);
	return true;
}

/* The slot is answered: move every completed reply at the head of the
 * queue to the connection's output. */
static void finish(struct net_slot *sl, bool failed)
{
	struct net_conn *c = sl->conn;
	struct net_server *s = c->srv;
	sl->done = true;
	net_metrics_observe(&s->metrics, (int)sl->type, tk_mono_ns() - sl->start_ns, failed);
	while (c->slots && c->slots->done) {
		struct net_slot *h = c->slots;
		c->slots = h->next;
		if (!c->slots)
			c->slots_tail = NULL;
		if (c->bev) {
			tk_buf_append(&c->out, h->reply.data, h->reply.len);
			tk_buf_append(&c->out, h->after.data, h->after.len);
		}
		recycle(c, h);
		c->refs--;
	}
	/* Replies still owed (a pipelining client): append, and let libevent
	 * write them together; the last one owed goes out at once */
	if (c->slots)
		net_conn_flush_buffered(c); /* may free c */
	else
		net_conn_flush(c); /* may free c */
}

void net_slots_free(struct net_conn *c)
{
	struct net_slot *lists[2] = {c->slots, c->free_slots};
	for (int i = 0; i < 2; i++) {
		for (struct net_slot *sl = lists[i]; sl;) {
			struct net_slot *next = sl->next;
			tk_buf_destroy(&sl->reply);
			tk_buf_destroy(&sl->after);
			free(sl);
			sl = next;
		}
	}
	c->slots = c->slots_tail = c->free_slots = NULL;
}
