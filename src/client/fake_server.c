/* Test-only fake store: see fake_server.h. */
#include "client/fake_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "codec/codec.h"
#include "codec/json.h"
#include "util/arena.h"

struct entry {
	struct tk_buf k, v;
};

struct tkv_fake {
	enum tkv_fake_kind kind;
	int lfd;
	char addr[64];
	bool started;
	pthread_t th;
	struct tk_buf raw;
	uint64_t next_id, next_ts;
	struct {
		uint64_t id;
		char addr[64];
	} stores[16];
	size_t n_stores;
	atomic_int accepts;
	struct entry *map; /* sorted by key */
	size_t n, cap;
	/* connection threads (joined at stop) and the lock over everything */
	pthread_mutex_t mu;
	pthread_t conn_th[64];
	int conn_fd[64];
	size_t n_conns;
	/* cluster mode */
	bool cluster;
	uint64_t store_id;
	struct fake_region {
		struct tkv_fake_region r; /* start, end, leader_addr: the strings below */
		char start[64], end[64], leader_addr[64];
	} regions[8];
	size_t n_regions;
	unsigned script_n[3], script_arg[3];
	unsigned counts[TK_MSG__COUNT + 1];
	struct tk_buf txn_keys[2]; /* prewrite, commit */
};

struct conn_arg {
	struct tkv_fake *f;
	int fd;
};

static void die(const char *what)
{
	perror(what);
	abort();
}

/* Index of the first entry >= key. */
static size_t lower_bound(const struct tkv_fake *f, struct tk_slice key)
{
	size_t lo = 0, hi = f->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (tk_slice_cmp(tk_buf_slice(&f->map[mid].k), key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct entry *find(struct tkv_fake *f, struct tk_slice key)
{
	size_t i = lower_bound(f, key);
	return i < f->n && tk_slice_eq(tk_buf_slice(&f->map[i].k), key) ? &f->map[i] : NULL;
}

static void put(struct tkv_fake *f, struct tk_slice k, struct tk_slice v)
{
	struct entry *e = find(f, k);
	if (!e) {
		if (f->n == f->cap) {
			f->cap = f->cap ? f->cap * 2 : 16;
			f->map = realloc(f->map, f->cap * sizeof *f->map);
			if (!f->map)
				die("realloc");
		}
		size_t i = lower_bound(f, k);
		memmove(&f->map[i + 1], &f->map[i], (f->n - i) * sizeof *f->map);
		f->n++;
		e = &f->map[i];
		tk_buf_init(&e->k);
		tk_buf_init(&e->v);
		tk_buf_append(&e->k, k.p, k.n);
	}
	tk_buf_reset(&e->v);
	tk_buf_append(&e->v, v.p, v.n);
}

static void del(struct tkv_fake *f, struct tk_slice k)
{
	struct entry *e = find(f, k);
	if (!e)
		return;
	tk_buf_destroy(&e->k);
	tk_buf_destroy(&e->v);
	size_t i = (size_t)(e - f->map);
	memmove(&f->map[i], &f->map[i + 1], (f->n - i - 1) * sizeof *f->map);
	f->n--;
}

static bool read_full(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		ssize_t r = read(fd, b, n);
		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

static bool read_frame(int fd, struct tk_arena *ar, struct tk_msg *m)
{
	uint8_t hdr[4];
	if (!read_full(fd, hdr, 4))
		return false;
	uint32_t n = tk_get_be32(hdr);
	uint8_t *p = tk_arena_alloc(ar, n + 1);
	if (!p || !read_full(fd, p, n))
		return false;
	struct tk_errbuf eb;
	return tk_msg_decode(tk_slice_of(p, n), ar, m, &eb) == TK_OK;
}

static void send_msg(int fd, enum tk_msg_type type, uint64_t id, enum tk_msg_kind kind,
		     const void *body)
{
	if (fd < 0)
		return; /* muted: applied, never answered */
	struct tk_buf out;
	tk_buf_init(&out);
	struct tk_msg m = {.type = type, .id = id, .kind = kind, .body = (void *)body};
	if (tk_msg_encode_frame(&out, &m) == TK_OK && write(fd, out.data, out.len) < 0)
		perror("fake server: write");
	tk_buf_destroy(&out);
}

static void send_err(int fd, const struct tk_msg *m, const char *code, const char *msg)
{
	struct tk_error e = {.code = tk_slice_str(code), .msg = tk_slice_str(msg)};
	send_msg(fd, m->type, m->id, TK_ERROR, &e);
}

/* Region errors by the key of a raw_get (fake_server.h), written as JSON
 * so that one can carry what our encoder never writes: fields from a newer
 * server and malformed ones. */
#define FAKE_REGION2 "{\"id\":2,\"start\":\"\",\"end\":\"m\",\"conf_ver\":1,\"version\":2," \
	"\"peers\":[{\"id\":4,\"store\":1},{\"id\":5,\"store\":2},{\"id\":6,\"store\":3}]}"
#define FAKE_REGION8 "{\"id\":8,\"start\":\"m\",\"end\":\"\",\"conf_ver\":1,\"version\":2," \
	"\"peers\":[{\"id\":9,\"store\":1},{\"id\":10,\"store\":2},{\"id\":11,\"store\":3}]}"
static const struct {
	const char *key, *error;
} region_errors[] = {
    {"not_leader", "{\"code\":\"NOT_LEADER\",\"msg\":\"region 2: not leader; the leader is store 3 "
                   "(peer 6) at 127.0.0.1:20162\",\"region\":2,\"leader\":{\"id\":6,\"store\":3},"
                   "\"leader_addr\":\"127.0.0.1:20162\"}"},
    {"no_leader", "{\"code\":\"NOT_LEADER\",\"msg\":\"region 2: not leader; the leader is not "
                  "known\",\"region\":2}"},
    {"epoch", "{\"code\":\"EPOCH_NOT_MATCH\",\"msg\":\"region 2: epoch does not match\",\"region\":2,"
              "\"regions\":[" FAKE_REGION2 "," FAKE_REGION8 "]}"},
    {"no_region", "{\"code\":\"REGION_NOT_FOUND\",\"msg\":\"region 9 is not on this store\","
                  "\"region\":9}"},
    {"zebra", "{\"code\":\"KEY_NOT_IN_REGION\",\"msg\":\"key zebra is not in region 2 [-inf, m)\","
              "\"region\":2,\"regions\":[" FAKE_REGION2 "],\"key\":\"zebra\"}"},
    {"stale", "{\"code\":\"STALE_COMMAND\",\"msg\":\"region 2: stale command\",\"region\":2}"},
    {"busy", "{\"code\":\"SERVER_IS_BUSY\",\"msg\":\"region 2: server is busy\",\"region\":2,"
             "\"reason\":\"apply_queue_full\",\"backoff_ms\":20}"},
    {"future", "{\"code\":\"NOT_LEADER\",\"msg\":\"m\",\"region\":2,\"term\":{\"x\":[1]},"
               "\"leader\":{\"id\":6,\"store\":3,\"role\":\"voter\"},\"leader_addr\":7,"
               "\"regions\":[{\"id\":\"two\"}]}"},
};

/* Answer with the scripted region error of key; false when key has none. */
static bool region_error(int fd, const struct tk_msg *m, struct tk_slice key)
{
	for (size_t i = 0; i < sizeof region_errors / sizeof region_errors[0]; i++) {
		if (!tk_slice_eq(key, tk_slice_str(region_errors[i].key)))
			continue;
		if (fd < 0)
			return true;
		char json[2048];
		snprintf(json, sizeof json, "{\"t\":\"%s\",\"id\":%llu,\"e\":%s}",
		         tk_msg_defs[m->type].name, (unsigned long long)m->id, region_errors[i].error);
		struct tk_buf out;
		tk_buf_init(&out);
		tk_buf_append(&out, "\0\0\0\0", 4);
		size_t used;
		struct tk_errbuf eb;
		if (tk_json_to_msgpack(tk_slice_str(json), &used, &out, &eb) != TK_OK)
			abort(); /* a typo in the table above */
		tk_put_be32(out.data, (uint32_t)(out.len - 4));
		if (write(fd, out.data, out.len) < 0)
			perror("fake server: write");
		tk_buf_destroy(&out);
		return true;
	}
	return false;
}

static void scan(struct tkv_fake *f, int fd, const struct tk_msg *m, struct tk_arena *ar)
{
	const struct tk_raw_scan_req *q = m->body;
	size_t lo = lower_bound(f, q->start);
	size_t hi = q->end.p ? lower_bound(f, q->end) : f->n;
	size_t limit = q->limit ? q->limit : 100;
	size_t n = hi > lo ? hi - lo : 0;
	bool more = n > limit;
	if (more)
		n = limit;
	struct tk_kv *kvs = n ? tk_arena_alloc(ar, n * sizeof *kvs) : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct entry *e = &f->map[q->reverse ? hi - 1 - i : lo + i];
		kvs[i].k = tk_buf_slice(&e->k);
		if (!kvs[i].k.p)
			kvs[i].k = tk_slice_of("", 0);
		kvs[i].v = q->keys_only ? (struct tk_slice){NULL, 0}
					: tk_slice_of(e->v.len ? (void *)e->v.data : "", e->v.len);
	}
	struct tk_raw_scan_resp r = {.kvs = {kvs, (uint32_t)n}, .more = more};
	send_msg(fd, m->type, m->id, TK_RESPONSE, &r);
}

static void batch_get(struct tkv_fake *f, int fd, const struct tk_msg *m, struct tk_arena *ar)
{
	const struct tk_raw_batch_get_req *q = m->body;
	struct tk_kv *kvs = q->keys.n ? tk_arena_alloc(ar, q->keys.n * sizeof *kvs) : NULL;
	uint32_t n = 0;
	for (uint32_t i = 0; i < q->keys.n; i++) {
		struct entry *e = find(f, q->keys.v[i]);
		if (!e)
			continue;
		kvs[n].k = q->keys.v[i];
		kvs[n].v = tk_slice_of(e->v.len ? (void *)e->v.data : "", e->v.len);
		n++;
	}
	struct tk_raw_batch_get_resp r = {.kvs = {kvs, n}};
	send_msg(fd, m->type, m->id, TK_RESPONSE, &r);
}

/* ---- cluster mode ---- */

static struct tk_sched_region *wire_region(struct tk_arena *ar, const struct tkv_fake_region *r)
{
	struct tk_sched_region *w = tk_arena_alloc(ar, sizeof *w);
	struct tk_sched_peer *p = tk_arena_alloc(ar, sizeof *p * 3);
	memset(w, 0, sizeof *w);
	w->id = r->id;
	w->start = tk_slice_of(r->start, strlen(r->start));
	w->end = tk_slice_of(r->end, strlen(r->end));
	w->conf_ver = r->conf_ver;
	w->version = r->version;
	for (size_t i = 0; i < r->n_peers; i++)
		p[i] = (struct tk_sched_peer){.id = r->peer_ids[i], .store = r->store_ids[i]};
	w->peers = (struct tk_sched_peer_list){p, (uint32_t)r->n_peers};
	return w;
}

static bool in_region(const struct tkv_fake_region *r, struct tk_slice k)
{
	if (tk_slice_cmp(k, tk_slice_str(r->start)) < 0)
		return false;
	return !*r->end || tk_slice_cmp(k, tk_slice_str(r->end)) < 0;
}

static const struct tkv_fake_region *region_of_key(struct tkv_fake *f, struct tk_slice k)
{
	for (size_t i = 0; i < f->n_regions; i++)
		if (in_region(&f->regions[i].r, k))
			return &f->regions[i].r;
	return NULL;
}

static uint64_t leader_peer(const struct tkv_fake_region *r)
{
	for (size_t i = 0; i < r->n_peers; i++)
		if (r->store_ids[i] == r->leader_store)
			return r->peer_ids[i];
	return 0;
}

/* The ctx and the keys of a KV request; false for other messages. */
static bool kv_request(const struct tk_msg *m, const struct tk_region_ctx **ctx,
                       struct tk_slice *keys, size_t cap, size_t *n, bool *write)
{
	*n = 0;
	*write = true;
	switch (m->type) {
#define ONE(T, field, w)                                                                   \
	case TK_MSG_##T: {                                                                 \
		const struct tk_##T##_req *q = m->body;                                    \
		*ctx = q->ctx;                                                             \
		keys[(*n)++] = q->field;                                                   \
		*write = w;                                                                \
		return true;                                                               \
	}
	ONE(raw_get, key, false)
	ONE(raw_put, key, true)
	ONE(raw_delete, key, true)
	ONE(raw_cas, key, true)
	ONE(raw_scan, start, false)
	ONE(kv_get, key, false)
	ONE(kv_scan, start, false)
	ONE(kv_check_txn_status, primary, true)
#undef ONE
#define LIST(T, field, w)                                                                  \
	case TK_MSG_##T: {                                                                 \
		const struct tk_##T##_req *q = m->body;                                    \
		*ctx = q->ctx;                                                             \
		for (uint32_t i = 0; i < q->field.n && *n < cap; i++)                      \
			keys[(*n)++] = q->field.v[i];                                      \
		*write = w;                                                                \
		return true;                                                               \
	}
	LIST(raw_batch_get, keys, false)
	LIST(raw_batch_delete, keys, true)
	LIST(kv_commit, keys, true)
	LIST(kv_batch_rollback, keys, true)
#undef LIST
	case TK_MSG_raw_batch_put: {
		const struct tk_raw_batch_put_req *q = m->body;
		*ctx = q->ctx;
		for (uint32_t i = 0; i < q->kvs.n && *n < cap; i++)
			keys[(*n)++] = q->kvs.v[i].k;
		return true;
	}
	case TK_MSG_kv_prewrite: {
		const struct tk_kv_prewrite_req *q = m->body;
		*ctx = q->ctx;
		for (uint32_t i = 0; i < q->mutations.n && *n < cap; i++)
			keys[(*n)++] = q->mutations.v[i].key;
		return true;
	}
	case TK_MSG_kv_resolve_lock: {
		const struct tk_kv_resolve_lock_req *q = m->body;
		*ctx = q->ctx;
		return true;
	}
	case TK_MSG_kv_scan_lock: {
		const struct tk_kv_scan_lock_req *q = m->body;
		*ctx = q->ctx;
		keys[(*n)++] = q->start;
		*write = false;
		return true;
	}
	case TK_MSG_kv_gc: {
		const struct tk_kv_gc_req *q = m->body;
		*ctx = q->ctx;
		return true;
	}
	default: return false;
	}
}

static void send_region_error(int fd, const struct tk_msg *m, struct tk_error *e, const char *code)
{
	e->code = tk_slice_str(code);
	e->msg = tk_slice_str(code);
	send_msg(fd, m->type, m->id, TK_ERROR, e);
}

/* The region checks of cluster mode; true when the request was answered
 * (refused), false when it is to be served. */
static bool cluster_refuses(struct tkv_fake *f, int fd, const struct tk_msg *m, struct tk_arena *ar)
{
	const struct tk_region_ctx *ctx = NULL;
	struct tk_slice keys[64];
	size_t n;
	bool write;
	if (!f->cluster || !kv_request(m, &ctx, keys, 64, &n, &write))
		return false;
	struct tk_error e;
	memset(&e, 0, sizeof e);
	const struct tkv_fake_region *r = NULL;
	if (ctx) {
		e.region = ctx->region;
		if (ctx->store && ctx->store != f->store_id) {
			send_region_error(fd, m, &e, "STORE_NOT_MATCH");
			return true;
		}
		for (size_t i = 0; i < f->n_regions; i++)
			if (f->regions[i].r.id == ctx->region)
				r = &f->regions[i].r;
		if (!r) {
			send_region_error(fd, m, &e, "REGION_NOT_FOUND");
			return true;
		}
		if (ctx->conf_ver != r->conf_ver || ctx->version != r->version) {
			struct tk_sched_region *rs = tk_arena_alloc(ar, sizeof *rs * f->n_regions);
			for (size_t i = 0; i < f->n_regions; i++)
				rs[i] = *wire_region(ar, &f->regions[i].r);
			e.regions = (struct tk_sched_region_list){rs, (uint32_t)f->n_regions};
			send_region_error(fd, m, &e, "EPOCH_NOT_MATCH");
			return true;
		}
	} else {
		r = n ? region_of_key(f, keys[0]) : NULL;
		if (!r) {
			send_region_error(fd, m, &e, "REGION_NOT_FOUND");
			return true;
		}
		e.region = r->id;
	}
	if (r->leader_store != f->store_id) {
		struct tk_sched_peer lp = {.id = leader_peer(r), .store = r->leader_store};
		if (r->leader_store)
			e.leader = &lp;
		e.leader_addr = tk_slice_str(r->leader_addr);
		send_region_error(fd, m, &e, "NOT_LEADER");
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		if (in_region(r, keys[i]))
			continue;
		e.regions = (struct tk_sched_region_list){wire_region(ar, r), 1};
		e.key = keys[i];
		send_region_error(fd, m, &e, "KEY_NOT_IN_REGION");
		return true;
	}
	if (f->script_n[TKV_FAKE_BUSY]) {
		f->script_n[TKV_FAKE_BUSY]--;
		e.reason = tk_slice_str("proposal_queue_full");
		e.backoff_ms = f->script_arg[TKV_FAKE_BUSY];
		send_region_error(fd, m, &e, "SERVER_IS_BUSY");
		return true;
	}
	return false;
}

static void serve_one(struct tkv_fake *f, int fd, const struct tk_msg *m, struct tk_arena *ar);

/* Serve one connection; returns when the client goes away (or on "drop"). */
static void serve(struct tkv_fake *f, int fd)
{
	struct tk_arena ar;
	tk_arena_init(&ar);
	struct tk_msg m;
	while (tk_arena_reset(&ar), read_frame(fd, &ar, &m)) {
		pthread_mutex_lock(&f->mu);
		f->counts[m.type]++;
		bool mute = false;
		if (cluster_refuses(f, fd, &m, &ar)) {
			pthread_mutex_unlock(&f->mu);
			continue;
		}
		if (f->cluster) {
			const struct tk_region_ctx *ctx;
			struct tk_slice keys[64];
			size_t nk;
			bool write;
			if (kv_request(&m, &ctx, keys, 64, &nk, &write) && !write &&
			    f->script_n[TKV_FAKE_DROP_READS]) {
				f->script_n[TKV_FAKE_DROP_READS]--;
				pthread_mutex_unlock(&f->mu);
				goto out;
			}
			if (kv_request(&m, &ctx, keys, 64, &nk, &write) && write &&
			    f->script_n[TKV_FAKE_MUTE_WRITES]) {
				f->script_n[TKV_FAKE_MUTE_WRITES]--;
				mute = true;
			}
			if (m.type == TK_MSG_kv_prewrite || m.type == TK_MSG_kv_commit) {
				struct tk_buf *b = &f->txn_keys[m.type == TK_MSG_kv_commit];
				for (size_t i = 0; i < nk; i++) {
					tk_buf_append(b, keys[i].p, keys[i].n);
					tk_buf_append(b, ",", 1);
				}
			}
		}
		serve_one(f, mute ? -1 : fd, &m, &ar);
		pthread_mutex_unlock(&f->mu);
		if (m.type == TK_MSG_raw_get && !mute &&
		    tk_slice_eq(((struct tk_raw_get_req *)m.body)->key, tk_slice_str("drop")))
			goto out;
	}
out:
	tk_arena_destroy(&ar);
}

/* Answer one request on fd (-1: apply it, answer nothing). */
static void serve_one(struct tkv_fake *f, int fd, const struct tk_msg *mp, struct tk_arena *ar)
{
	struct tk_msg m = *mp;
	{
		switch (m.type) {
		case TK_MSG_hello: {
			struct tk_hello_resp r = {.proto = TK_PROTO_VERSION,
						  .role = tk_slice_str("store"),
						  .server = tk_slice_str("fake 1"),
						  .max_frame = 1 << 20,
						  .store_id = f->store_id};
			send_msg(fd, m.type, m.id, TK_RESPONSE, &r);
			break;
		}
		case TK_MSG_raw_get: {
			struct tk_slice k = ((struct tk_raw_get_req *)m.body)->key;
			if (tk_slice_eq(k, tk_slice_str("slow")))
				break;
			if (tk_slice_eq(k, tk_slice_str("drop")))
				break; /* serve() closes the connection */
			if (region_error(fd, &m, k))
				break;
			struct entry *e = find(f, k);
			struct tk_raw_get_resp r = {.value = {NULL, 0}};
			if (e)
				r.value = tk_slice_of(e->v.len ? (void *)e->v.data : "", e->v.len);
			send_msg(fd, m.type, m.id, TK_RESPONSE, &r);
			break;
		}
		case TK_MSG_raw_put: {
			const struct tk_raw_put_req *q = m.body;
			if (q->key.n == 0) {
				send_err(fd, &m, "BAD_REQUEST", "key must not be empty");
				break;
			}
			put(f, q->key, q->value);
			send_msg(fd, m.type, m.id, TK_RESPONSE, NULL);
			break;
		}
		case TK_MSG_raw_delete: {
			struct tk_slice k = ((struct tk_raw_delete_req *)m.body)->key;
			if (tk_slice_eq(k, tk_slice_str("nospace"))) {
				send_err(fd, &m, "NO_SPACE", "disk full");
				break;
			}
			del(f, k);
			send_msg(fd, m.type, m.id, TK_RESPONSE, NULL);
			break;
		}
		case TK_MSG_raw_cas: {
			/* the fake's own compare (the daemon's is raftstore/cas.c) */
			const struct tk_raw_cas_req *q = m.body;
			struct entry *e = find(f, q->key);
			struct tk_raw_cas_resp r = {.swapped = false};
			if (e)
				r.prev = tk_slice_of(e->v.len ? (void *)e->v.data : "", e->v.len);
			r.swapped = q->expect_absent ? !e : e && tk_slice_eq(r.prev, q->expect);
			send_msg(fd, m.type, m.id, TK_RESPONSE, &r); /* before prev changes */
			if (r.swapped && q->del)
				del(f, q->key);
			else if (r.swapped)
				put(f, q->key, q->value);
			break;
		}
		case TK_MSG_raw_scan: scan(f, fd, &m, ar); break;
		case TK_MSG_raw_batch_get: batch_get(f, fd, &m, ar); break;
		case TK_MSG_raw_batch_put: {
			const struct tk_raw_batch_put_req *q = m.body;
			for (uint32_t i = 0; i < q->kvs.n; i++)
				put(f, q->kvs.v[i].k, q->kvs.v[i].v);
			send_msg(fd, m.type, m.id, TK_RESPONSE, NULL);
			break;
		}
		case TK_MSG_raw_batch_delete: {
			const struct tk_raw_batch_delete_req *q = m.body;
			for (uint32_t i = 0; i < q->keys.n; i++)
				del(f, q->keys.v[i]);
			send_msg(fd, m.type, m.id, TK_RESPONSE, NULL);
			break;
		}
		case TK_MSG_kv_scan_lock: {
			struct tk_kv_scan_lock_resp r = {.locks = {NULL, 0}};
			send_msg(fd, m.type, m.id, TK_RESPONSE, &r);
			break;
		}
		case TK_MSG_kv_gc: {
			struct tk_kv_gc_resp r = {.deleted = 1}; /* one per request */
			send_msg(fd, m.type, m.id, TK_RESPONSE, &r);
			break;
		}
		default: send_msg(fd, m.type, m.id, TK_RESPONSE, NULL); break;
		}
	}
}

/* ---- the fake scheduler ---- */

static void sched_answer(struct tkv_fake *f, int fd, const struct tk_msg *m, struct tk_arena *ar)
{
	switch (m->type) {
	case TK_MSG_hello: {
		struct tk_hello_resp r = {.proto = TK_PROTO_VERSION,
		                          .role = tk_slice_str("scheduler"),
		                          .server = tk_slice_str("fake scheduler"),
		                          .cluster_id = 42,
		                          .max_frame = 1 << 20};
		send_msg(fd, m->type, m->id, TK_RESPONSE, &r);
		break;
	}
	case TK_MSG_is_bootstrapped: {
		struct tk_is_bootstrapped_resp r = {.bootstrapped = true, .cluster = 42};
		send_msg(fd, m->type, m->id, TK_RESPONSE, &r);
		break;
	}
	case TK_MSG_alloc_id: {
		uint64_t n = ((const struct tk_alloc_id_req *)m->body)->count;
		n = n ? n : 1;
		struct tk_alloc_id_resp r = {.id = f->next_id, .count = n};
		f->next_id += n;
		send_msg(fd, m->type, m->id, TK_RESPONSE, &r);
		break;
	}
	case TK_MSG_get_ts: {
		uint64_t n = ((const struct tk_get_ts_req *)m->body)->count;
		if (n == 999)
			break; /* never answered */
		n = n ? n : 1;
		struct tk_get_ts_resp r = {.ts = f->next_ts, .count = n};
		f->next_ts += n;
		send_msg(fd, m->type, m->id, TK_RESPONSE, &r);
		break;
	}
	case TK_MSG_put_store: {
		const struct tk_put_store_req *q = m->body;
		if (f->n_stores < sizeof f->stores / sizeof f->stores[0]) {
			f->stores[f->n_stores].id = q->store->id;
			snprintf(f->stores[f->n_stores].addr, sizeof f->stores[0].addr, "%.*s",
			         (int)q->store->addr.n, (const char *)q->store->addr.p);
			f->n_stores++;
		}
		send_msg(fd, m->type, m->id, TK_RESPONSE, NULL);
		break;
	}
	case TK_MSG_get_store: {
		uint64_t id = ((const struct tk_get_store_req *)m->body)->id;
		for (size_t i = 0; i < f->n_stores; i++) {
			if (f->stores[i].id != id)
				continue;
			struct tk_sched_store st;
			memset(&st, 0, sizeof st);
			st.id = id;
			st.addr = tk_slice_str(f->stores[i].addr);
			st.state = tk_slice_str("up");
			struct tk_get_store_resp r = {.store = &st};
			send_msg(fd, m->type, m->id, TK_RESPONSE, &r);
			return;
		}
		send_err(fd, m, "NOT_FOUND", "store not registered");
		break;
	}
	case TK_MSG_get_region:
	case TK_MSG_get_region_by_id:
	case TK_MSG_scan_regions: {
		if (!f->n_regions) {
			send_err(fd, m, "NOT_BOOTSTRAPPED", "cluster is not bootstrapped");
			break;
		}
		struct tk_sched_region_info *ri =
		    tk_arena_alloc(ar, sizeof *ri * f->n_regions);
		struct tk_sched_peer *lp = tk_arena_alloc(ar, sizeof *lp * f->n_regions);
		uint32_t n = 0;
		for (size_t i = 0; i < f->n_regions; i++) {
			const struct tkv_fake_region *r = &f->regions[i].r;
			bool take;
			if (m->type == TK_MSG_get_region)
				take = in_region(r, ((const struct tk_get_region_req *)m->body)->key);
			else if (m->type == TK_MSG_get_region_by_id)
				take = r->id == ((const struct tk_get_region_by_id_req *)m->body)->id;
			else {
				const struct tk_scan_regions_req *q = m->body;
				take = (!*r->end || tk_slice_cmp(q->start, tk_slice_str(r->end)) < 0) &&
				       (!q->end.p || !q->end.n ||
				        tk_slice_cmp(tk_slice_str(r->start), q->end) < 0);
			}
			if (!take)
				continue;
			memset(&ri[n], 0, sizeof ri[n]);
			ri[n].region = wire_region(ar, r);
			lp[n] = (struct tk_sched_peer){.id = leader_peer(r), .store = r->leader_store};
			if (r->leader_store)
				ri[n].leader = &lp[n];
			ri[n].leader_addr = tk_slice_str(r->leader_addr);
			n++;
		}
		if (m->type == TK_MSG_scan_regions) {
			struct tk_scan_regions_resp r = {.regions = {ri, n}};
			send_msg(fd, m->type, m->id, TK_RESPONSE, &r);
		} else if (n) {
			send_msg(fd, m->type, m->id, TK_RESPONSE, &ri[0]);
		} else {
			send_err(fd, m, "REGION_NOT_FOUND", "no such region");
		}
		break;
	}
	case TK_MSG_region_heartbeat: {
		const struct tk_region_heartbeat_req *q = m->body;
		struct tk_sched_step step = {
		    .kind = tk_slice_str("add_peer"), .peer = 70, .store = 3};
		struct tk_region_heartbeat_resp r = {.region = q->region->id};
		if (q->region->id == 7)
			r.step = &step;
		send_msg(fd, m->type, m->id, TK_RESPONSE, &r);
		break;
	}
	default:
		send_msg(fd, m->type, m->id, TK_RESPONSE, NULL);
		break;
	}
}

/* Read every request the client has sent so far, then answer them in
 * reverse order. */
static void serve_sched(struct tkv_fake *f, int fd)
{
	struct tk_arena ar;
	tk_arena_init(&ar);
	struct tk_msg batch[256];
	for (;;) {
		tk_arena_reset(&ar);
		size_t n = 0;
		if (!read_frame(fd, &ar, &batch[n]))
			break;
		n++;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		while (n < 256 && poll(&p, 1, 20) == 1 && read_frame(fd, &ar, &batch[n]))
			n++;
		pthread_mutex_lock(&f->mu);
		for (size_t i = 0; i < n; i++)
			f->counts[batch[i].type]++;
		while (n > 0)
			sched_answer(f, fd, &batch[--n], &ar);
		pthread_mutex_unlock(&f->mu);
	}
	tk_arena_destroy(&ar);
}

/* Not a tinykv server: whatever comes, the same answer, then close. */
static void serve_raw(struct tkv_fake *f, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[256];
	if (poll(&p, 1, 2000) == 1 && read(fd, buf, sizeof buf) > 0 && f->raw.len &&
	    write(fd, f->raw.data, f->raw.len) < 0)
		perror("fake server: write");
}

static void *conn_main(void *arg)
{
	struct conn_arg *ca = arg;
	struct tkv_fake *f = ca->f;
	int fd = ca->fd;
	free(ca);
	if (f->kind == TKV_FAKE_SCHEDULER)
		serve_sched(f, fd);
	else if (f->kind == TKV_FAKE_RAW)
		serve_raw(f, fd);
	else
		serve(f, fd);
	shutdown(fd, SHUT_RDWR); /* closed by tkv_fake_stop, after the join */
	return NULL;
}

static void *fake_main(void *arg)
{
	struct tkv_fake *f = arg;
	for (;;) {
		int fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			return NULL; /* the listener was shut down */
		atomic_fetch_add(&f->accepts, 1);
		struct conn_arg *ca = malloc(sizeof *ca);
		pthread_mutex_lock(&f->mu);
		bool room = ca && f->n_conns < sizeof f->conn_th / sizeof f->conn_th[0];
		if (room) {
			*ca = (struct conn_arg){f, fd};
			f->conn_fd[f->n_conns] = fd;
			if (pthread_create(&f->conn_th[f->n_conns], NULL, conn_main, ca) != 0)
				die("pthread_create");
			f->n_conns++;
		}
		pthread_mutex_unlock(&f->mu);
		if (!room) {
			free(ca);
			close(fd);
		}
	}
}

struct tkv_fake *tkv_fake_new(enum tkv_fake_kind kind)
{
	struct tkv_fake *f = calloc(1, sizeof *f);
	if (!f)
		die("calloc");
	f->kind = kind;
	f->next_id = 1000;
	f->next_ts = 1u << 18;
	pthread_mutex_init(&f->mu, NULL);
	tk_buf_init(&f->txn_keys[0]);
	tk_buf_init(&f->txn_keys[1]);
	tk_buf_init(&f->raw);
	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sin;
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    getsockname(f->lfd, (struct sockaddr *)&sin, &len) < 0)
		die("fake server: bind");
	snprintf(f->addr, sizeof f->addr, "127.0.0.1:%u", (unsigned)ntohs(sin.sin_port));
	return f;
}

void tkv_fake_set_raw(struct tkv_fake *f, const void *p, size_t n)
{
	tk_buf_reset(&f->raw);
	tk_buf_append(&f->raw, p, n);
}

void tkv_fake_listen(struct tkv_fake *f)
{
	if (listen(f->lfd, 8) < 0)
		die("fake server: listen");
	if (pthread_create(&f->th, NULL, fake_main, f) != 0)
		die("pthread_create");
	f->started = true;
}

struct tkv_fake *tkv_fake_start(void)
{
	struct tkv_fake *f = tkv_fake_new(TKV_FAKE_STORE);
	tkv_fake_listen(f);
	return f;
}

const char *tkv_fake_address(const struct tkv_fake *f)
{
	return f->addr;
}

int tkv_fake_accepts(const struct tkv_fake *f)
{
	return atomic_load(&((struct tkv_fake *)f)->accepts);
}

void tkv_fake_stop(struct tkv_fake *f)
{
	shutdown(f->lfd, SHUT_RDWR);
	if (f->started)
		pthread_join(f->th, NULL);
	close(f->lfd);
	/* connection threads end when their client is gone, or now */
	for (size_t i = 0; i < f->n_conns; i++)
		shutdown(f->conn_fd[i], SHUT_RDWR);
	for (size_t i = 0; i < f->n_conns; i++) {
		pthread_join(f->conn_th[i], NULL);
		close(f->conn_fd[i]);
	}
	pthread_mutex_destroy(&f->mu);
	tk_buf_destroy(&f->txn_keys[0]);
	tk_buf_destroy(&f->txn_keys[1]);
	tk_buf_destroy(&f->raw);
	for (size_t i = 0; i < f->n; i++) {
		tk_buf_destroy(&f->map[i].k);
		tk_buf_destroy(&f->map[i].v);
	}
	free(f->map);
	free(f);
}

/* ---- cluster mode and scripts ---- */

void tkv_fake_set_cluster(struct tkv_fake *f, uint64_t store_id, const struct tkv_fake_region *r,
                          size_t n)
{
	pthread_mutex_lock(&f->mu);
	f->cluster = true;
	f->store_id = store_id;
	f->n_regions = 0;
	for (size_t i = 0; i < n && i < sizeof f->regions / sizeof f->regions[0]; i++) {
		struct fake_region *x = &f->regions[f->n_regions++];
		x->r = r[i];
		snprintf(x->start, sizeof x->start, "%s", r[i].start ? r[i].start : "");
		snprintf(x->end, sizeof x->end, "%s", r[i].end ? r[i].end : "");
		snprintf(x->leader_addr, sizeof x->leader_addr, "%s",
		         r[i].leader_addr ? r[i].leader_addr : "");
		x->r.start = x->start;
		x->r.end = x->end;
		x->r.leader_addr = x->leader_addr;
	}
	pthread_mutex_unlock(&f->mu);
}

void tkv_fake_add_store(struct tkv_fake *f, uint64_t id, const char *addr)
{
	pthread_mutex_lock(&f->mu);
	if (f->n_stores < sizeof f->stores / sizeof f->stores[0]) {
		f->stores[f->n_stores].id = id;
		snprintf(f->stores[f->n_stores].addr, sizeof f->stores[0].addr, "%s", addr);
		f->n_stores++;
	}
	pthread_mutex_unlock(&f->mu);
}

void tkv_fake_script(struct tkv_fake *f, enum tkv_fake_script what, unsigned n, unsigned arg)
{
	pthread_mutex_lock(&f->mu);
	f->script_n[what] = n;
	f->script_arg[what] = arg;
	pthread_mutex_unlock(&f->mu);
}

unsigned tkv_fake_count(const struct tkv_fake *cf, int type)
{
	struct tkv_fake *f = (struct tkv_fake *)cf;
	unsigned n = 0;
	pthread_mutex_lock(&f->mu);
	if (type >= 0 && type < TK_MSG__COUNT)
		n = f->counts[type];
	for (int i = 0; type < 0 && i < TK_MSG__COUNT; i++)
		if (i != TK_MSG_hello)
			n += f->counts[i];
	pthread_mutex_unlock(&f->mu);
	return n;
}

void tkv_fake_txn_keys(const struct tkv_fake *cf, bool commit, char *buf, size_t cap)
{
	struct tkv_fake *f = (struct tkv_fake *)cf;
	pthread_mutex_lock(&f->mu);
	const struct tk_buf *b = &f->txn_keys[commit];
	snprintf(buf, cap, "%.*s", (int)b->len, b->len ? (const char *)b->data : "");
	pthread_mutex_unlock(&f->mu);
}
