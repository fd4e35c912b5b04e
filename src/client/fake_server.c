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

/* Serve one connection; returns when the client goes away (or on "drop"). */
static void serve(struct tkv_fake *f, int fd)
{
	struct tk_arena ar;
	tk_arena_init(&ar);
	struct tk_msg m;
	while (tk_arena_reset(&ar), read_frame(fd, &ar, &m)) {
		switch (m.type) {
		case TK_MSG_hello: {
			struct tk_hello_resp r = {.proto = TK_PROTO_VERSION,
						  .role = tk_slice_str("store"),
						  .server = tk_slice_str("fake 1"),
						  .max_frame = 1 << 20};
			send_msg(fd, m.type, m.id, TK_RESPONSE, &r);
			break;
		}
		case TK_MSG_raw_get: {
			struct tk_slice k = ((struct tk_raw_get_req *)m.body)->key;
			if (tk_slice_eq(k, tk_slice_str("slow")))
				break;
			if (tk_slice_eq(k, tk_slice_str("drop")))
				goto out;
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
		case TK_MSG_raw_scan: scan(f, fd, &m, &ar); break;
		case TK_MSG_raw_batch_get: batch_get(f, fd, &m, &ar); break;
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
		default: send_msg(fd, m.type, m.id, TK_RESPONSE, NULL); break;
		}
	}
out:
	tk_arena_destroy(&ar);
}

/* ---- the fake scheduler ---- */

static void sched_answer(struct tkv_fake *f, int fd, const struct tk_msg *m)
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
		while (n > 0)
			sched_answer(f, fd, &batch[--n]);
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

static void *fake_main(void *arg)
{
	struct tkv_fake *f = arg;
	for (;;) {
		int fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			return NULL; /* the listener was shut down */
		atomic_fetch_add(&f->accepts, 1);
		if (f->kind == TKV_FAKE_SCHEDULER)
			serve_sched(f, fd);
		else if (f->kind == TKV_FAKE_RAW)
			serve_raw(f, fd);
		else
			serve(f, fd);
		close(fd);
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
	tk_buf_destroy(&f->raw);
	for (size_t i = 0; i < f->n; i++) {
		tk_buf_destroy(&f->map[i].k);
		tk_buf_destroy(&f->map[i].v);
	}
	free(f->map);
	free(f);
}
