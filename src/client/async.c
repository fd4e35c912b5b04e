/* The libtinykv connection engine: one non-blocking socket on the caller's
 * event_base, requests pipelined into one output buffer that is written once
 * per reactor iteration, replies parsed in place from one input buffer and
 * matched to their callbacks by id (pending.h).  The blocking API
 * (blocking.c) runs this same code on a private event_base.
 *
 * States: WAITING (an optional delay before connecting: the scheduler
 * client's reconnect backoff) -> CONNECTING (non-blocking connect, trying
 * each resolved address in turn) -> HELLO (our hello written, requests held back until the server's
 * hello reply tells us its frame limit) -> READY -> FAILED (terminal: every
 * pending request failed, new ones refused with TK_E_CLOSED).
 *
 * Re-entrancy: callbacks may queue new requests and may free the handle.
 * `depth` counts library frames on the stack; tkv_async_free inside a
 * callback only marks the handle, and the outermost frame destroys it. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client_int.h"
#include "client/pending.h"
#include "codec/codec.h"
#include "util/arena.h"
#include "util/bytes.h"
#include "util/clock.h"
#include "util/err.h"

#define READ_CHUNK (64u * 1024)

enum state { ST_WAITING, ST_CONNECTING, ST_HELLO, ST_READY, ST_FAILED };

/* A hello reply longer than this is no hello: the peer is not a tinykv
 * server (tinykvd's and tinykv-scheduler's are under 200 bytes). */
#define HELLO_MAX_FRAME 4096u

struct tkv_async {
	struct event_base *base;
	char address[256];
	char name[128];
	unsigned connect_timeout_ms, timeout_ms;
	uint32_t max_frame;        /* largest frame we accept from the server */
	uint32_t server_max_frame; /* largest frame the server accepts */
	char server_name[128];
	char role[16];
	tkv_hello_check check;
	void *check_arg;
	unsigned delay_ms;

	enum state st;
	int fd;
	struct tkv_addrs addrs;
	int addr_idx;
	struct event *rev, *wev, *ctimer, *sweep, *delay;
	bool wev_on, sweep_on;
	unsigned sweep_ms;

	struct tk_buf out;
	size_t wpos, hello_end;
	struct tk_buf in;
	size_t rpos;
	struct tk_arena arena;
	struct tk_buf msgbuf;  /* NUL-terminated message of the reply being delivered */
	struct tk_buf scratch; /* slice arrays of batch requests while encoding */
	struct tk_buf expired; /* ids collected by a timeout sweep */

	struct tkv_ptable pending;
	uint64_t next_id;
	struct tk_errbuf failure;    /* why the handle failed (st == ST_FAILED) */
	uint64_t failed_ms;          /* when (monotonic) */
	struct tk_errbuf last_error; /* an error reply that matched no request */
	bool have_last_error;

	int depth;
	bool free_requested;
};

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);
static void fail(struct tkv_async *a, enum tk_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static uint64_t now_ms(void)
{
	return tk_mono_ns() / 1000000u;
}

static void destroy(struct tkv_async *a)
{
	if (a->rev)
		event_free(a->rev);
	if (a->wev)
		event_free(a->wev);
	if (a->ctimer)
		event_free(a->ctimer);
	if (a->sweep)
		event_free(a->sweep);
	if (a->delay)
		event_free(a->delay);
	if (a->fd >= 0)
		close(a->fd);
	tk_buf_destroy(&a->out);
	tk_buf_destroy(&a->in);
	tk_buf_destroy(&a->msgbuf);
	tk_buf_destroy(&a->scratch);
	tk_buf_destroy(&a->expired);
	tk_arena_destroy(&a->arena);
	tkv_ptable_destroy(&a->pending);
	free(a);
}

/* Leave a library frame; destroys the handle if it was freed meanwhile.
 * Returns true when the handle is gone. */
static bool leave(struct tkv_async *a)
{
	if (--a->depth == 0 && a->free_requested) {
		destroy(a);
		return true;
	}
	return false;
}

static void deliver(struct tkv_async *a, const struct tkv_pending *p, const struct tkv_reply *r)
{
	a->depth++;
	p->cb(p->arg, r);
	a->depth--;
}

static void deliver_error(struct tkv_async *a, const struct tkv_pending *p, enum tk_err code,
			  const char *msg)
{
	struct tkv_reply r;
	memset(&r, 0, sizeof r);
	r.code = code;
	r.message = msg;
	deliver(a, p, &r);
}

/* Fail every request in flight.  The table is detached first, so callbacks
 * that queue (refused) or forget requests do not disturb the iteration. */
static void fail_all(struct tkv_async *a, enum tk_err code, const char *msg)
{
	struct tkv_ptable old = a->pending;
	tkv_ptable_init(&a->pending);
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].id != 0)
			deliver_error(a, &old.slots[i], code, msg);
	tkv_ptable_destroy(&old);
}

static void stop_io(struct tkv_async *a)
{
	event_del(a->rev);
	event_del(a->wev);
	event_del(a->ctimer);
	event_del(a->sweep);
	event_del(a->delay);
	a->wev_on = a->sweep_on = false;
	if (a->fd >= 0) {
		close(a->fd);
		a->fd = -1;
	}
}

static void fail(struct tkv_async *a, enum tk_err code, const char *fmt, ...)
{
	if (a->st == ST_FAILED)
		return;
	a->st = ST_FAILED;
	a->failure.code = code;
	a->failed_ms = now_ms();
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->failure.msg, sizeof a->failure.msg, fmt, ap);
	va_end(ap);
	stop_io(a);
	/* the message is copied: a callback may not overwrite a->failure, but
	 * keep the delivered text independent of the handle anyway */
	char msg[sizeof a->failure.msg];
	memcpy(msg, a->failure.msg, sizeof msg);
	fail_all(a, code, msg);
}

/* ---- writing ------------------------------------------------------------ */

static size_t sendable(const struct tkv_async *a)
{
	return a->st == ST_READY ? a->out.len : a->st == ST_HELLO ? a->hello_end : 0;
}

static void want_write(struct tkv_async *a)
{
	if (!a->wev_on && (a->st == ST_HELLO || a->st == ST_READY) && sendable(a) > a->wpos) {
		event_add(a->wev, NULL);
		a->wev_on = true;
	}
}

static void flush(struct tkv_async *a)
{
	size_t lim = sendable(a);
	while (a->wpos < lim) {
		ssize_t n = send(a->fd, a->out.data + a->wpos, lim - a->wpos, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return; /* stay subscribed to EV_WRITE */
			fail(a, TK_E_CONNECTION, "send to %s: %s", a->address, strerror(errno));
			return;
		}
		a->wpos += (size_t)n;
	}
	if (a->wpos == a->out.len) {
		a->wpos = a->out.len = 0;
		a->hello_end = 0;
	} else if (a->st == ST_READY && a->wpos > a->out.len / 2) {
		memmove(a->out.data, a->out.data + a->wpos, a->out.len - a->wpos);
		a->out.len -= a->wpos;
		a->wpos = 0;
	}
	event_del(a->wev);
	a->wev_on = false;
}

/* ---- connecting ----------------------------------------------------------- */

static bool set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

static void attach_fd(struct tkv_async *a, int fd)
{
	a->fd = fd;
	event_assign(a->rev, a->base, fd, EV_READ | EV_PERSIST, on_read, a);
	event_assign(a->wev, a->base, fd, EV_WRITE | EV_PERSIST, on_write, a);
}

/* Start a non-blocking connect to the next address.  Returns false with
 * errno set when no address could be tried. */
static bool start_connect(struct tkv_async *a)
{
	int last = ECONNREFUSED;
	while (a->addr_idx < a->addrs.n) {
		int i = a->addr_idx;
		const struct sockaddr *sa = (const struct sockaddr *)&a->addrs.sa[i];
		int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			last = errno;
			a->addr_idx++;
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, sa, a->addrs.len[i]) == 0 || errno == EINPROGRESS) {
			attach_fd(a, fd);
			a->st = ST_CONNECTING;
			event_add(a->wev, NULL);
			a->wev_on = true;
			return true;
		}
		last = errno;
		close(fd);
		a->addr_idx++;
	}
	errno = last;
	return false;
}

static void connected(struct tkv_async *a)
{
	a->st = ST_HELLO;
	event_add(a->rev, NULL);
	flush(a);
	want_write(a);
}

static void on_connect_done(struct tkv_async *a)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0) {
		event_del(a->wev);
		a->wev_on = false;
		connected(a);
		return;
	}
	event_del(a->wev);
	a->wev_on = false;
	close(a->fd);
	a->fd = -1;
	a->addr_idx++;
	if (start_connect(a))
		return;
	fail(a, TK_E_CONNECTION, "connect to %s: %s", a->address, strerror(err));
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct tkv_async *a = arg;
	a->depth++;
	if (a->st == ST_CONNECTING)
		on_connect_done(a);
	else
		flush(a);
	leave(a);
}

static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct tkv_async *a = arg;
	a->depth++;
	fail(a, TK_E_TIMEOUT, "connect to %s: no hello reply within %u ms", a->address,
	     a->connect_timeout_ms);
	leave(a);
}

/* ---- replies -------------------------------------------------------------- */

static const char *set_msg(struct tkv_async *a, const char *prefix, struct tk_slice s)
{
	tk_buf_reset(&a->msgbuf);
	if (!tk_buf_printf(&a->msgbuf, "%s%.*s", prefix, (int)s.n, (const char *)s.p))
		return "(out of memory)";
	return (const char *)a->msgbuf.data;
}

static bool kvs_of(struct tkv_async *a, const struct tk_kvlist *l, bool keys_only,
		   struct tkv_reply *r)
{
	r->n_kvs = l->n;
	if (l->n == 0)
		return true;
	struct tkv_kv *kvs = tk_arena_alloc(&a->arena, sizeof *kvs * l->n);
	if (!kvs)
		return false;
	for (uint32_t i = 0; i < l->n; i++) {
		kvs[i].key = (uint8_t *)l->v[i].k.p;
		kvs[i].key_len = l->v[i].k.n;
		if (!keys_only && l->v[i].v.p) {
			kvs[i].value = (uint8_t *)l->v[i].v.p;
			kvs[i].value_len = l->v[i].v.n;
		}
	}
	r->kvs = kvs;
	return true;
}

static void handle_hello(struct tkv_async *a, const struct tk_msg *m)
{
	if (m->type != TK_MSG_hello || m->kind == TK_REQUEST) {
		fail(a, TK_E_PROTOCOL,
		     "%s is not a tinykv server (its first reply is a %s %s, not a hello reply)",
		     a->address, tk_msg_defs[m->type].name,
		     m->kind == TK_REQUEST ? "request" : "reply");
		return;
	}
	if (m->kind == TK_ERROR) {
		const struct tk_error *e = m->body;
		int known;
		enum tk_err code = tk_err_from_name((const char *)e->code.p, e->code.n, &known);
		fail(a, code, "%s refused hello: %.*s: %.*s", a->address, (int)e->code.n,
		     (const char *)e->code.p, (int)e->msg.n, (const char *)e->msg.p);
		return;
	}
	const struct tk_hello_resp *h = m->body;
	if (h->proto != TK_PROTO_VERSION) {
		fail(a, TK_E_VERSION_MISMATCH, "%s speaks protocol %llu, we speak %d", a->address,
		     (unsigned long long)h->proto, TK_PROTO_VERSION);
		return;
	}
	snprintf(a->server_name, sizeof a->server_name, "%.*s", (int)h->server.n,
		 (const char *)h->server.p);
	a->server_max_frame = h->max_frame && h->max_frame < TK_MAX_FRAME_LIMIT
				      ? (uint32_t)h->max_frame
				      : TK_MAX_FRAME_LIMIT;
	if (a->check) {
		struct tk_errbuf eb;
		tk_err_clear(&eb);
		enum tk_err e = a->check(a->check_arg, h, &eb);
		if (e) {
			fail(a, e, "%s", eb.msg);
			return;
		}
	}
	a->st = ST_READY;
	event_del(a->ctimer);
	want_write(a);
}

static void handle_reply(struct tkv_async *a, const struct tk_msg *m)
{
	struct tkv_pending p;
	if (m->kind == TK_REQUEST) {
		fail(a, TK_E_PROTOCOL, "%s sent a request (%s) to a client", a->address,
		     tk_msg_defs[m->type].name);
		return;
	}
	if (!tkv_ptable_take(&a->pending, m->id, &p)) {
		/* A late reply to a request that timed out, or an error about the
		 * connection itself (a bad frame) just before the server closes it:
		 * keep the latter to explain the close. */
		if (m->kind == TK_ERROR) {
			const struct tk_error *e = m->body;
			int known;
			a->last_error.code = tk_err_from_name((const char *)e->code.p, e->code.n,
							      &known);
			snprintf(a->last_error.msg, sizeof a->last_error.msg, "%.*s: %.*s",
				 (int)e->code.n, (const char *)e->code.p, (int)e->msg.n,
				 (const char *)e->msg.p);
			a->have_last_error = true;
		}
		return;
	}
	struct tkv_reply r;
	memset(&r, 0, sizeof r);
	r.message = "";
	if (m->type != p.type) {
		deliver_error(a, &p, TK_E_PROTOCOL, "reply of another type for this request id");
		return;
	}
	if (m->kind == TK_ERROR) {
		const struct tk_error *e = m->body;
		int known;
		r.code = tk_err_from_name((const char *)e->code.p, e->code.n, &known);
		if (r.code == TK_E_NOT_FOUND && p.type == TK_MSG_raw_get) {
			r.code = TK_E_OK; /* a missing key is found == false, never an error */
		} else if (known) {
			r.message = set_msg(a, "", e->msg);
		} else {
			tk_buf_reset(&a->msgbuf);
			tk_buf_printf(&a->msgbuf, "%.*s: %.*s", (int)e->code.n,
				      (const char *)e->code.p, (int)e->msg.n, (const char *)e->msg.p);
			r.message = a->msgbuf.data ? (const char *)a->msgbuf.data : "";
		}
		/* the detail lives in the frame's arena, like the rest of the reply */
		struct tkv_region_error re;
		if (tkv_is_region_error(r.code)) {
			if (!tkv_region_error_view(&a->arena, r.code, e, &re)) {
				deliver_error(a, &p, TK_E_NOMEM, "out of memory decoding the reply");
				return;
			}
			r.region_error = &re;
		}
		deliver(a, &p, &r);
		return;
	}
	bool ok = true;
	r.body = m->body;
	switch (m->type) {
	case TK_MSG_raw_get: {
		const struct tk_raw_get_resp *g = m->body;
		r.found = g->value.p != NULL;
		r.value = g->value.p;
		r.value_len = g->value.n;
		break;
	}
	case TK_MSG_raw_cas: {
		const struct tk_raw_cas_resp *cs = m->body;
		r.swapped = cs->swapped;
		r.found = cs->prev.p != NULL;
		r.value = cs->prev.p;
		r.value_len = cs->prev.n;
		break;
	}
	case TK_MSG_raw_scan: {
		const struct tk_raw_scan_resp *s = m->body;
		ok = kvs_of(a, &s->kvs, p.flags & TKV_PF_KEYS_ONLY, &r);
		r.more = s->more;
		break;
	}
	case TK_MSG_raw_batch_get: {
		const struct tk_raw_batch_get_resp *s = m->body;
		ok = kvs_of(a, &s->kvs, false, &r);
		break;
	}
	default: break;
	}
	if (!ok) {
		deliver_error(a, &p, TK_E_NOMEM, "out of memory decoding the reply");
		return;
	}
	deliver(a, &p, &r);
}

static void handle_frame(struct tkv_async *a, struct tk_slice payload)
{
	struct tk_msg m;
	struct tk_errbuf eb;
	tk_arena_reset(&a->arena);
	enum tk_err e = tk_msg_decode(payload, &a->arena, &m, &eb);
	if (e) {
		if (a->st == ST_HELLO && e != TK_E_NOMEM)
			fail(a, TK_E_PROTOCOL, "%s is not a tinykv server (bad first frame: %s)",
			     a->address, eb.msg);
		else
			fail(a, e == TK_E_NOMEM ? e : TK_E_PROTOCOL, "bad frame from %s: %s",
			     a->address, eb.msg);
		return;
	}
	if (a->st == ST_HELLO)
		handle_hello(a, &m);
	else
		handle_reply(a, &m);
}

/* Before the hello reply, the first bytes tell whether the peer speaks our
 * protocol at all: a frame starts with its 4-byte big-endian length, below
 * 16 MiB, so its first byte is 0, and a hello reply is short.  An HTTP
 * server (or any text protocol) starts with a letter; say so plainly
 * instead of "a frame of 1213486160 bytes".  Returns true (after failing
 * the handle) when the peer is not a tinykv server. */
static bool not_tinykv(struct tkv_async *a)
{
	const uint8_t *p = a->in.data + a->rpos;
	size_t n = a->in.len - a->rpos;
	if (n == 0)
		return false;
	if (p[0] == 0) {
		uint32_t plen;
		if (n < TK_FRAME_HEADER ||
		    tk_frame_peek(p, n, TK_MAX_FRAME_LIMIT, &plen) == TK_FRAME_TOO_LARGE ||
		    plen <= HELLO_MAX_FRAME)
			return false;
		fail(a, TK_E_PROTOCOL,
		     "%s is not a tinykv server (its first frame claims %u bytes, no hello is that "
		     "long)",
		     a->address, plen);
		return true;
	}
	/* Quote the start of its answer, up to the end of the first line,
	 * with anything unprintable escaped. */
	char quoted[80];
	size_t q = 0;
	for (size_t i = 0; i < n && i < 40 && p[i] != '\r' && p[i] != '\n'; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			quoted[q++] = (char)p[i];
		else
			q += (size_t)snprintf(quoted + q, sizeof quoted - q, "\\x%02x", p[i]);
		if (q > sizeof quoted - 6)
			break;
	}
	quoted[q] = 0;
	bool http = n >= 5 && memcmp(p, "HTTP/", 5) == 0;
	fail(a, TK_E_PROTOCOL, "%s is not a tinykv server (it answered %s\"%s\")", a->address,
	     http ? "HTTP: " : "", quoted);
	return true;
}

/* Deliver every whole frame in the input buffer. */
static void parse_frames(struct tkv_async *a)
{
	if (a->st == ST_HELLO && not_tinykv(a))
		return;
	while (a->st != ST_FAILED && !a->free_requested) {
		uint32_t plen;
		size_t avail = a->in.len - a->rpos;
		enum tk_frame_status fs = tk_frame_peek(a->in.data + a->rpos, avail, a->max_frame,
							&plen);
		if (fs == TK_FRAME_TOO_LARGE) {
			fail(a, TK_E_PROTOCOL, "%s sent a frame of %u bytes, above our limit %u",
			     a->address, plen, a->max_frame);
			return;
		}
		if (fs == TK_FRAME_NEED_MORE) {
			/* make room for the whole frame once its length is known */
			if (avail >= TK_FRAME_HEADER) {
				size_t need = TK_FRAME_HEADER + (size_t)plen;
				if (a->rpos > 0) {
					memmove(a->in.data, a->in.data + a->rpos, avail);
					a->in.len = avail;
					a->rpos = 0;
				}
				if (a->in.cap < need && !tk_buf_reserve(&a->in, need - a->in.len)) {
					fail(a, TK_E_NOMEM, "no memory for a %u byte frame", plen);
					return;
				}
			}
			break;
		}
		struct tk_slice payload = tk_slice_of(a->in.data + a->rpos + TK_FRAME_HEADER, plen);
		a->rpos += TK_FRAME_HEADER + plen;
		handle_frame(a, payload);
	}
	if (a->rpos == a->in.len)
		a->rpos = a->in.len = 0;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct tkv_async *a = arg;
	a->depth++;
	for (int rounds = 0; rounds < 4 && a->st != ST_FAILED && !a->free_requested; rounds++) {
		if (a->in.cap - a->in.len < READ_CHUNK) {
			if (a->rpos > 0) {
				memmove(a->in.data, a->in.data + a->rpos, a->in.len - a->rpos);
				a->in.len -= a->rpos;
				a->rpos = 0;
			}
			if (a->in.cap - a->in.len < READ_CHUNK &&
			    !tk_buf_reserve(&a->in, READ_CHUNK)) {
				fail(a, TK_E_NOMEM, "no memory for the input buffer");
				break;
			}
		}
		size_t room = a->in.cap - a->in.len;
		ssize_t n = recv(a->fd, a->in.data + a->in.len, room, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fail(a, TK_E_CONNECTION, "receive from %s: %s%s%s", a->address,
				     strerror(errno), a->have_last_error ? ", after error " : "",
				     a->have_last_error ? a->last_error.msg : "");
			break;
		}
		if (n == 0) {
			if (a->st == ST_HELLO)
				fail(a, TK_E_CONNECTION,
				     "%s closed the connection before its hello reply (is it a "
				     "tinykv server?)",
				     a->address);
			else if (a->have_last_error)
				fail(a, TK_E_CONNECTION, "%s closed the connection after error %s",
				     a->address, a->last_error.msg);
			else
				fail(a, TK_E_CONNECTION, "%s closed the connection", a->address);
			break;
		}
		a->in.len += (size_t)n;
		parse_frames(a);
		if ((size_t)n < room)
			break; /* drained the socket for now */
	}
	leave(a);
}

/* ---- timeouts ------------------------------------------------------------- */

static void arm_sweep(struct tkv_async *a)
{
	if (a->sweep_on || a->st == ST_FAILED)
		return;
	struct timeval tv = {a->sweep_ms / 1000, (a->sweep_ms % 1000) * 1000};
	event_add(a->sweep, &tv);
	a->sweep_on = true;
}

/* Time out requests past their deadline.  A periodic scan (at a tenth of the
 * shortest timeout) costs far less than a timer per request, and a reply
 * that arrives afterwards finds no entry and is dropped. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct tkv_async *a = arg;
	a->sweep_on = false;
	a->depth++;
	uint64_t now = now_ms();
	tk_buf_reset(&a->expired);
	for (size_t i = 0; i < a->pending.cap; i++) {
		const struct tkv_pending *p = &a->pending.slots[i];
		if (p->id && p->deadline_ms && p->deadline_ms <= now &&
		    !tk_buf_append(&a->expired, &p->id, sizeof p->id))
			break;
	}
	size_t n = a->expired.len / sizeof(uint64_t);
	for (size_t i = 0; i < n && !a->free_requested; i++) {
		uint64_t id;
		memcpy(&id, a->expired.data + i * sizeof id, sizeof id);
		struct tkv_pending p;
		if (!tkv_ptable_take(&a->pending, id, &p))
			continue;
		char msg[300];
		snprintf(msg, sizeof msg, "no reply to %s from %s within %u ms",
			 tk_msg_defs[p.type].name, a->address, p.timeout_ms);
		deliver_error(a, &p, TK_E_TIMEOUT, msg);
	}
	if (a->pending.n > 0)
		arm_sweep(a);
	leave(a);
}

/* ---- handle --------------------------------------------------------------- */

void tkv_config_default(struct tkv_config *c)
{
	memset(c, 0, sizeof *c);
	c->deadline_ms = 20000;
	c->max_attempts = 20;
	c->address = "127.0.0.1:20160";
	c->connect_timeout_ms = 3000;
	c->timeout_ms = 10000;
	c->name = "libtinykv";
	c->max_frame = TK_MAX_FRAME_LIMIT;
}

static void on_delay_done(evutil_socket_t fd, short what, void *arg);

static void arm_connect_timer(struct tkv_async *a)
{
	if (a->connect_timeout_ms) {
		struct timeval tv = {a->connect_timeout_ms / 1000,
		                     (a->connect_timeout_ms % 1000) * 1000};
		event_add(a->ctimer, &tv);
	}
}

static enum tk_err create(struct event_base *base, const struct tkv_config *cfg, const char *role,
                          struct tkv_async **out, struct tk_errbuf *err)
{
	struct tkv_config def;
	tkv_config_default(&def);
	if (!cfg)
		cfg = &def;
	struct tkv_async *a = calloc(1, sizeof *a);
	if (!a)
		return tk_err_set(err, TK_E_NOMEM, "allocating a client handle");
	a->base = base;
	a->fd = -1;
	snprintf(a->address, sizeof a->address, "%s", cfg->address ? cfg->address : def.address);
	snprintf(a->name, sizeof a->name, "%s", cfg->name ? cfg->name : def.name);
	a->connect_timeout_ms = cfg->connect_timeout_ms;
	a->timeout_ms = cfg->timeout_ms;
	a->max_frame = cfg->max_frame && cfg->max_frame < TK_MAX_FRAME_LIMIT ? cfg->max_frame
									      : TK_MAX_FRAME_LIMIT;
	a->server_max_frame = TK_MAX_FRAME_LIMIT;
	a->next_id = 1;
	a->sweep_ms = 100;
	tk_buf_init(&a->out);
	tk_buf_init(&a->in);
	tk_buf_init(&a->msgbuf);
	tk_buf_init(&a->scratch);
	tk_buf_init(&a->expired);
	tk_arena_init(&a->arena);
	tkv_ptable_init(&a->pending);
	a->rev = event_new(base, -1, 0, on_read, a);
	a->wev = event_new(base, -1, 0, on_write, a);
	a->ctimer = evtimer_new(base, on_connect_timeout, a);
	a->sweep = evtimer_new(base, on_sweep, a);
	a->delay = evtimer_new(base, on_delay_done, a);
	snprintf(a->role, sizeof a->role, "%s", role ? role : "client");
	struct tk_hello_req hello = {.proto = TK_PROTO_VERSION,
	                             .role = tk_slice_str(a->role),
	                             .name = tk_slice_str(a->name)};
	struct tk_msg m = {.type = TK_MSG_hello, .id = 0, .kind = TK_REQUEST, .body = &hello};
	if (!a->rev || !a->wev || !a->ctimer || !a->sweep || !a->delay ||
	    tk_msg_encode_frame(&a->out, &m)) {
		destroy(a);
		return tk_err_set(err, TK_E_NOMEM, "allocating a client handle");
	}
	a->hello_end = a->out.len;
	*out = a;
	return TK_OK;
}

/* The reconnect delay is over: connect now.  Every address refusing at
 * once fails the handle from here, on the loop, like a refused
 * non-blocking connect. */
static void on_delay_done(evutil_socket_t fd, short what, void *arg)
{
	struct tkv_async *a = arg;
	a->depth++;
	if (start_connect(a))
		arm_connect_timer(a);
	else
		fail(a, TK_E_CONNECTION, "connect to %s: %s", a->address, strerror(errno));
	leave(a);
}

enum tk_err tkv_async_open(struct event_base *base, const struct tkv_config *cfg,
                           const struct tkv_conn_opts *o, struct tkv_async **out,
                           struct tk_errbuf *err)
{
	struct tkv_async *a;
	enum tk_err e = create(base, cfg, o ? o->role : NULL, &a, err);
	if (e)
		return e;
	if (o) {
		a->check = o->check;
		a->check_arg = o->check_arg;
		a->delay_ms = o->delay_ms;
	}
	if (o && o->addrs)
		a->addrs = *o->addrs;
	else if ((e = tkv_addr_resolve(a->address, &a->addrs, err))) {
		destroy(a);
		return e;
	}
	if (a->delay_ms || (o && o->deferred)) {
		a->st = ST_WAITING;
		struct timeval tv = {a->delay_ms / 1000, (a->delay_ms % 1000) * 1000};
		event_add(a->delay, &tv);
	} else if (start_connect(a)) {
		arm_connect_timer(a);
	} else {
		e = tk_err_set(err, TK_E_CONNECTION, "connect to %s: %s", a->address,
			       strerror(errno));
		destroy(a);
		return e;
	}
	*out = a;
	return TK_OK;
}

enum tk_err tkv_async_new(struct event_base *base, const struct tkv_config *cfg,
                          struct tkv_async **out, struct tk_errbuf *err)
{
	return tkv_async_open(base, cfg, NULL, out, err);
}

enum tk_err tkv_async_new_fd(struct event_base *base, const struct tkv_config *cfg, int fd,
			     struct tkv_async **out, struct tk_errbuf *err)
{
	struct tkv_async *a;
	enum tk_err e = create(base, cfg, NULL, &a, err);
	if (e) {
		close(fd);
		return e;
	}
	if (!set_nonblock(fd)) {
		e = tk_err_set(err, TK_E_CONNECTION, "fcntl: %s", strerror(errno));
		close(fd);
		destroy(a);
		return e;
	}
	attach_fd(a, fd);
	arm_connect_timer(a);
	connected(a);
	*out = a;
	return TK_OK;
}

void tkv_async_free(struct tkv_async *a)
{
	if (!a || a->free_requested)
		return;
	a->free_requested = true;
	a->depth++;
	stop_io(a);
	if (a->st != ST_FAILED) {
		a->st = ST_FAILED;
		a->failure.code = TK_E_CLOSED;
		snprintf(a->failure.msg, sizeof a->failure.msg, "client handle closed");
	}
	fail_all(a, TK_E_CLOSED, "client handle closed");
	leave(a);
}

enum tk_err tkv_async_submit(struct tkv_async *a, enum tk_msg_type type, const void *body,
			     uint8_t flags, unsigned timeout_ms, tkv_async_cb cb, void *arg,
			     uint64_t *id)
{
	if (a->st == ST_FAILED || a->free_requested)
		return TK_E_CLOSED;
	struct tk_msg m = {
		.type = type, .id = a->next_id, .kind = TK_REQUEST, .body = (void *)body};
	size_t start = a->out.len;
	enum tk_err e = tk_msg_encode_frame(&a->out, &m);
	if (e)
		return e;
	if (a->out.len - start - TK_FRAME_HEADER > a->server_max_frame) {
		a->out.len = start;
		return TK_E_TOO_LARGE;
	}
	struct tkv_pending p = {.id = a->next_id, .cb = cb, .arg = arg, .type = (uint8_t)type,
				.flags = flags};
	if (timeout_ms) {
		p.deadline_ms = now_ms() + timeout_ms;
		p.timeout_ms = timeout_ms;
		unsigned s = timeout_ms / 10;
		s = s < 1 ? 1 : s > 100 ? 100 : s;
		if (s < a->sweep_ms)
			a->sweep_ms = s;
	}
	if (!tkv_ptable_insert(&a->pending, &p)) {
		a->out.len = start;
		return TK_E_NOMEM;
	}
	if (id)
		*id = a->next_id;
	a->next_id++;
	if (timeout_ms)
		arm_sweep(a);
	want_write(a);
	return TK_OK;
}

enum tk_err tkv_cas_req_of(struct tk_raw_cas_req *b, const void *key, size_t key_len,
			   const void *expect, size_t expect_len, const void *value, size_t value_len,
			   unsigned flags)
{
	if (flags & ~(unsigned)(TKV_CAS_EXPECT_ABSENT | TKV_CAS_DELETE))
		return TK_E_BAD_REQUEST;
	memset(b, 0, sizeof *b);
	b->key = tk_slice_of(key_len ? key : "", key_len);
	/* an empty operand is a value: never a NULL pointer, which would
	 * leave the field out */
	if (flags & TKV_CAS_EXPECT_ABSENT)
		b->expect_absent = true;
	else
		b->expect = tk_slice_of(expect_len ? expect : "", expect_len);
	if (flags & TKV_CAS_DELETE)
		b->del = true;
	else
		b->value = tk_slice_of(value_len ? value : "", value_len);
	return TK_OK;
}

uint64_t tkv_async_failed_ms(const struct tkv_async *a)
{
	return a->st == ST_FAILED ? a->failed_ms : 0;
}

bool tkv_async_forget(struct tkv_async *a, uint64_t id)
{
	struct tkv_pending p;
	return tkv_ptable_take(&a->pending, id, &p);
}

struct event_base *tkv_async_base(const struct tkv_async *a)
{
	return a->base;
}

unsigned tkv_async_timeout_ms(const struct tkv_async *a)
{
	return a->timeout_ms;
}

size_t tkv_async_in_flight(const struct tkv_async *a)
{
	return a->pending.n;
}

bool tkv_async_ready(const struct tkv_async *a)
{
	return a->st == ST_READY;
}

enum tk_err tkv_async_error(const struct tkv_async *a, struct tk_errbuf *err)
{
	if (a->st != ST_FAILED)
		return TK_OK;
	if (err)
		*err = a->failure;
	return a->failure.code;
}

const char *tkv_async_server_name(const struct tkv_async *a)
{
	return a->server_name;
}

/* ---- typed requests --------------------------------------------------------- */

enum tk_err tkv_async_ping(struct tkv_async *a, tkv_async_cb cb, void *arg)
{
	struct tk_empty b = {0};
	return tkv_async_submit(a, TK_MSG_ping, &b, 0, a->timeout_ms, cb, arg, NULL);
}

enum tk_err tkv_async_get(struct tkv_async *a, const void *key, size_t key_len, tkv_async_cb cb,
			  void *arg)
{
	struct tk_raw_get_req b = {.key = tk_slice_of(key_len ? key : "", key_len)};
	return tkv_async_submit(a, TK_MSG_raw_get, &b, 0, a->timeout_ms, cb, arg, NULL);
}

enum tk_err tkv_async_put(struct tkv_async *a, const void *key, size_t key_len, const void *value,
			  size_t value_len, tkv_async_cb cb, void *arg)
{
	struct tk_raw_put_req b = {.key = tk_slice_of(key_len ? key : "", key_len),
				   .value = tk_slice_of(value_len ? value : "", value_len)};
	return tkv_async_submit(a, TK_MSG_raw_put, &b, 0, a->timeout_ms, cb, arg, NULL);
}

enum tk_err tkv_async_delete(struct tkv_async *a, const void *key, size_t key_len, tkv_async_cb cb,
			     void *arg)
{
	struct tk_raw_delete_req b = {.key = tk_slice_of(key_len ? key : "", key_len)};
	return tkv_async_submit(a, TK_MSG_raw_delete, &b, 0, a->timeout_ms, cb, arg, NULL);
}

enum tk_err tkv_async_cas(struct tkv_async *a, const void *key, size_t key_len,
			  const void *expect, size_t expect_len, const void *value,
			  size_t value_len, unsigned flags, tkv_async_cb cb, void *arg)
{
	struct tk_raw_cas_req b;
	enum tk_err e = tkv_cas_req_of(&b, key, key_len, expect, expect_len, value, value_len, flags);
	if (e)
		return e;
	return tkv_async_submit(a, TK_MSG_raw_cas, &b, 0, a->timeout_ms, cb, arg, NULL);
}

enum tk_err tkv_async_scan(struct tkv_async *a, const void *start, size_t start_len,
			   const struct tkv_scan_opts *opts, tkv_async_cb cb, void *arg)
{
	struct tk_raw_scan_req b = {.start = tk_slice_of(start_len ? start : "", start_len)};
	uint8_t flags = 0;
	if (opts) {
		if (opts->end)
			b.end = tk_slice_of(opts->end, opts->end_len);
		b.limit = opts->limit;
		b.keys_only = opts->keys_only;
		b.reverse = opts->reverse;
		flags = opts->keys_only ? TKV_PF_KEYS_ONLY : 0;
	}
	return tkv_async_submit(a, TK_MSG_raw_scan, &b, flags, a->timeout_ms, cb, arg, NULL);
}

/* Batch bodies borrow the caller's bytes; the slice arrays live in scratch
 * only for the duration of the encode. */
static enum tk_err batch(struct tkv_async *a, enum tk_msg_type type, const struct tkv_kv_in *in,
			 size_t n, tkv_async_cb cb, void *arg)
{
	if (n > UINT32_MAX)
		return TK_E_TOO_LARGE;
	bool pairs = type == TK_MSG_raw_batch_put;
	size_t elem = pairs ? sizeof(struct tk_kv) : sizeof(struct tk_slice);
	tk_buf_reset(&a->scratch);
	if (!tk_buf_reserve(&a->scratch, elem * n + 1))
		return TK_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		struct tk_slice k = tk_slice_of(in[i].key_len ? in[i].key : "", in[i].key_len);
		if (pairs) {
			struct tk_kv kv = {k, tk_slice_of(in[i].value_len ? in[i].value : "",
							  in[i].value_len)};
			memcpy(a->scratch.data + i * elem, &kv, elem);
		} else {
			memcpy(a->scratch.data + i * elem, &k, elem);
		}
	}
	if (pairs) {
		struct tk_raw_batch_put_req b = {.kvs = {(struct tk_kv *)(void *)a->scratch.data,
							 (uint32_t)n}};
		return tkv_async_submit(a, type, &b, 0, a->timeout_ms, cb, arg, NULL);
	}
	struct tk_binlist keys = {(struct tk_slice *)(void *)a->scratch.data, (uint32_t)n};
	if (type == TK_MSG_raw_batch_get) {
		struct tk_raw_batch_get_req b = {.keys = keys};
		return tkv_async_submit(a, type, &b, 0, a->timeout_ms, cb, arg, NULL);
	}
	struct tk_raw_batch_delete_req b = {.keys = keys};
	return tkv_async_submit(a, type, &b, 0, a->timeout_ms, cb, arg, NULL);
}

enum tk_err tkv_async_batch_get(struct tkv_async *a, const struct tkv_kv_in *keys, size_t n,
				tkv_async_cb cb, void *arg)
{
	return batch(a, TK_MSG_raw_batch_get, keys, n, cb, arg);
}

enum tk_err tkv_async_batch_put(struct tkv_async *a, const struct tkv_kv_in *kvs, size_t n,
				tkv_async_cb cb, void *arg)
{
	return batch(a, TK_MSG_raw_batch_put, kvs, n, cb, arg);
}

enum tk_err tkv_async_batch_delete(struct tkv_async *a, const struct tkv_kv_in *keys, size_t n,
				   tkv_async_cb cb, void *arg)
{
	return batch(a, TK_MSG_raw_batch_delete, keys, n, cb, arg);
}
