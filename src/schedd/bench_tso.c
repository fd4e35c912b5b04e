/* sched_bench_tso: load generator for a running tinykv-scheduler (a
 * benchmark, not a test; `make bench-sched-daemon` runs both modes against
 * a scheduler it starts).
 *
 *   sched_bench_tso tso ADDR [CONNS [BATCH [SECONDS [DEPTH]]]]
 *       CONNS threads (default 4), each with one connection keeping DEPTH
 *       get_ts requests of BATCH timestamps in flight (defaults 100 and 1);
 *       prints timestamps/s and the round trip percentiles, and checks that
 *       each connection's timestamps strictly increase.
 *   sched_bench_tso heartbeat ADDR [REGIONS [STORES [BATCH]]]
 *       bootstraps an empty scheduler, registers STORES stores (default 3)
 *       and sends one region heartbeat for each of REGIONS regions (default
 *       100,000; STORES replicas each, leaders spread), pipelined on one
 *       connection per store; then a second round of the same heartbeats
 *       (steady state: nothing changes).  Prints both rounds' times.  With
 *       BATCH, sends region_heartbeats of BATCH regions instead.
 *
 * Speaks the protocol directly (codec + sockets) so it can pipeline. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "codec/codec.h"
#include "util/arena.h"
#include "util/clock.h"

struct conn {
	int fd;
	struct tk_buf in, out;
	struct tk_arena arena;
	uint64_t next_id;
};

static void die(const char *what)
{
	fprintf(stderr, "sched_bench_tso: %s\n", what);
	exit(1);
}

static void conn_open(struct conn *c, const char *addr, const char *role)
{
	char host[128];
	const char *colon = strrchr(addr, ':');
	if (!colon || (size_t)(colon - addr) >= sizeof host)
		die("address must be host:port");
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("numeric IPv4 address expected");
	memset(c, 0, sizeof *c);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		die("cannot connect");
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	tk_buf_init(&c->in);
	tk_buf_init(&c->out);
	tk_arena_init(&c->arena);
	struct tk_hello_req h = {.proto = TK_PROTO_VERSION, .role = tk_slice_str(role),
				 .name = tk_slice_str("sched_bench_tso")};
	struct tk_msg m = {.type = TK_MSG_hello, .kind = TK_REQUEST, .body = &h};
	if (tk_msg_encode_frame(&c->out, &m))
		die("encode hello");
}

/* Encode a request into c->out (sent by conn_flush). */
static uint64_t conn_queue(struct conn *c, enum tk_msg_type type, const void *body)
{
	struct tk_msg m = {.type = type, .id = ++c->next_id, .kind = TK_REQUEST, .body = (void *)body};
	if (tk_msg_encode_frame(&c->out, &m))
		die("encode");
	return m.id;
}

static void conn_flush(struct conn *c)
{
	size_t off = 0;
	while (off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			die("send failed");
		}
		off += (size_t)n;
	}
	tk_buf_reset(&c->out);
}

/* Read one reply (blocking); returns it decoded (valid until the next
 * read).  Error replies stop the benchmark. */
static struct tk_msg conn_read(struct conn *c, size_t *consumed)
{
	for (;;) {
		uint32_t len;
		if (*consumed) {
			memmove(c->in.data, c->in.data + *consumed, c->in.len - *consumed);
			c->in.len -= *consumed;
			*consumed = 0;
		}
		if (tk_frame_peek(c->in.data, c->in.len, TK_MAX_FRAME_LIMIT, &len) == TK_FRAME_READY) {
			struct tk_msg m;
			struct tk_errbuf eb;
			tk_arena_reset(&c->arena);
			if (tk_msg_decode(tk_slice_of(c->in.data + 4, len), &c->arena, &m, &eb))
				die(eb.msg);
			if (m.kind == TK_ERROR) {
				const struct tk_error *e = m.body;
				fprintf(stderr, "sched_bench_tso: %s: %.*s: %.*s\n", tk_msg_defs[m.type].name,
					(int)e->code.n, (const char *)e->code.p, (int)e->msg.n, (const char *)e->msg.p);
				exit(1);
			}
			*consumed = 4 + len;
			return m;
		}
		if (!tk_buf_reserve(&c->in, 256 * 1024))
			die("out of memory");
		ssize_t n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			die("connection closed");
		}
		c->in.len += (size_t)n;
	}
}

/* ---- tso ---- */

struct tso_worker {
	pthread_t th;
	const char *addr;
	uint64_t batch, depth;
	uint64_t deadline_ns;
	uint64_t *lat_ns; /* per request */
	size_t n_lat, cap_lat;
	uint64_t timestamps;
	bool broken;
};

static void *tso_run(void *arg)
{
	struct tso_worker *w = arg;
	struct conn c;
	size_t consumed = 0;
	conn_open(&c, w->addr, "client");
	conn_flush(&c);
	conn_read(&c, &consumed); /* hello */
	struct tk_get_ts_req req = {.count = w->batch};
	uint64_t *sent = calloc(w->depth, sizeof *sent);
	uint64_t last = 0;
	/* ids are sequential and replies come in order on one connection */
	for (uint64_t i = 0; i < w->depth; i++) {
		conn_queue(&c, TK_MSG_get_ts, &req);
		sent[i] = tk_mono_ns();
	}
	conn_flush(&c);
	uint64_t k = 0;
	for (;;) {
		struct tk_msg m = conn_read(&c, &consumed);
		uint64_t now = tk_mono_ns();
		const struct tk_get_ts_resp *r = m.body;
		if (r->ts <= last)
			w->broken = true;
		last = r->ts + r->count - 1;
		w->timestamps += r->count;
		if (w->n_lat == w->cap_lat) {
			w->cap_lat = w->cap_lat ? w->cap_lat * 2 : 65536;
			w->lat_ns = realloc(w->lat_ns, w->cap_lat * sizeof *w->lat_ns);
		}
		w->lat_ns[w->n_lat++] = now - sent[k % w->depth];
		if (now >= w->deadline_ns) {
			/* drain what is in flight, uncounted */
			for (uint64_t j = 1; j < w->depth; j++)
				conn_read(&c, &consumed);
			break;
		}
		conn_queue(&c, TK_MSG_get_ts, &req);
		sent[k % w->depth] = tk_mono_ns();
		k++;
		conn_flush(&c);
	}
	free(sent);
	close(c.fd);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int bench_tso(const char *addr, int conns, uint64_t batch, double seconds, uint64_t depth)
{
	struct tso_worker *w = calloc((size_t)conns, sizeof *w);
	uint64_t t0 = tk_mono_ns();
	for (int i = 0; i < conns; i++) {
		w[i].addr = addr;
		w[i].batch = batch;
		w[i].depth = depth;
		w[i].deadline_ns = t0 + (uint64_t)(seconds * 1e9);
		pthread_create(&w[i].th, NULL, tso_run, &w[i]);
	}
	uint64_t ts = 0;
	size_t n = 0;
	bool broken = false;
	for (int i = 0; i < conns; i++) {
		pthread_join(w[i].th, NULL);
		ts += w[i].timestamps;
		n += w[i].n_lat;
		broken = broken || w[i].broken;
	}
	double el = (double)(tk_mono_ns() - t0) / 1e9;
	uint64_t *all = malloc((n ? n : 1) * sizeof *all);
	size_t k = 0;
	for (int i = 0; i < conns; i++) {
		memcpy(all + k, w[i].lat_ns, w[i].n_lat * sizeof *all);
		k += w[i].n_lat;
		free(w[i].lat_ns);
	}
	qsort(all, n, sizeof *all, cmp_u64);
	printf("tso: %d connections, batch %" PRIu64 ", depth %" PRIu64 ", %.1f s: %" PRIu64
	       " timestamps in %zu requests = %.0f timestamps/s, %.0f requests/s; "
	       "round trip p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us%s\n",
	       conns, batch, depth, el, ts, n, (double)ts / el, (double)n / el,
	       n ? (double)all[n / 2] / 1e3 : 0, n ? (double)all[n * 99 / 100] / 1e3 : 0,
	       n ? (double)all[n * 999 / 1000] / 1e3 : 0, n ? (double)all[n - 1] / 1e3 : 0,
	       broken ? " BROKEN: timestamps went backwards" : "");
	free(all);
	free(w);
	return broken;
}

/* ---- heartbeats ---- */

struct hb_region {
	char start[16], end[16];
	struct tk_sched_peer peers[8];
	struct tk_sched_region r;
	struct tk_sched_peer leader;
};

/* CPU seconds used so far by the process SCHED_PID names (-1 without):
 * on a shared machine the server's CPU time is the steadier figure. */
static double server_cpu(void)
{
	const char *pid = getenv("SCHED_PID");
	if (!pid)
		return -1;
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')');
	unsigned long long ut, st;
	/* after the command: state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static size_t count_steps(const struct tk_msg *m)
{
	if (m->type == TK_MSG_region_heartbeat)
		return ((const struct tk_region_heartbeat_resp *)m->body)->step != NULL;
	const struct tk_region_heartbeats_resp *r = m->body;
	size_t k = 0;
	for (uint32_t i = 0; i < r->results.n; i++) {
		if (r->results.v[i].error)
			die("a heartbeat of the batch was refused");
		k += r->results.v[i].step != NULL;
	}
	return k;
}

/* batch 0: one region_heartbeat per region; else region_heartbeats of
 * `batch` regions each. */
static void hb_round(struct conn *cs, int stores, struct hb_region *rs, size_t n, size_t batch,
		     const char *name)
{
	double cpu0 = server_cpu();
	/* one connection per store: each sends the heartbeats of the regions
	 * it leads, all pipelined; the clock stops at the last reply */
	size_t *sent = calloc((size_t)stores, sizeof *sent), *got = calloc((size_t)stores, sizeof *got);
	size_t *consumed = calloc((size_t)stores, sizeof *consumed);
	size_t steps = 0;
	uint64_t t0 = tk_mono_ns();
	struct tk_region_heartbeat_req *beats = calloc(batch ? batch : 1, sizeof *beats);
	for (int s = 0; s < stores; s++) {
		size_t k = 0;
		for (size_t i = (size_t)s; i < n; i += (size_t)stores) {
			struct tk_region_heartbeat_req *req = &beats[k];
			memset(req, 0, sizeof *req);
			req->region = &rs[i].r;
			req->leader = &rs[i].leader;
			req->size = 8u << 20;
			req->keys = 80000;
			if (!batch) {
				conn_queue(&cs[s], TK_MSG_region_heartbeat, req);
				sent[s]++;
				continue;
			}
			if (++k == batch || i + (size_t)stores >= n) {
				struct tk_region_heartbeats_req b = {.beats = {beats, (uint32_t)k}};
				conn_queue(&cs[s], TK_MSG_region_heartbeats, &b);
				sent[s]++;
				k = 0;
			}
		}
	}
	free(beats);
	/* write in a thread-free way: interleave sending and reading */
	for (int s = 0; s < stores; s++) {
		/* the socket buffers cannot hold everything: send in slices while
		 * draining replies */
		size_t off = 0;
		struct tk_buf *o = &cs[s].out;
		while (off < o->len) {
			size_t chunk = o->len - off < (1u << 20) ? o->len - off : (1u << 20);
			ssize_t w = send(cs[s].fd, o->data + off, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w > 0) {
				off += (size_t)w;
				continue;
			}
			if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				die("send failed");
			/* drain replies of every store that has some */
			for (int t = 0; t <= s; t++) {
				struct pollfd p = {.fd = cs[t].fd, .events = POLLIN};
				while (got[t] < sent[t] && poll(&p, 1, 0) > 0) {
					struct tk_msg m = conn_read(&cs[t], &consumed[t]);
					steps += count_steps(&m);
					got[t]++;
				}
			}
		}
		tk_buf_reset(o);
	}
	for (int s = 0; s < stores; s++)
		while (got[s] < sent[s]) {
			struct tk_msg m = conn_read(&cs[s], &consumed[s]);
			steps += count_steps(&m);
			got[s]++;
		}
	double el = (double)(tk_mono_ns() - t0) / 1e9;
	double cpu1 = server_cpu();
	printf("heartbeat %s, %s: %zu regions over %d stores in %.3f s = %.0f heartbeats/s (%zu with a step)",
	       name, batch ? "batched" : "one per frame", n, stores, el, (double)n / el, steps);
	if (cpu0 >= 0 && cpu1 >= 0)
		printf("; scheduler CPU %.2f s", cpu1 - cpu0);
	printf("\n");
	free(sent);
	free(got);
	free(consumed);
}

static int bench_heartbeat(const char *addr, size_t n, int stores, size_t batch)
{
	if (stores < 1 || stores > 8)
		die("1 to 8 stores");
	struct conn admin;
	size_t consumed = 0;
	conn_open(&admin, addr, "store");
	conn_flush(&admin);
	conn_read(&admin, &consumed);
	struct tk_empty e = {0};
	conn_queue(&admin, TK_MSG_is_bootstrapped, &e);
	conn_flush(&admin);
	struct tk_msg m = conn_read(&admin, &consumed);
	if (((const struct tk_is_bootstrapped_resp *)m.body)->bootstrapped)
		die("the scheduler must be empty (a fresh data dir)");
	/* ids far above what the regions use */
	struct hb_region *rs = calloc(n, sizeof *rs);
	uint64_t base_peer = 10 * (uint64_t)n + 100;
	for (size_t i = 0; i < n; i++) {
		struct hb_region *h = &rs[i];
		if (i)
			snprintf(h->start, sizeof h->start, "r%08zu", i);
		if (i + 1 < n)
			snprintf(h->end, sizeof h->end, "r%08zu", i + 1);
		for (int s = 0; s < stores; s++)
			h->peers[s] = (struct tk_sched_peer){.id = base_peer + i * 8 + (uint64_t)s,
							     .store = (uint64_t)s + 1};
		h->r.id = 100 + i;
		h->r.start = tk_slice_of(h->start, strlen(h->start));
		h->r.end = tk_slice_of(h->end, strlen(h->end));
		h->r.conf_ver = 1;
		h->r.version = 2; /* split from the bootstrap region (version 1) */
		h->r.peers.v = h->peers;
		h->r.peers.n = (uint32_t)stores;
		h->leader = h->peers[i % (size_t)stores];
	}
	/* bootstrap: store 1 and one region over everything */
	struct tk_sched_store st;
	memset(&st, 0, sizeof st);
	st.id = 1;
	st.addr = tk_slice_str("127.0.0.1:30001");
	struct tk_sched_peer bp = {.id = base_peer - 1, .store = 1};
	struct tk_sched_region br;
	memset(&br, 0, sizeof br);
	br.id = 99;
	br.start = br.end = tk_slice_of("", 0);
	br.conf_ver = br.version = 1;
	br.peers.v = &bp;
	br.peers.n = 1;
	struct tk_bootstrap_req boot = {.store = &st, .region = &br};
	conn_queue(&admin, TK_MSG_bootstrap, &boot);
	char addrs[8][32];
	for (int s = 2; s <= stores; s++) {
		snprintf(addrs[s - 1], sizeof addrs[s - 1], "127.0.0.1:%d", 30000 + s);
		struct tk_sched_store ps;
		memset(&ps, 0, sizeof ps);
		ps.id = (uint64_t)s;
		ps.addr = tk_slice_str(addrs[s - 1]);
		struct tk_put_store_req preq = {.store = &ps};
		conn_queue(&admin, TK_MSG_put_store, &preq);
	}
	for (int s = 1; s <= stores; s++) {
		struct tk_store_heartbeat_req sh;
		memset(&sh, 0, sizeof sh);
		sh.store = (uint64_t)s;
		sh.capacity = 1ull << 40;
		sh.available = 1ull << 39;
		conn_queue(&admin, TK_MSG_store_heartbeat, &sh);
	}
	conn_flush(&admin);
	for (int i = 0; i < 1 + (stores - 1) + stores; i++)
		conn_read(&admin, &consumed);
	struct conn *cs = calloc((size_t)stores, sizeof *cs);
	for (int s = 0; s < stores; s++) {
		size_t c0 = 0;
		conn_open(&cs[s], addr, "store");
		conn_flush(&cs[s]);
		conn_read(&cs[s], &c0);
		/* hello consumed: drop it from the buffer */
		memmove(cs[s].in.data, cs[s].in.data + c0, cs[s].in.len - c0);
		cs[s].in.len -= c0;
	}
	hb_round(cs, stores, rs, n, batch, "first round (new regions, persisted)");
	hb_round(cs, stores, rs, n, batch, "second round (steady state)");
	for (int s = 0; s < stores; s++)
		close(cs[s].fd);
	close(admin.fd);
	free(cs);
	free(rs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "tso"))
		return bench_tso(argv[2], argc > 3 ? atoi(argv[3]) : 4,
				 argc > 4 ? strtoull(argv[4], NULL, 10) : 100,
				 argc > 5 ? atof(argv[5]) : 3.0, argc > 6 ? strtoull(argv[6], NULL, 10) : 1);
	if (argc >= 3 && !strcmp(argv[1], "heartbeat"))
		return bench_heartbeat(argv[2], argc > 3 ? strtoull(argv[3], NULL, 10) : 100000,
				       argc > 4 ? atoi(argv[4]) : 3, argc > 5 ? strtoull(argv[5], NULL, 10) : 0);
	fprintf(stderr, "usage: sched_bench_tso tso ADDR [CONNS [BATCH [SECONDS [DEPTH]]]]\n"
			"       sched_bench_tso heartbeat ADDR [REGIONS [STORES [BATCH]]]\n");
	return 2;
}
