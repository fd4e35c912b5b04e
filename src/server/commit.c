/* Group commit: every write of a reactor iteration goes into one LevelDB
 * write batch, written once (with one fsync when sync is on) by an event
 * that runs after the iteration's I/O callbacks; only then are the writes
 * acknowledged.
 *
 * Why an activated event and not a priority: libevent 2.1 has no prepare or
 * check watcher.  event_active() appends the commit event to the tail of the
 * active queue, behind every I/O callback already queued by this poll, so it
 * runs once after all of them, before the loop polls again.  (A lower
 * priority would starve while any higher-priority event stays active.)
 * t/group-commit.t proves the effect: many pipelined puts, few fsyncs. */
#include <event2/event.h>
#include <stdlib.h>

#include "server/server.h"
#include "util/clock.h"
#include "util/log.h"

/* A batch this big is written at once rather than at the end of the
 * iteration: it bounds memory and the size of one LevelDB write. */
#define COMMIT_MAX_BATCH_BYTES (16u << 20)

enum tk_err srv_defer_reply(struct server *s, struct srv_conn *c, uint64_t id,
			    enum tk_msg_type type, bool is_inline, uint64_t start_ns,
			    const void *resp)
{
	if (s->npending == s->cap_pending) {
		size_t cap = s->cap_pending ? s->cap_pending * 2 : 256;
		struct srv_pending *p = realloc(s->pending, cap * sizeof *p);
		if (!p)
			return TK_E_NOMEM;
		s->pending = p;
		s->cap_pending = cap;
	}
	struct srv_pending *p = &s->pending[s->npending];
	*p = (struct srv_pending){c, id, type, is_inline, start_ns, s->deferred_replies.len, 0};
	if (!is_inline) {
		struct tk_msg m = {.type = type, .id = id, .kind = TK_RESPONSE, .body = (void *)resp};
		enum tk_err e = tk_msg_encode_frame(&s->deferred_replies, &m);
		if (e)
			return e;
		p->reply_len = s->deferred_replies.len - p->reply_off;
	}
	s->npending++;
	c->deferred++;
	if (eng_batch_bytes(s->batch) >= COMMIT_MAX_BATCH_BYTES) {
		srv_commit(s);
	} else if (!s->commit_scheduled) {
		s->commit_scheduled = true;
		event_active(s->commit_ev, EV_WRITE, 0);
	}
	return TK_OK;
}

void srv_commit(struct server *s)
{
	if (s->npending == 0)
		return;
	struct tk_errbuf eb;
	tk_err_clear(&eb);
	enum tk_err e = eng_write(s->eng, s->batch, s->cfg.sync, &eb);
	if (e != TK_OK)
		LOG_ERROR("group commit of %zu writes failed: %s", s->npending, eb.msg);
	/* durable (or failed and dropped): e.g. transactional latches can go */
	if (s->svc->after_commit)
		s->svc->after_commit(s);
	s->metrics.commits++;
	s->metrics.committed_ops += s->npending;
	eng_batch_clear(s->batch);
	uint64_t now = tk_mono_ns();
	struct srv_conn *touched = NULL;
	for (size_t i = 0; i < s->npending; i++) {
		struct srv_pending *p = &s->pending[i];
		struct srv_conn *c = p->conn;
		c->deferred--;
		srv_metrics_observe(&s->metrics, (int)p->type, now - p->start_ns, e != TK_OK);
		if (c->bev) {
			if (p->is_inline)
				srv_inline_write_reply(c, e, eb.msg);
			else if (e == TK_OK)
				tk_buf_append(&c->out, s->deferred_replies.data + p->reply_off, p->reply_len);
			else
				srv_framed_reply(c, p->type, tk_slice_of(NULL, 0), p->id, e, eb.msg, NULL);
		}
		if (!c->in_commit_list) {
			c->in_commit_list = true;
			c->commit_next = touched;
			touched = c;
		}
	}
	s->npending = 0;
	tk_buf_reset(&s->deferred_replies);
	/* hand replies to the sockets; a connection being processed right now
	 * (busy) is flushed by its own loop */
	while (touched) {
		struct srv_conn *c = touched;
		touched = c->commit_next;
		c->in_commit_list = false;
		srv_conn_flush(c); /* may free c */
	}
}

void srv_commit_event(evutil_socket_t fd, short what, void *arg);
void srv_commit_event(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	(void)fd;
	(void)what;
	s->commit_scheduled = false;
	srv_commit(s);
}
