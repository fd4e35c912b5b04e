/* libtinykv's scheduler client (tinykv_sched.h): a blocking connection of
 * its own (non-blocking socket + poll with a deadline), framed with the
 * codec, one request in flight.  A reply with another id (a late reply to
 * a request that timed out) is skipped. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/client_int.h"
#include "codec/codec.h"
#include "tinykv_sched.h"
#include "util/arena.h"
#include "util/err.h"

struct tkv_sched {
	struct tkv_sched_config cfg;
	char address[256], role[16], name[128];
	int fd;
	uint64_t cluster_id;
	uint64_t next_id;
	uint32_t max_frame;
	struct tk_buf out, in;
	struct tk_arena arena; /* the decoded reply of the last call */
};

void tkv_sched_config_default(struct tkv_sched_config *c)
{
	memset(c, 0, sizeof *c);
	c->address = "127.0.0.1:2379";
	c->role = "client";
	c->name = "libtinykv";
	c->connect_timeout_ms = 3000;
	c->timeout_ms = 10000;
}

const char *tkv_step_kind_name(enum tkv_step_kind k)
{
	switch (k) {
	case TKV_STEP_ADD_PEER: return "add_peer";
	case TKV_STEP_REMOVE_PEER: return "remove_peer";
	case TKV_STEP_TRANSFER_LEADER: return "transfer_leader";
	}
	return "unknown";
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void drop(struct tkv_sched *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	tk_buf_reset(&s->in);
}

/* Wait for events on the socket until the deadline (0: none). */
static enum tk_err wait_fd(struct tkv_sched *s, short events, uint64_t deadline, const char *what,
			   struct tk_errbuf *err)
{
	for (;;) {
		int timeout = -1;
		if (deadline) {
			uint64_t now = now_ms();
			if (now >= deadline)
				return tk_err_set(err, TK_E_TIMEOUT, "%s %s: timed out", what, s->address);
			timeout = (int)(deadline - now);
		}
		struct pollfd p = {.fd = s->fd, .events = events};
		int n = poll(&p, 1, timeout);
		if (n > 0)
			return TK_OK;
		if (n < 0 && errno != EINTR)
			return tk_err_set(err, TK_E_CONNECTION, "%s %s: poll: %s", what, s->address,
					  strerror(errno));
	}
}

static enum tk_err send_all(struct tkv_sched *s, uint64_t deadline, struct tk_errbuf *err)
{
	size_t off = 0;
	while (off < s->out.len) {
		ssize_t n = send(s->fd, s->out.data + off, s->out.len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			enum tk_err e = wait_fd(s, POLLOUT, deadline, "send to", err);
			if (e)
				return e;
			continue;
		}
		return tk_err_set(err, TK_E_CONNECTION, "send to %s: %s", s->address, strerror(errno));
	}
	return TK_OK;
}

/* Read until a whole frame is at the front of s->in; *len is its payload
 * length. */
static enum tk_err recv_frame(struct tkv_sched *s, uint64_t deadline, uint32_t *len,
			      struct tk_errbuf *err)
{
	for (;;) {
		enum tk_frame_status st = tk_frame_peek(s->in.data, s->in.len, TK_MAX_FRAME_LIMIT, len);
		if (st == TK_FRAME_READY)
			return TK_OK;
		if (st == TK_FRAME_TOO_LARGE)
			return tk_err_set(err, TK_E_PROTOCOL, "%s sent a frame of %u bytes", s->address, *len);
		if (!tk_buf_reserve(&s->in, 64 * 1024))
			return tk_err_set(err, TK_E_NOMEM, "out of memory");
		ssize_t n = recv(s->fd, s->in.data + s->in.len, s->in.cap - s->in.len, 0);
		if (n > 0) {
			s->in.len += (size_t)n;
			continue;
		}
		if (n == 0)
			return tk_err_set(err, TK_E_CLOSED, "%s closed the connection", s->address);
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			enum tk_err e = wait_fd(s, POLLIN, deadline, "reply from", err);
			if (e)
				return e;
			continue;
		}
		return tk_err_set(err, TK_E_CONNECTION, "recv from %s: %s", s->address, strerror(errno));
	}
}

static void consume(struct tkv_sched *s, uint32_t len)
{
	size_t n = TK_FRAME_HEADER + len;
	memmove(s->in.data, s->in.data + n, s->in.len - n);
	s->in.len -= n;
}

static enum tk_err error_of(const struct tk_msg *m, struct tk_errbuf *err)
{
	const struct tk_error *e = m->body;
	int known;
	enum tk_err code = tk_err_from_name((const char *)e->code.p, e->code.n, &known);
	if (known)
		return tk_err_set(err, code, "%.*s", (int)e->msg.n, (const char *)e->msg.p);
	return tk_err_set(err, code, "%.*s: %.*s", (int)e->code.n, (const char *)e->code.p,
			  (int)e->msg.n, (const char *)e->msg.p);
}

static enum tk_err try_connect(struct tkv_sched *s, const struct sockaddr_storage *sa,
			       socklen_t salen, uint64_t deadline, struct tk_errbuf *err)
{
	s->fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return tk_err_set(err, TK_E_CONNECTION, "socket: %s", strerror(errno));
	if (connect(s->fd, (const struct sockaddr *)sa, salen) != 0 && errno != EINPROGRESS) {
		enum tk_err e = tk_err_set(err, TK_E_CONNECTION, "connect to %s: %s", s->address,
					   strerror(errno));
		drop(s);
		return e;
	}
	enum tk_err e = wait_fd(s, POLLOUT, deadline, "connect to", err);
	int soerr = 0;
	socklen_t l = sizeof soerr;
	if (!e && (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &l) != 0 || soerr))
		e = tk_err_set(err, TK_E_CONNECTION, "connect to %s: %s", s->address,
			       strerror(soerr ? soerr : errno));
	if (e) {
		drop(s);
		return e;
	}
	int one = 1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return TK_OK;
}

static enum tk_err hello(struct tkv_sched *s, uint64_t deadline, struct tk_errbuf *err)
{
	struct tk_hello_req h = {.proto = TK_PROTO_VERSION,
				 .role = tk_slice_str(s->role),
				 .name = tk_slice_str(s->name)};
	struct tk_msg m = {.type = TK_MSG_hello, .id = 0, .kind = TK_REQUEST, .body = &h};
	tk_buf_reset(&s->out);
	enum tk_err e = tk_msg_encode_frame(&s->out, &m);
	if (e)
		return tk_err_set(err, e, "encoding hello");
	if ((e = send_all(s, deadline, err)))
		return e;
	uint32_t len;
	if ((e = recv_frame(s, deadline, &len, err)))
		return e;
	struct tk_msg r;
	tk_arena_reset(&s->arena);
	e = tk_msg_decode(tk_slice_of(s->in.data + TK_FRAME_HEADER, len), &s->arena, &r, err);
	if (!e && r.type != TK_MSG_hello)
		e = tk_err_set(err, TK_E_PROTOCOL, "%s: expected a hello reply", s->address);
	if (!e && r.kind == TK_ERROR) {
		error_of(&r, err);
		e = tk_err_wrap(err, "%s refused hello", s->address);
	}
	if (!e) {
		const struct tk_hello_resp *hr = r.body;
		if (!tk_slice_eq(hr->role, tk_slice_str("scheduler")))
			e = tk_err_set(err, TK_E_VERSION_MISMATCH, "%s is a %.*s, not a scheduler",
				       s->address, (int)hr->role.n, (const char *)hr->role.p);
		s->cluster_id = hr->cluster_id;
		if (!e && s->cfg.cluster_id && hr->cluster_id != s->cfg.cluster_id)
			e = tk_err_set(err, TK_E_CLUSTER_MISMATCH,
				       "%s serves cluster %llu, not cluster %llu", s->address,
				       (unsigned long long)hr->cluster_id,
				       (unsigned long long)s->cfg.cluster_id);
		s->max_frame = hr->max_frame && hr->max_frame < TK_MAX_FRAME_LIMIT ? (uint32_t)hr->max_frame
										 : TK_MAX_FRAME_LIMIT;
	}
	consume(s, len);
	return e;
}

/* Whether the server closed the connection while we were not looking
 * (its restart, its idle timeout): then reconnect rather than fail the
 * next request. */
static bool closed_by_peer(struct tkv_sched *s)
{
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	if (poll(&p, 1, 0) <= 0)
		return false;
	char c;
	ssize_t n = recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static enum tk_err ensure(struct tkv_sched *s, struct tk_errbuf *err)
{
	if (s->fd >= 0 && closed_by_peer(s))
		drop(s);
	if (s->fd >= 0)
		return TK_OK;
	struct tkv_addrs addrs;
	enum tk_err e = tkv_addr_resolve(s->address, &addrs, err);
	if (e)
		return e;
	uint64_t deadline = s->cfg.connect_timeout_ms ? now_ms() + s->cfg.connect_timeout_ms : 0;
	e = tk_err_set(err, TK_E_CONNECTION, "%s: no address", s->address);
	for (int i = 0; i < addrs.n; i++) {
		e = try_connect(s, &addrs.sa[i], addrs.len[i], deadline, err);
		if (!e)
			break;
	}
	if (!e && (e = hello(s, deadline, err)))
		drop(s);
	return e;
}

/* Send one request and wait for its reply; *resp is the decoded body
 * (valid until the next call).  Server errors come back as their code. */
static enum tk_err call(struct tkv_sched *s, enum tk_msg_type type, const void *req,
			const void **resp, struct tk_errbuf *err)
{
	struct tk_errbuf local;
	if (!err)
		err = &local;
	enum tk_err e = ensure(s, err);
	if (e)
		return e;
	uint64_t id = ++s->next_id;
	struct tk_msg m = {.type = type, .id = id, .kind = TK_REQUEST, .body = (void *)req};
	tk_buf_reset(&s->out);
	if ((e = tk_msg_encode_frame(&s->out, &m)))
		return tk_err_set(err, e, "%s request: %s", tk_msg_defs[type].name, tk_strerror(e));
	if (s->out.len - TK_FRAME_HEADER > s->max_frame)
		return tk_err_set(err, TK_E_TOO_LARGE, "%s request of %zu bytes is above the server's limit",
				  tk_msg_defs[type].name, s->out.len);
	uint64_t deadline = s->cfg.timeout_ms ? now_ms() + s->cfg.timeout_ms : 0;
	if ((e = send_all(s, deadline, err))) {
		drop(s);
		return e;
	}
	for (;;) {
		uint32_t len;
		if ((e = recv_frame(s, deadline, &len, err))) {
			if (e != TK_E_TIMEOUT)
				drop(s);
			return e;
		}
		struct tk_msg r;
		tk_arena_reset(&s->arena);
		e = tk_msg_decode(tk_slice_of(s->in.data + TK_FRAME_HEADER, len), &s->arena, &r, err);
		if (e) {
			drop(s);
			return tk_err_set(err, TK_E_PROTOCOL, "bad frame from %s: %s", s->address, err->msg);
		}
		if (r.id != id) {
			bool conn_error = r.id == 0 && r.kind == TK_ERROR;
			if (conn_error) {
				error_of(&r, err); /* the server is closing on us: say why */
				drop(s);
				return err->code;
			}
			consume(s, len); /* a late reply */
			continue;
		}
		/* the body points into s->in: keep the frame until the next call */
		if (r.kind == TK_ERROR) {
			e = error_of(&r, err);
		} else if (r.type != type) {
			e = tk_err_set(err, TK_E_PROTOCOL, "reply of another type for this request id");
		} else {
			*resp = r.body;
			tk_err_clear(err);
		}
		/* move the frame out of the way of the next reply only at the next
		 * call: decoded slices point into it */
		return e;
	}
}

/* Called at the start of each public call: forget the previous reply's
 * frame (its decoded body is no longer used). */
static void release(struct tkv_sched *s)
{
	uint32_t len;
	if (s->fd >= 0 && tk_frame_peek(s->in.data, s->in.len, TK_MAX_FRAME_LIMIT, &len) == TK_FRAME_READY &&
	    s->next_id)
		consume(s, len);
}

static enum tk_err do_call(struct tkv_sched *s, enum tk_msg_type type, const void *req,
			   const void **resp, struct tk_errbuf *err)
{
	const void *dummy;
	release(s);
	enum tk_err e = call(s, type, req, resp ? resp : &dummy, err);
	return e;
}

enum tk_err tkv_sched_connect(const struct tkv_sched_config *cfg, struct tkv_sched **out,
			      struct tk_errbuf *err)
{
	struct tk_errbuf local;
	if (!err)
		err = &local;
	struct tkv_sched *s = calloc(1, sizeof *s);
	if (!s)
		return tk_err_set(err, TK_E_NOMEM, "allocating a scheduler client");
	tkv_sched_config_default(&s->cfg);
	if (cfg) {
		s->cfg.connect_timeout_ms = cfg->connect_timeout_ms;
		s->cfg.timeout_ms = cfg->timeout_ms;
		s->cfg.cluster_id = cfg->cluster_id;
		if (cfg->address)
			s->cfg.address = cfg->address;
		if (cfg->role)
			s->cfg.role = cfg->role;
		if (cfg->name)
			s->cfg.name = cfg->name;
	}
	snprintf(s->address, sizeof s->address, "%s", s->cfg.address);
	snprintf(s->role, sizeof s->role, "%s", s->cfg.role);
	snprintf(s->name, sizeof s->name, "%s", s->cfg.name);
	s->cfg.address = s->address;
	s->cfg.role = s->role;
	s->cfg.name = s->name;
	s->fd = -1;
	s->max_frame = TK_MAX_FRAME_LIMIT;
	tk_buf_init(&s->in);
	tk_buf_init(&s->out);
	tk_arena_init(&s->arena);
	enum tk_err e = ensure(s, err);
	if (e) {
		tkv_sched_close(s);
		return e;
	}
	*out = s;
	return TK_OK;
}

void tkv_sched_close(struct tkv_sched *s)
{
	if (!s)
		return;
	drop(s);
	tk_buf_destroy(&s->in);
	tk_buf_destroy(&s->out);
	tk_arena_destroy(&s->arena);
	free(s);
}

uint64_t tkv_sched_cluster_id(const struct tkv_sched *s)
{
	return s->cluster_id;
}

/* ---- conversions ---- */

static struct tk_sched_region *region_in(struct tk_arena *a, const struct tkv_region *r)
{
	struct tk_sched_region *w = tk_arena_alloc(a, sizeof *w);
	struct tk_sched_peer *p = tk_arena_alloc(a, sizeof *p * (r->n_peers ? r->n_peers : 1));
	if (!w || !p)
		return NULL;
	memset(w, 0, sizeof *w);
	w->id = r->id;
	w->start = tk_slice_of(r->start_len ? (const void *)r->start : "", r->start_len);
	w->end = tk_slice_of(r->end_len ? (const void *)r->end : "", r->end_len);
	w->conf_ver = r->conf_ver;
	w->version = r->version;
	for (size_t i = 0; i < r->n_peers; i++) {
		memset(&p[i], 0, sizeof p[i]);
		p[i].id = r->peers[i].id;
		p[i].store = r->peers[i].store_id;
	}
	w->peers.v = p;
	w->peers.n = (uint32_t)r->n_peers;
	return w;
}

static size_t info_bytes(const struct tk_sched_region_info *w)
{
	return w->region->start.n + w->region->end.n + 2 + w->leader_addr.n + 1 +
	       sizeof(struct tkv_peer) * w->region->peers.n;
}

/* Copy w into *out, its bytes into the blob at *pp (advanced). */
static void info_out(const struct tk_sched_region_info *w, struct tkv_region_info *out, uint8_t **pp)
{
	uint8_t *p = *pp;
	memset(out, 0, sizeof *out);
	struct tkv_peer *peers = (struct tkv_peer *)p;
	p += sizeof(struct tkv_peer) * w->region->peers.n;
	for (uint32_t i = 0; i < w->region->peers.n; i++)
		peers[i] = (struct tkv_peer){w->region->peers.v[i].id, w->region->peers.v[i].store};
	out->region.id = w->region->id;
	out->region.conf_ver = w->region->conf_ver;
	out->region.version = w->region->version;
	out->region.peers = peers;
	out->region.n_peers = w->region->peers.n;
	out->region.start = p;
	out->region.start_len = w->region->start.n;
	if (w->region->start.n)
		memcpy(p, w->region->start.p, w->region->start.n);
	p[w->region->start.n] = 0;
	p += w->region->start.n + 1;
	out->region.end = p;
	out->region.end_len = w->region->end.n;
	if (w->region->end.n)
		memcpy(p, w->region->end.p, w->region->end.n);
	p[w->region->end.n] = 0;
	p += w->region->end.n + 1;
	out->leader_addr = (const char *)p;
	if (w->leader_addr.n)
		memcpy(p, w->leader_addr.p, w->leader_addr.n);
	p[w->leader_addr.n] = 0;
	p += w->leader_addr.n + 1;
	if (w->leader)
		out->leader = (struct tkv_peer){w->leader->id, w->leader->store};
	out->size = w->size;
	out->keys = w->keys;
	out->n_pending = w->pending.n;
	out->n_down = w->down.n;
	*pp = p;
}

/* An array of n infos and their bytes in one allocation. */
static enum tk_err infos_out(const struct tk_sched_region_info *w, size_t n,
			     struct tkv_region_info **out, struct tk_errbuf *err)
{
	size_t total = sizeof(struct tkv_region_info) * n;
	for (size_t i = 0; i < n; i++) {
		if (!w[i].region)
			return tk_err_set(err, TK_E_PROTOCOL, "region info without a region");
		total += info_bytes(&w[i]) + 8;
	}
	struct tkv_region_info *v = malloc(total ? total : 1);
	if (!v)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	uint8_t *p = (uint8_t *)(v + n);
	for (size_t i = 0; i < n; i++) {
		/* keep the peers array aligned */
		p = (uint8_t *)(((uintptr_t)p + 7) & ~(uintptr_t)7);
		info_out(&w[i], &v[i], &p);
	}
	*out = v;
	return TK_OK;
}

static void store_out(const struct tk_sched_store *w, struct tkv_store_info *o)
{
	memset(o, 0, sizeof *o);
	o->id = w->id;
	snprintf(o->addr, sizeof o->addr, "%.*s", (int)w->addr.n, (const char *)w->addr.p);
	snprintf(o->state, sizeof o->state, "%.*s", (int)w->state.n, (const char *)w->state.p);
	o->capacity = w->capacity;
	o->available = w->available;
	o->region_count = w->region_count;
	o->leader_count = w->leader_count;
	o->region_size = w->region_size;
	o->hb_age_ms = w->hb_age_ms;
}

/* ---- calls ---- */

enum tk_err tkv_sched_is_bootstrapped(struct tkv_sched *s, bool *bootstrapped,
				      struct tk_errbuf *err)
{
	struct tk_empty req = {0};
	const struct tk_is_bootstrapped_resp *r;
	enum tk_err e = do_call(s, TK_MSG_is_bootstrapped, &req, (const void **)&r, err);
	if (!e)
		*bootstrapped = r->bootstrapped;
	return e;
}

enum tk_err tkv_sched_bootstrap(struct tkv_sched *s, uint64_t store_id, const char *store_addr,
				const struct tkv_region *first, struct tk_errbuf *err)
{
	tk_arena_reset(&s->arena);
	struct tk_sched_store st;
	memset(&st, 0, sizeof st);
	st.id = store_id;
	st.addr = tk_slice_str(store_addr);
	struct tk_bootstrap_req req = {.cluster = s->cfg.cluster_id, .store = &st,
				       .region = region_in(&s->arena, first)};
	if (!req.region)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	return do_call(s, TK_MSG_bootstrap, &req, NULL, err);
}

enum tk_err tkv_sched_alloc_ids(struct tkv_sched *s, uint64_t count, uint64_t *first,
				struct tk_errbuf *err)
{
	struct tk_alloc_id_req req = {.count = count};
	const struct tk_alloc_id_resp *r;
	enum tk_err e = do_call(s, TK_MSG_alloc_id, &req, (const void **)&r, err);
	if (!e)
		*first = r->id;
	return e;
}

enum tk_err tkv_sched_get_ts(struct tkv_sched *s, uint64_t count, uint64_t *first,
			     struct tk_errbuf *err)
{
	struct tk_get_ts_req req = {.count = count};
	const struct tk_get_ts_resp *r;
	enum tk_err e = do_call(s, TK_MSG_get_ts, &req, (const void **)&r, err);
	if (!e)
		*first = r->ts;
	return e;
}

enum tk_err tkv_sched_put_store(struct tkv_sched *s, uint64_t id, const char *addr,
				struct tk_errbuf *err)
{
	struct tk_sched_store st;
	memset(&st, 0, sizeof st);
	st.id = id;
	st.addr = tk_slice_str(addr);
	struct tk_put_store_req req = {.cluster = s->cfg.cluster_id, .store = &st};
	return do_call(s, TK_MSG_put_store, &req, NULL, err);
}

enum tk_err tkv_sched_get_store(struct tkv_sched *s, uint64_t id, struct tkv_store_info *out,
				struct tk_errbuf *err)
{
	struct tk_get_store_req req = {.id = id};
	const struct tk_get_store_resp *r;
	enum tk_err e = do_call(s, TK_MSG_get_store, &req, (const void **)&r, err);
	if (!e && !r->store)
		e = tk_err_set(err, TK_E_PROTOCOL, "get_store reply without a store");
	if (!e)
		store_out(r->store, out);
	return e;
}

enum tk_err tkv_sched_get_all_stores(struct tkv_sched *s, bool no_tombstones,
				     struct tkv_store_info **out, size_t *n, struct tk_errbuf *err)
{
	struct tk_get_all_stores_req req = {.no_tombstones = no_tombstones};
	const struct tk_get_all_stores_resp *r;
	*out = NULL;
	*n = 0;
	enum tk_err e = do_call(s, TK_MSG_get_all_stores, &req, (const void **)&r, err);
	if (e)
		return e;
	struct tkv_store_info *v = malloc(sizeof *v * (r->stores.n ? r->stores.n : 1));
	if (!v)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < r->stores.n; i++)
		store_out(&r->stores.v[i], &v[i]);
	*out = v;
	*n = r->stores.n;
	return TK_OK;
}

enum tk_err tkv_sched_store_heartbeat(struct tkv_sched *s, const struct tkv_store_stats *st,
				      struct tk_errbuf *err)
{
	struct tk_store_heartbeat_req req;
	memset(&req, 0, sizeof req);
	req.cluster = s->cfg.cluster_id;
	req.store = st->store_id;
	req.capacity = st->capacity;
	req.available = st->available;
	req.used = st->used;
	req.regions = st->regions;
	req.sending_snaps = st->sending_snaps;
	req.receiving_snaps = st->receiving_snaps;
	req.applying_snaps = st->applying_snaps;
	req.busy = st->busy;
	return do_call(s, TK_MSG_store_heartbeat, &req, NULL, err);
}

static enum tk_err kind_of(struct tk_slice k, enum tkv_step_kind *out)
{
	if (tk_slice_eq(k, tk_slice_str("add_peer")))
		*out = TKV_STEP_ADD_PEER;
	else if (tk_slice_eq(k, tk_slice_str("remove_peer")))
		*out = TKV_STEP_REMOVE_PEER;
	else if (tk_slice_eq(k, tk_slice_str("transfer_leader")))
		*out = TKV_STEP_TRANSFER_LEADER;
	else
		return TK_E_PROTOCOL;
	return TK_OK;
}

/* The wire body of one heartbeat, built in the arena. */
static bool hb_in(struct tkv_sched *s, const struct tkv_region_hb *hb,
		  struct tk_region_heartbeat_req *req)
{
	memset(req, 0, sizeof *req);
	struct tk_sched_peer *leader = tk_arena_alloc(&s->arena, sizeof *leader);
	if (!leader)
		return false;
	memset(leader, 0, sizeof *leader);
	leader->id = hb->leader.id;
	leader->store = hb->leader.store_id;
	req->cluster = s->cfg.cluster_id;
	req->region = region_in(&s->arena, &hb->region);
	req->leader = leader;
	req->pending = (struct tk_u64list){(uint64_t *)hb->pending, (uint32_t)hb->n_pending};
	struct tk_sched_down_peer *down = NULL;
	if (hb->n_down) {
		down = tk_arena_alloc(&s->arena, sizeof *down * hb->n_down);
		if (!down)
			return false;
		for (size_t i = 0; i < hb->n_down; i++) {
			memset(&down[i], 0, sizeof down[i]);
			down[i].peer = hb->down[i].id;
			down[i].secs = hb->down[i].store_id;
		}
	}
	req->down = (struct tk_sched_down_peer_list){down, (uint32_t)hb->n_down};
	req->size = hb->size;
	req->keys = hb->keys;
	return req->region != NULL;
}

static enum tk_err step_out(const struct tk_sched_step *w, struct tkv_op_step *step,
			    struct tk_errbuf *err)
{
	if (kind_of(w->kind, &step->kind))
		return tk_err_set(err, TK_E_PROTOCOL, "unknown step kind '%.*s'", (int)w->kind.n,
				  (const char *)w->kind.p);
	step->peer_id = w->peer;
	step->store_id = w->store;
	return TK_OK;
}

enum tk_err tkv_sched_region_heartbeat(struct tkv_sched *s, const struct tkv_region_hb *hb,
				       struct tkv_op_step *step, bool *has_step,
				       struct tk_errbuf *err)
{
	*has_step = false;
	release(s);
	tk_arena_reset(&s->arena);
	struct tk_region_heartbeat_req req;
	if (!hb_in(s, hb, &req))
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	const struct tk_region_heartbeat_resp *r;
	enum tk_err e = call(s, TK_MSG_region_heartbeat, &req, (const void **)&r, err);
	if (e || !r->step)
		return e;
	if ((e = step_out(r->step, step, err)))
		return e;
	*has_step = true;
	return TK_OK;
}

enum tk_err tkv_sched_region_heartbeats(struct tkv_sched *s, const struct tkv_region_hb *hbs,
					size_t n, struct tkv_region_hb_result *results,
					struct tk_errbuf *err)
{
	if (n > 10000)
		return tk_err_set(err, TK_E_TOO_LARGE, "%zu heartbeats in one batch, at most 10000", n);
	release(s);
	tk_arena_reset(&s->arena);
	struct tk_region_heartbeat_req *beats = tk_arena_alloc(&s->arena, sizeof *beats * (n ? n : 1));
	if (!beats)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!hb_in(s, &hbs[i], &beats[i]))
			return tk_err_set(err, TK_E_NOMEM, "out of memory");
	struct tk_region_heartbeats_req req = {.cluster = s->cfg.cluster_id,
					       .beats = {beats, (uint32_t)n}};
	const struct tk_region_heartbeats_resp *r;
	enum tk_err e = call(s, TK_MSG_region_heartbeats, &req, (const void **)&r, err);
	if (e)
		return e;
	if (r->results.n != n)
		return tk_err_set(err, TK_E_PROTOCOL, "%u results for %zu heartbeats", r->results.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct tk_sched_hb_result *w = &r->results.v[i];
		struct tkv_region_hb_result *o = &results[i];
		memset(o, 0, sizeof *o);
		o->region_id = w->region;
		if (w->error) {
			int known;
			o->code = tk_err_from_name((const char *)w->error->code.p, w->error->code.n, &known);
			snprintf(o->message, sizeof o->message, "%.*s", (int)w->error->msg.n,
				 (const char *)w->error->msg.p);
		}
		if (w->step) {
			if ((e = step_out(w->step, &o->step, err)))
				return e;
			o->has_step = true;
		}
	}
	return TK_OK;
}

static enum tk_err one_region(struct tkv_sched *s, enum tk_msg_type type, const void *req,
			      struct tkv_region_info **out, struct tk_errbuf *err)
{
	const struct tk_sched_region_info *r;
	*out = NULL;
	enum tk_err e = do_call(s, type, req, (const void **)&r, err);
	if (e)
		return e;
	return infos_out(r, 1, out, err);
}

enum tk_err tkv_sched_get_region(struct tkv_sched *s, const void *key, size_t key_len,
				 struct tkv_region_info **out, struct tk_errbuf *err)
{
	struct tk_get_region_req req = {.key = tk_slice_of(key_len ? key : "", key_len)};
	return one_region(s, TK_MSG_get_region, &req, out, err);
}

enum tk_err tkv_sched_get_region_by_id(struct tkv_sched *s, uint64_t id,
				       struct tkv_region_info **out, struct tk_errbuf *err)
{
	struct tk_get_region_by_id_req req = {.id = id};
	return one_region(s, TK_MSG_get_region_by_id, &req, out, err);
}

enum tk_err tkv_sched_scan_regions(struct tkv_sched *s, const void *start, size_t start_len,
				   const void *end, size_t end_len, uint32_t limit,
				   struct tkv_region_info **out, size_t *n, bool *more,
				   struct tk_errbuf *err)
{
	struct tk_scan_regions_req req = {.start = tk_slice_of(start_len ? start : "", start_len),
					  .limit = limit};
	if (end && end_len)
		req.end = tk_slice_of(end, end_len);
	const struct tk_scan_regions_resp *r;
	*out = NULL;
	*n = 0;
	enum tk_err e = do_call(s, TK_MSG_scan_regions, &req, (const void **)&r, err);
	if (e)
		return e;
	if (more)
		*more = r->more;
	if ((e = infos_out(r->regions.v, r->regions.n, out, err)))
		return e;
	*n = r->regions.n;
	return TK_OK;
}

enum tk_err tkv_sched_ask_split(struct tkv_sched *s, const struct tkv_region *rg,
				uint64_t *new_region, uint64_t *new_peers, struct tk_errbuf *err)
{
	release(s);
	tk_arena_reset(&s->arena);
	struct tk_ask_split_req req = {.region = region_in(&s->arena, rg)};
	if (!req.region)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	const struct tk_ask_split_resp *r;
	enum tk_err e = call(s, TK_MSG_ask_split, &req, (const void **)&r, err);
	if (e)
		return e;
	if (r->new_peers.n != rg->n_peers)
		return tk_err_set(err, TK_E_PROTOCOL, "ask_split: %u peer ids for %zu peers",
				  r->new_peers.n, rg->n_peers);
	*new_region = r->new_region;
	memcpy(new_peers, r->new_peers.v, sizeof *new_peers * rg->n_peers);
	return TK_OK;
}

enum tk_err tkv_sched_store_offline(struct tkv_sched *s, uint64_t id, bool cancel,
				    struct tk_errbuf *err)
{
	struct tk_store_offline_req req = {.id = id, .cancel = cancel};
	return do_call(s, TK_MSG_store_offline, &req, NULL, err);
}

enum tk_err tkv_sched_list_operators(struct tkv_sched *s, struct tkv_op_info **out, size_t *n,
				     struct tk_errbuf *err)
{
	struct tk_empty req = {0};
	const struct tk_list_operators_resp *r;
	*out = NULL;
	*n = 0;
	enum tk_err e = do_call(s, TK_MSG_list_operators, &req, (const void **)&r, err);
	if (e)
		return e;
	struct tkv_op_info *v = calloc(r->ops.n ? r->ops.n : 1, sizeof *v);
	if (!v)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < r->ops.n; i++) {
		const struct tk_sched_op *o = &r->ops.v[i];
		v[i].region_id = o->region;
		snprintf(v[i].kind, sizeof v[i].kind, "%.*s", (int)o->kind.n, (const char *)o->kind.p);
		snprintf(v[i].desc, sizeof v[i].desc, "%.*s", (int)o->desc.n, (const char *)o->desc.p);
		for (uint32_t j = 0; j < o->steps.n && j < 8; j++) {
			if (kind_of(o->steps.v[j].kind, &v[i].steps[j].kind)) {
				free(v);
				return tk_err_set(err, TK_E_PROTOCOL, "unknown step kind");
			}
			v[i].steps[j].peer_id = o->steps.v[j].peer;
			v[i].steps[j].store_id = o->steps.v[j].store;
			v[i].n_steps = j + 1;
		}
		v[i].cur = o->cur;
		v[i].age_ms = o->age_ms;
	}
	*out = v;
	*n = r->ops.n;
	return TK_OK;
}

/* A NULL-terminated array of C strings in one allocation. */
static char **strv(const struct tk_binlist *l)
{
	size_t total = sizeof(char *) * (l->n + 1);
	for (uint32_t i = 0; i < l->n; i++)
		total += l->v[i].n + 1;
	char **v = malloc(total);
	if (!v)
		return NULL;
	char *p = (char *)(v + l->n + 1);
	for (uint32_t i = 0; i < l->n; i++) {
		v[i] = p;
		if (l->v[i].n)
			memcpy(p, l->v[i].p, l->v[i].n);
		p[l->v[i].n] = 0;
		p += l->v[i].n + 1;
	}
	v[l->n] = NULL;
	return v;
}

enum tk_err tkv_sched_list_schedulers(struct tkv_sched *s, char ***active, char ***available,
				      struct tk_errbuf *err)
{
	struct tk_empty req = {0};
	const struct tk_list_schedulers_resp *r;
	*active = *available = NULL;
	enum tk_err e = do_call(s, TK_MSG_list_schedulers, &req, (const void **)&r, err);
	if (e)
		return e;
	*active = strv(&r->active);
	*available = strv(&r->available);
	if (!*active || !*available) {
		free(*active);
		free(*available);
		*active = *available = NULL;
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	}
	return TK_OK;
}

enum tk_err tkv_sched_add_scheduler(struct tkv_sched *s, const char *name, struct tk_errbuf *err)
{
	struct tk_scheduler_name_req req = {.name = tk_slice_str(name)};
	return do_call(s, TK_MSG_add_scheduler, &req, NULL, err);
}

enum tk_err tkv_sched_remove_scheduler(struct tkv_sched *s, const char *name,
				       struct tk_errbuf *err)
{
	struct tk_scheduler_name_req req = {.name = tk_slice_str(name)};
	return do_call(s, TK_MSG_remove_scheduler, &req, NULL, err);
}

enum tk_err tkv_sched_get_config(struct tkv_sched *s, const char *name, struct tkv_setting **out,
				 size_t *n, struct tk_errbuf *err)
{
	struct tk_get_config_req req = {.name = name ? tk_slice_str(name) : tk_slice_of(NULL, 0)};
	const struct tk_get_config_resp *r;
	*out = NULL;
	*n = 0;
	enum tk_err e = do_call(s, TK_MSG_get_config, &req, (const void **)&r, err);
	if (e)
		return e;
	struct tkv_setting *v = calloc(r->settings.n ? r->settings.n : 1, sizeof *v);
	if (!v)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < r->settings.n; i++) {
		const struct tk_kv *kv = &r->settings.v[i];
		snprintf(v[i].name, sizeof v[i].name, "%.*s", (int)kv->k.n, (const char *)kv->k.p);
		snprintf(v[i].value, sizeof v[i].value, "%.*s", (int)kv->v.n, (const char *)kv->v.p);
	}
	*out = v;
	*n = r->settings.n;
	return TK_OK;
}

enum tk_err tkv_sched_set_config(struct tkv_sched *s, const char *name, const char *value,
				 struct tk_errbuf *err)
{
	struct tk_set_config_req req = {.name = tk_slice_str(name), .value = tk_slice_str(value)};
	return do_call(s, TK_MSG_set_config, &req, NULL, err);
}
