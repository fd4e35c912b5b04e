/* The router (route.h): one logical request to the right leader, with
 * retries under the call's budget.  Backoff is exponential with jitter,
 * from ROUTE_BACKOFF_MIN_MS doubling to ROUTE_BACKOFF_MAX_MS, never past the
 * deadline; a SERVER_IS_BUSY's backoff_ms is a floor.  Following a leader
 * hint or a new region from an error costs no wait: the information is
 * fresh.  Only the first hint in a row is free, so two stores that name
 * each other cannot spin us. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/route.h"
#include "tinykv_sched.h"
#include "util/clock.h"
#include "util/err.h"

#define ROUTE_BACKOFF_MIN_MS 5
#define ROUTE_BACKOFF_MAX_MS 1000
/* A scheduler that said NOT_BOOTSTRAPPED is asked again after this long
 * (meanwhile requests go unrouted to the configured store). */
#define ROUTE_NO_CLUSTER_RECHECK_NS (1000ull * 1000000u)

void route_budget_init(const struct tkv_client *c, struct route_budget *b)
{
	memset(b, 0, sizeof *b);
	if (c->cfg.deadline_ms)
		b->deadline_ns = tk_mono_ns() + (uint64_t)c->cfg.deadline_ms * 1000000u;
	b->sleep_ms = ROUTE_BACKOFF_MIN_MS;
}

static uint64_t remaining_ms(const struct route_budget *b)
{
	if (!b->deadline_ns)
		return UINT64_MAX;
	uint64_t now = tk_mono_ns();
	return now >= b->deadline_ns ? 0 : (b->deadline_ns - now + 999999u) / 1000000u;
}

static uint64_t next_rand(struct tkv_client *c)
{
	/* xorshift64: jitter only, no need for more */
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

/* Wait before the next attempt: the current backoff with jitter (half to
 * all of it), at least floor_ms, never past the deadline. */
static void backoff(struct tkv_client *c, struct route_budget *b, uint64_t floor_ms)
{
	uint64_t ms = b->sleep_ms / 2 + next_rand(c) % (b->sleep_ms / 2 + 1);
	if (ms < floor_ms)
		ms = floor_ms;
	uint64_t left = remaining_ms(b);
	if (ms > left)
		ms = left;
	if (b->sleep_ms < ROUTE_BACKOFF_MAX_MS)
		b->sleep_ms =
		    b->sleep_ms * 2 > ROUTE_BACKOFF_MAX_MS ? ROUTE_BACKOFF_MAX_MS : b->sleep_ms * 2;
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (ms && nanosleep(&ts, &ts) != 0)
		;
}

/* ---- locating ---- */

static struct rc_region *insert_info(struct tkv_client *c, const struct tkv_region_info *ri)
{
	const struct tkv_peer *lp = NULL;
	for (size_t i = 0; i < ri->region.n_peers; i++)
		if (ri->region.peers[i].id == ri->leader.id)
			lp = &ri->region.peers[i];
	if (lp && ri->leader_addr && *ri->leader_addr)
		rc_set_store_addr(c->cache, lp->store_id, ri->leader_addr);
	return rc_insert(c->cache, &ri->region, ri->leader.id);
}

/* The region for op: from the cache, else from the scheduler.  NULL with
 * TK_OK: none known (no scheduler): the request goes unrouted. */
static enum tk_err locate(struct tkv_client *c, const struct route_op *op, struct rc_region **out,
                          struct tk_errbuf *err)
{
	*out = op->before ? rc_find_before(c->cache, op->key, op->key_len, op->before_inf)
	                  : rc_find(c->cache, op->key, op->key_len);
	if (*out || !c->sched_addr[0] ||
	    (c->no_cluster_until_ns && tk_mono_ns() < c->no_cluster_until_ns))
		return TK_OK;
	enum tk_err e;
	if (!c->sched && (e = route_sched_connect(c, err)) != TK_OK) {
		if (!c->address[0])
			return e;
		/* the scheduler is away: the configured store and its hints
		 * will do until it is back */
		c->no_cluster_until_ns = tk_mono_ns() + ROUTE_NO_CLUSTER_RECHECK_NS;
		return TK_OK;
	}
	c->sched_calls++;
	if (op->before) {
		/* the regions over [range_start, key): the last is ours */
		struct tkv_region_info *rs = NULL;
		size_t n = 0;
		bool more = false;
		e = tkv_sched_scan_regions(c->sched, op->range_start, op->range_start_len,
		                           op->before_inf ? NULL : op->key, op->key_len, 0, &rs, &n,
		                           &more, err);
		for (size_t i = 0; !e && i < n; i++)
			insert_info(c, &rs[i]);
		free(rs);
		if (!e && more) {
			/* more than a page of regions below key: ask for the last one */
			struct tkv_region_info *ri = NULL;
			c->sched_calls++;
			e = tkv_sched_get_region(c->sched, op->key, op->key_len, &ri, err);
			if (!e)
				insert_info(c, ri);
			free(ri);
		}
		if (!e)
			*out = rc_find_before(c->cache, op->key, op->key_len, op->before_inf);
	} else {
		struct tkv_region_info *ri = NULL;
		e = tkv_sched_get_region(c->sched, op->key, op->key_len, &ri, err);
		if (!e)
			*out = insert_info(c, ri);
		free(ri);
	}
	if (e == TK_E_NOT_BOOTSTRAPPED && c->address[0]) {
		/* a scheduler without a cluster (a standalone tinykvd next to
		 * it, for timestamps): the configured store serves every key */
		c->no_cluster_until_ns = tk_mono_ns() + ROUTE_NO_CLUSTER_RECHECK_NS;
		*out = NULL;
		return TK_OK;
	}
	if (e)
		return tk_err_wrap(err, e, "routing through the scheduler");
	if (!*out)
		return tk_err_set(err, TK_E_REGION_NOT_FOUND,
		                  "the scheduler knows no region there");
	return TK_OK;
}

enum tk_err route_sched_connect(struct tkv_client *c, struct tk_errbuf *err)
{
	struct tkv_sched_config sc;
	tkv_sched_config_default(&sc);
	sc.address = c->sched_addr;
	sc.name = c->name;
	sc.connect_timeout_ms = c->cfg.connect_timeout_ms;
	sc.timeout_ms = c->cfg.timeout_ms;
	enum tk_err e = tkv_sched_connect(&sc, &c->sched, err);
	if (e) {
		c->sched = NULL;
		tk_err_wrap(err, e, "scheduler");
	}
	return e;
}

/* The client address of store_id: the cache, else the scheduler. */
static const char *store_addr(struct tkv_client *c, uint64_t store_id)
{
	const char *a = rc_store_addr(c->cache, store_id);
	if (a || !c->sched || !store_id)
		return a;
	struct tkv_store_info si;
	struct tk_errbuf eb;
	c->sched_calls++;
	if (tkv_sched_get_store(c->sched, store_id, &si, &eb) != TK_OK || !si.addr[0] ||
	    strcmp(si.state, "tombstone") == 0)
		return NULL;
	rc_set_store_addr(c->cache, store_id, si.addr);
	return rc_store_addr(c->cache, store_id);
}

struct target {
	const char *addr;
	uint64_t store_id, peer_id;
};

/* Where to send for r: its leader, else its peers in turn; unrouted (and
 * a region none of whose stores has an address): the configured store or
 * the last leader hint. */
static void pick(struct tkv_client *c, struct rc_region *r, struct target *t)
{
	memset(t, 0, sizeof *t);
	if (r && r->n_peers) {
		for (size_t i = 0; i < r->n_peers; i++) {
			const struct tkv_peer *p = &r->peers[i];
			if (p->id != r->leader_peer)
				continue;
			if ((t->addr = store_addr(c, p->store_id))) {
				t->store_id = p->store_id;
				t->peer_id = p->id;
				return;
			}
			r->leader_peer = 0; /* its store is unknown: try the others */
		}
		for (size_t k = 0; k < r->n_peers; k++) {
			const struct tkv_peer *p = &r->peers[(r->next_try + k) % r->n_peers];
			if ((t->addr = store_addr(c, p->store_id))) {
				r->next_try = (unsigned)((r->next_try + k) % r->n_peers);
				t->store_id = p->store_id;
				t->peer_id = p->id;
				return;
			}
		}
	}
	t->addr = c->hint_addr[0] ? c->hint_addr : c->address;
}

/* The leader r should be sent to next is unknown or unreachable: move on. */
static void next_peer(struct tkv_client *c, struct rc_region *r, uint64_t failed_store)
{
	if (!r) {
		c->hint_addr[0] = 0; /* back to the configured store */
		return;
	}
	r->leader_peer = 0;
	if (r->n_peers && r->peers[r->next_try % r->n_peers].store_id == failed_store)
		r->next_try++;
	else if (!failed_store)
		r->next_try++;
}

/* ---- outcomes ---- */

/* Learn what a region error says; returns whether the next attempt may go
 * at once (fresh information) rather than after a backoff. */
static bool learn(struct tkv_client *c, struct rc_region **rp, const struct target *t,
                  const struct route_conn *conn, const struct tkv_region_error *re)
{
	struct rc_region *r = *rp;
	if (conn && conn->store_id)
		rc_set_store_addr(c->cache, conn->store_id, conn->addr);
	switch (re->code) {
	case TK_E_NOT_LEADER: {
		uint64_t ls = re->leader.store_id;
		if (ls && re->leader_addr && *re->leader_addr)
			rc_set_store_addr(c->cache, ls, re->leader_addr);
		if (!ls || ls == t->store_id) {
			next_peer(c, r, t->store_id); /* no leader known (an election) */
			return false;
		}
		if (!r) {
			/* unrouted: go where the hint says, if it says where */
			const char *a = re->leader_addr && *re->leader_addr ? re->leader_addr
			                                                    : store_addr(c, ls);
			if (!a)
				return false;
			snprintf(c->hint_addr, sizeof c->hint_addr, "%s", a);
			return true;
		}
		const struct tkv_peer *p = rc_peer_on_store(r, ls);
		if (!p) {
			/* a leader our copy of the region does not know: it is old */
			rc_drop(c->cache, r->id);
			*rp = NULL;
			return true;
		}
		r->leader_peer = p->id;
		return true;
	}
	case TK_E_EPOCH_NOT_MATCH:
	case TK_E_KEY_NOT_IN_REGION: {
		/* the store that answered (unrouted: as its hello said) */
		uint64_t answered = t->store_id ? t->store_id : conn ? conn->store_id : 0;
		uint64_t keep_leader_store = 0;
		if (r) {
			for (size_t i = 0; i < r->n_peers; i++)
				if (r->peers[i].id == r->leader_peer)
					keep_leader_store = r->peers[i].store_id;
			rc_drop(c->cache, r->id);
			*rp = NULL;
		}
		for (size_t i = 0; i < re->n_regions; i++) {
			/* the store that answered leads its copy, as far as we know */
			uint64_t leader = 0;
			for (size_t j = 0; j < re->regions[i].n_peers; j++) {
				uint64_t s = re->regions[i].peers[j].store_id;
				if (s == (keep_leader_store ? keep_leader_store : answered))
					leader = re->regions[i].peers[j].id;
			}
			rc_insert(c->cache, &re->regions[i], leader);
		}
		return re->n_regions > 0;
	}
	case TK_E_REGION_NOT_FOUND:
		if (r)
			rc_drop(c->cache, r->id);
		if (re->region_id)
			rc_drop(c->cache, re->region_id);
		*rp = NULL;
		return false;
	default:
		return false;
	}
}

static bool is_transport(enum tk_err e)
{
	return e == TK_E_TIMEOUT || e == TK_E_CONNECTION || e == TK_E_CLOSED;
}

static enum tk_err unknown_outcome(struct tk_errbuf *err, const char *why)
{
	char was[sizeof err->msg];
	snprintf(was, sizeof was, "%s", err->msg);
	return tk_err_set(err, TK_E_UNKNOWN_OUTCOME,
	                  "outcome unknown, the write may or may not have been applied (%s): %s",
	                  why, was);
}

enum tk_err route_call(struct tkv_client *c, struct route_budget *b, const struct route_op *op,
                       tkv_body_fn fn, void *fn_arg, struct tk_errbuf *err)
{
	unsigned max = c->cfg.max_attempts ? c->cfg.max_attempts : UINT32_MAX;
	unsigned hints = 0; /* hints followed at once in a row */
	enum tk_err e = TK_OK;
	for (;;) {
		uint64_t left = remaining_ms(b);
		if (b->attempts >= max || left == 0) {
			/* the last attempt's error (and region error) stands */
			if (!e)
				e = tk_err_set(err, TK_E_TIMEOUT,
				               "no attempt fitted in the deadline");
			else if (b->attempts > 1 && b->attempts >= max)
				tk_err_wrap(err, e, "gave up after %u attempts", b->attempts);
			else if (b->attempts > 1)
				tk_err_wrap(err, e, "gave up at the %u ms deadline",
				            c->cfg.deadline_ms);
			return b->unknown && op->kind != ROUTE_READ
			           ? unknown_outcome(
			                 err,
			                 "an earlier attempt was sent and its reply never came")
			           : e;
		}
		free(c->last_rerr);
		c->last_rerr = NULL;
		b->attempts++;
		bool last = b->attempts >= max;
		struct rc_region *r = NULL;
		e = locate(c, op, &r, err);
		if (e) {
			if (!last)
				backoff(c, b, 0); /* the scheduler is away or knows nothing yet */
			continue;
		}
		struct target t;
		pick(c, r, &t);
		if (!t.addr || !t.addr[0]) {
			e = tk_err_set(err, TK_E_CONNECTION, "no address known for region %llu",
			               r ? (unsigned long long)r->id : 0ull);
			if (!last)
				backoff(c, b, 0);
			continue;
		}
		struct tk_region_ctx ctx = {0};
		if (r)
			ctx = (struct tk_region_ctx){.region = r->id,
			                             .conf_ver = r->conf_ver,
			                             .version = r->version,
			                             .peer = t.peer_id,
			                             .store = t.store_id};
		const void *body = op->build(op->arg, r, r ? &ctx : NULL);
		if (!body)
			return tk_err_set(err, TK_E_NOMEM, "out of memory");
		unsigned tmo = c->cfg.timeout_ms;
		if (left != UINT64_MAX && (tmo == 0 || left < tmo))
			tmo = (unsigned)left;
		struct route_conn *conn;
		e = route_conn_get(c, t.addr, tmo, &conn, err);
		if (e) {
			/* never sent: safe to retry anything elsewhere */
			if (e == TK_E_BAD_CONFIG)
				return e;
			next_peer(c, r, t.store_id);
			if (!last)
				backoff(c, b, 0);
			continue;
		}
		bool sent;
		e = route_conn_call(c, conn, op->type, body, op->flags, tmo, fn, fn_arg, &sent,
		                    err);
		if (e == TK_OK)
			return TK_OK;
		if (!sent && e != TK_E_TOO_LARGE && e != TK_E_NOMEM && e != TK_E_BAD_REQUEST) {
			/* refused before sending (the connection had failed) */
			next_peer(c, r, t.store_id);
			if (!last)
				backoff(c, b, 0);
			continue;
		}
		if (!sent)
			return e;
		if (e == TK_E_STORE_NOT_MATCH) {
			rc_forget_store(c->cache, t.store_id);
			if (r)
				r->leader_peer = 0;
			continue;
		}
		if (c->last_rerr && last) {
			continue; /* nothing to learn for: no attempt follows */
		} else if (c->last_rerr && op->pinned &&
		           (e == TK_E_EPOCH_NOT_MATCH || e == TK_E_KEY_NOT_IN_REGION ||
		            e == TK_E_REGION_NOT_FOUND)) {
			learn(c, &r, &t, conn, c->last_rerr);
			return e;
		} else if (c->last_rerr) {
			bool at_once = learn(c, &r, &t, conn, c->last_rerr);
			if (at_once && hints++ == 0)
				continue;
			hints = 0;
			if (!last)
				backoff(c, b,
				        c->last_rerr->code == TK_E_SERVER_IS_BUSY
				            ? c->last_rerr->backoff_ms
				            : 0);
			continue;
		}
		if (is_transport(e) || e == TK_E_SHUTTING_DOWN) {
			/* sent, and no answer: applied or not, nobody can say */
			if (op->kind == ROUTE_WRITE_ONCE)
				return unknown_outcome(err, "sent, and no reply came");
			if (op->kind == ROUTE_WRITE)
				b->unknown = true;
			next_peer(c, r, t.store_id);
			if (!last)
				backoff(c, b, 0);
			continue;
		}
		/* an answer that retrying will not change */
		return b->unknown && op->kind != ROUTE_READ
		           ? unknown_outcome(err,
		                             "an earlier attempt was sent and its reply never came")
		           : e;
	}
}

/* A request for one key's region, the same body every attempt. */
struct one {
	void *body;
	struct tk_region_ctx **ctx; /* the body's ctx field */
};

static const void *build_one(void *arg, const struct rc_region *r, struct tk_region_ctx *ctx)
{
	struct one *o = arg;
	(void)r;
	*o->ctx = ctx;
	return o->body;
}

enum tk_err route_call_key(struct tkv_client *c, enum tk_msg_type type, enum route_kind kind,
                           void *body, struct tk_region_ctx **ctx, struct tk_slice key,
                           tkv_body_fn fn, void *fn_arg, struct tk_errbuf *err)
{
	struct tk_errbuf local;
	struct route_budget b;
	route_budget_init(c, &b);
	struct one o = {body, ctx};
	struct route_op op = {.type = type,
	                      .kind = kind,
	                      .key = key.p,
	                      .key_len = key.n,
	                      .build = build_one,
	                      .arg = &o};
	return route_call(c, &b, &op, fn, fn_arg, err ? err : &local);
}
