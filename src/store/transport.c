/* The peer transport of a cluster store (issue 9 item 4, DESIGN.md section
 * 6): raft traffic to the other stores, and raft traffic from them into the
 * raftstore.
 *
 * Out: the raftstore hands each ready pass's messages to store_tr_send,
 * grouped per destination store; each call becomes ONE "raft" frame
 * (env_wire.h) on the one link (net/peer.h) to that store, whose socket is
 * bound to this store's advertised host (so a firewall rule can cut two
 * stores apart by address).  Addresses come from the scheduler (get_store,
 * cached; asked again when a link stays down, in case the store moved).
 * Nothing waits: a message for a store whose address is unknown, whose link
 * is down or whose output is over its bound is dropped and its peers are
 * reported unreachable to raft, which probes them again later (raft
 * tolerates lost messages).  A tombstoned store is never dialled.
 *
 * In: a "raft" frame on a client connection (hello role "store") is decoded
 * and every envelope stepped into the raftstore; the ready pass at the end
 * of the iteration acts on them.  The frame is one-way: nothing is answered
 * unless it is malformed (one error reply, so the fault shows on both
 * ends). */
#include <stdlib.h>
#include <string.h>

#include "net/peer.h"
#include "raftstore/env_wire.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

/* Bytes that may wait in one link's output: a few windows of snapshot
 * chunks plus appends; past it, messages are dropped and raft retries. */
#define TR_MAX_QUEUE (32u << 20)
#define TR_BACKOFF_MIN_MS 100
#define TR_BACKOFF_MAX_MS 2000
/* Ask the scheduler for an address again after this long without a link
 * up (a store restarted elsewhere), or after a failed lookup. */
#define TR_RESOLVE_AGAIN_NS (3ull * 1000 * 1000 * 1000)

struct store_link {
	struct store *s;
	uint64_t store_id;
	struct net_peer_link *link; /* NULL until the address is known */
	char addr[128];
	bool resolving, tombstone, up;
	uint64_t down_since_ns, resolved_ns;
};

static struct store_link *find_link(struct store_tr *t, uint64_t store_id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->links[i]->store_id == store_id)
			return t->links[i];
	return NULL;
}

static struct store_link *add_link(struct store_tr *t, struct store *s, uint64_t store_id)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct store_link **n = realloc(t->links, cap * sizeof *n);
		if (!n)
			return NULL;
		t->links = n;
		t->cap = cap;
	}
	struct store_link *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->s = s;
	l->store_id = store_id;
	t->links[t->n++] = l;
	return l;
}

static void on_link_frame(void *arg, struct tk_slice payload)
{
	/* A store answers raft frames only when they are malformed. */
	struct store_link *l = arg;
	struct tk_arena a;
	struct tk_msg m;
	struct tk_errbuf eb;
	tk_arena_init(&a);
	if (tk_msg_decode(payload, &a, &m, &eb) == TK_OK && m.kind == TK_ERROR) {
		const struct tk_error *e = m.body;
		LOG_WARN("store %llu refused our raft frame: %.*s %.*s",
		         (unsigned long long)l->store_id, (int)e->code.n, e->code.p, (int)e->msg.n,
		         e->msg.p);
	}
	tk_arena_destroy(&a);
}

static void on_link_state(void *arg, bool up, const char *why)
{
	struct store_link *l = arg;
	l->up = up;
	if (up) {
		LOG_INFO("raft link to store %llu at %s is up", (unsigned long long)l->store_id,
		         l->addr);
	} else {
		l->down_since_ns = tk_mono_ns();
		LOG_WARN("raft link to store %llu at %s is down: %s", (unsigned long long)l->store_id,
		         l->addr, why ? why : "?");
	}
}

/* The host part of host:port (IPv6 in brackets kept bare). */
static void host_of(const char *addr, char *out, size_t cap)
{
	const char *colon = strrchr(addr, ':');
	size_t n = colon ? (size_t)(colon - addr) : strlen(addr);
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		addr++;
		n -= 2;
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(out, addr, n);
	out[n] = 0;
}

static void connect_link(struct store_link *l)
{
	struct store *s = l->s;
	struct net_peer_link_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	snprintf(cfg.addr, sizeof cfg.addr, "%s", l->addr);
	host_of(s->advertise, cfg.bind_host, sizeof cfg.bind_host);
	cfg.role = "store";
	cfg.name = s->advertise;
	cfg.max_frame = s->net.cfg.max_frame;
	cfg.max_queue = TR_MAX_QUEUE;
	cfg.backoff_min_ms = TR_BACKOFF_MIN_MS;
	cfg.backoff_max_ms = TR_BACKOFF_MAX_MS;
	cfg.on_frame = on_link_frame;
	cfg.on_state = on_link_state;
	cfg.arg = l;
	l->link = net_peer_link_new(s->net.base, &cfg);
	l->up = false;
	l->down_since_ns = tk_mono_ns();
	if (!l->link)
		LOG_ERROR("raft link to store %llu: out of memory", (unsigned long long)l->store_id);
}

/* get_store's answer: (re)connect when the address is new. */
static void on_resolved(void *arg, const struct tkv_sched_reply *r)
{
	struct store_link *l = arg;
	l->resolving = false;
	l->resolved_ns = tk_mono_ns();
	if (r->code == TK_E_CLOSED)
		return;
	if (r->code != TK_E_OK || !r->store) {
		l->s->tr.resolve_errors++;
		LOG_WARN("cannot resolve store %llu: %s: %s", (unsigned long long)l->store_id,
		         tk_err_name(r->code), r->message);
		return;
	}
	if (strcmp(r->store->state, "tombstone") == 0) {
		if (!l->tombstone)
			LOG_INFO("store %llu is a tombstone: no raft traffic to it",
			         (unsigned long long)l->store_id);
		l->tombstone = true;
		if (l->link)
			net_peer_link_free(l->link);
		l->link = NULL;
		return;
	}
	if (l->link && strcmp(l->addr, r->store->addr) == 0)
		return;
	if (l->link) {
		LOG_INFO("store %llu moved from %s to %s", (unsigned long long)l->store_id, l->addr,
		         r->store->addr);
		net_peer_link_free(l->link);
		l->link = NULL;
	}
	snprintf(l->addr, sizeof l->addr, "%s", r->store->addr);
	connect_link(l);
}

static void maybe_resolve(struct store_link *l)
{
	struct store *s = l->s;
	if (l->resolving || l->tombstone || !s->hb.sc)
		return;
	uint64_t now = tk_mono_ns();
	if (l->resolved_ns && now - l->resolved_ns < TR_RESOLVE_AGAIN_NS)
		return;
	if (l->link && (l->up || now - l->down_since_ns < TR_RESOLVE_AGAIN_NS))
		return;
	if (tkv_sched_async_get_store(s->hb.sc, l->store_id, on_resolved, l) == TK_OK)
		l->resolving = true;
}

const char *store_tr_addr(struct store *s, uint64_t store_id)
{
	struct store_link *l = find_link(&s->tr, store_id);
	return l && l->link ? l->addr : NULL;
}

static void drop(struct store *s, uint64_t to_store, size_t n)
{
	s->tr.dropped += n;
	if (s->raft.rs)
		rs_store_report_unreachable(s->raft.rs, to_store);
}

void store_tr_send(void *arg, uint64_t to_store, const struct rs_envelope *msgs, size_t n)
{
	struct store *s = arg;
	struct store_tr *t = &s->tr;
	if (n == 0)
		return;
	struct store_link *l = find_link(t, to_store);
	if (!l && !(l = add_link(t, s, to_store))) {
		drop(s, to_store, n);
		return;
	}
	maybe_resolve(l);
	if (!l->link || !l->up) {
		drop(s, to_store, n);
		return;
	}
	tk_arena_reset(&t->send_arena);
	tk_buf_reset(&t->frame);
	enum tk_err rc =
	    rs_env_encode_frame(msgs, n, s->net.ident.store_id, to_store, &t->send_arena, &t->frame);
	if (rc == TK_OK)
		rc = net_peer_link_send(l->link, t->frame.data, t->frame.len);
	if (rc != TK_OK) {
		if (rc != TK_E_CONNECTION && rc != TK_E_SERVER_IS_BUSY)
			LOG_WARN("raft frame to store %llu not sent: %s", (unsigned long long)to_store,
			         tk_strerror(rc));
		drop(s, to_store, n);
		return;
	}
	t->frames_sent++;
	t->msgs_sent += n;
}

enum net_outcome store_tr_receive(struct store *s, const struct tk_raft_batch *b,
                                  enum tk_err *code, struct tk_errbuf *eb)
{
	struct store_tr *t = &s->tr;
	if (!s->cluster || !s->raft.rs) {
		*code = tk_err_set(eb, TK_E_UNKNOWN_MESSAGE,
		                   "raft frames are for cluster stores (tinykvd --scheduler)");
		return NET_ANSWER;
	}
	if (b->to_store != s->net.ident.store_id) {
		t->frames_refused++;
		*code = tk_err_set(eb, TK_E_STORE_NOT_MATCH, "raft frame for store %llu reached store %llu",
		                   (unsigned long long)b->to_store,
		                   (unsigned long long)s->net.ident.store_id);
		return NET_ANSWER;
	}
	tk_arena_reset(&t->arena);
	size_t bad = 0;
	char first_bad[160] = "";
	for (uint32_t i = 0; i < b->msgs.n; i++) {
		struct rs_envelope env;
		struct tk_errbuf meb;
		tk_err_clear(&meb);
		enum tk_err rc = rs_env_from_wire(b, i, &env, &t->arena, &meb);
		if (rc == TK_OK)
			rc = rs_store_step(s->raft.rs, &env);
		else if (!bad++)
			snprintf(first_bad, sizeof first_bad, "message %u: %s", i, meb.msg);
		if (rc == TK_OK)
			t->msgs_received++;
		else if (rc == TK_E_REGION_NOT_FOUND)
			t->msgs_unknown_region++;
		else
			t->msgs_refused++;
	}
	net_iteration_end(&s->net); /* the ready pass acts on them */
	if (bad) {
		t->frames_refused++;
		*code = tk_err_set(eb, TK_E_BAD_REQUEST, "%zu of %u raft messages malformed; %s", bad,
		                   b->msgs.n, first_bad);
		return NET_ANSWER;
	}
	return NET_DEFERRED; /* one-way: no reply */
}

void store_tr_free(struct store *s)
{
	struct store_tr *t = &s->tr;
	for (size_t i = 0; i < t->n; i++) {
		if (t->links[i]->link)
			net_peer_link_free(t->links[i]->link);
		free(t->links[i]);
	}
	free(t->links);
	t->links = NULL;
	t->n = t->cap = 0;
	tk_arena_destroy(&t->arena);
	tk_arena_destroy(&t->send_arena);
	tk_buf_destroy(&t->frame);
}

void store_tr_metrics(struct store *s, struct tk_buf *out)
{
	struct store_tr *t = &s->tr;
	uint64_t attempts = 0, up = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->links[i]->link) {
			attempts += net_peer_link_attempts(t->links[i]->link);
			up += t->links[i]->up;
		}
	tk_buf_printf(out,
	              "# HELP tinykv_raft_links_up Raft links to other stores that are up.\n"
	              "# TYPE tinykv_raft_links_up gauge\ntinykv_raft_links_up %llu\n"
	              "# HELP tinykv_raft_link_connects_total Connection attempts of raft links.\n"
	              "# TYPE tinykv_raft_link_connects_total counter\n"
	              "tinykv_raft_link_connects_total %llu\n"
	              "# HELP tinykv_raft_frames_sent_total Raft frames sent to other stores.\n"
	              "# TYPE tinykv_raft_frames_sent_total counter\n"
	              "tinykv_raft_frames_sent_total %llu\n"
	              "# HELP tinykv_raft_msgs_sent_total Raft messages sent to other stores.\n"
	              "# TYPE tinykv_raft_msgs_sent_total counter\ntinykv_raft_msgs_sent_total %llu\n"
	              "# HELP tinykv_raft_msgs_dropped_total Raft messages dropped: no address, "
	              "link down or its queue full (raft resends).\n"
	              "# TYPE tinykv_raft_msgs_dropped_total counter\n"
	              "tinykv_raft_msgs_dropped_total %llu\n"
	              "# HELP tinykv_raft_msgs_received_total Raft messages stepped.\n"
	              "# TYPE tinykv_raft_msgs_received_total counter\n"
	              "tinykv_raft_msgs_received_total %llu\n"
	              "# HELP tinykv_raft_msgs_refused_total Raft messages refused (malformed, "
	              "unknown region, refused by raft).\n"
	              "# TYPE tinykv_raft_msgs_refused_total counter\n"
	              "tinykv_raft_msgs_refused_total %llu\n"
	              "# HELP tinykv_raft_frames_refused_total Raft frames answered with an error "
	              "(for another store, or with malformed messages).\n"
	              "# TYPE tinykv_raft_frames_refused_total counter\n"
	              "tinykv_raft_frames_refused_total %llu\n"
	              "# HELP tinykv_raft_resolve_errors_total Store address lookups at the "
	              "scheduler that failed.\n"
	              "# TYPE tinykv_raft_resolve_errors_total counter\n"
	              "tinykv_raft_resolve_errors_total %llu\n",
	              (unsigned long long)up, (unsigned long long)attempts,
	              (unsigned long long)t->frames_sent, (unsigned long long)t->msgs_sent,
	              (unsigned long long)t->dropped,
	              (unsigned long long)t->msgs_received,
	              (unsigned long long)(t->msgs_refused + t->msgs_unknown_region),
	              (unsigned long long)t->frames_refused, (unsigned long long)t->resolve_errors);
}
