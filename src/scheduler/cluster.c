#include "scheduler/cluster.h"

#include <stdlib.h>
#include <string.h>

#include "scheduler/u64map.h"

/* Per-store record: the public part plus the per-store region indexes. */
struct store_rec {
	struct store s;
	struct u64map regions; /* ids of regions with a peer here */
	struct u64map leaders; /* ids of regions led from here */
};

struct cluster {
	const struct sched_config *cfg;
	struct rtree *regions;
	struct u64map stores; /* store id -> struct store_rec *, incl. unregistered */
	struct store_rec **order; /* registered stores in registration order */
	size_t n_order, cap_order;
	struct u64vec removed; /* scratch for cluster_hb_result */
	bool oom;              /* an index insert failed during accounting */
};

const char *store_state_name(enum store_state s)
{
	switch (s) {
	case STORE_UP:
		return "up";
	case STORE_DISCONNECTED:
		return "disconnected";
	case STORE_DOWN:
		return "down";
	case STORE_OFFLINE:
		return "offline";
	case STORE_TOMBSTONE:
		return "tombstone";
	}
	return "unknown";
}

struct cluster *cluster_new(const struct sched_config *cfg)
{
	struct cluster *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cfg = cfg;
	if (!(c->regions = rtree_new())) {
		free(c);
		return NULL;
	}
	u64map_init(&c->stores, true);
	u64vec_init(&c->removed);
	return c;
}

void cluster_free(struct cluster *c)
{
	if (!c)
		return;
	size_t pos = 0;
	uint64_t k;
	void *v;
	while (u64map_next(&c->stores, &pos, &k, &v)) {
		struct store_rec *r = v;
		u64map_destroy(&r->regions);
		u64map_destroy(&r->leaders);
		free(r);
		pos++;
	}
	u64map_destroy(&c->stores);
	rtree_free(c->regions);
	u64vec_destroy(&c->removed);
	free(c->order);
	free(c);
}

static struct store_rec *rec_get(const struct cluster *c, uint64_t id)
{
	return u64map_get(&c->stores, id);
}

/* The record of store id, created unregistered on first sight. */
static struct store_rec *rec_obtain(struct cluster *c, uint64_t id)
{
	struct store_rec *r = rec_get(c, id);
	if (r)
		return r;
	if (!(r = calloc(1, sizeof(*r))))
		return NULL;
	r->s.id = id;
	u64map_init(&r->regions, false);
	u64map_init(&r->leaders, false);
	if (!u64map_put(&c->stores, id, r)) {
		free(r);
		return NULL;
	}
	return r;
}

static enum tk_err do_register(struct cluster *c, uint64_t id, const char *address,
			       enum store_admin admin, uint64_t now_ms, struct tk_errbuf *eb)
{
	struct store_rec *r = rec_obtain(c, id);
	if (!r)
		return tk_err_set(eb, TK_E_NOMEM, "store %llu", (unsigned long long)id);
	if (!r->s.registered) {
		if (c->n_order == c->cap_order) {
			size_t ncap = c->cap_order ? c->cap_order * 2 : 8;
			struct store_rec **no = realloc(c->order, ncap * sizeof(*no));
			if (!no)
				return tk_err_set(eb, TK_E_NOMEM, "store %llu",
						  (unsigned long long)id);
			c->order = no;
			c->cap_order = ncap;
		}
		c->order[c->n_order++] = r;
		r->s.registered = true;
		r->s.created_ms = now_ms;
	}
	strcpy(r->s.address, address);
	r->s.admin = admin;
	return TK_OK;
}

enum tk_err cluster_put_store(struct cluster *c, uint64_t id, const char *address,
			      uint64_t now_ms, struct tk_errbuf *eb)
{
	if (id == 0)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "store id 0");
	size_t alen = strlen(address);
	if (alen == 0 || alen >= STORE_ADDRESS_MAX)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "store %llu: bad address length %zu",
				  (unsigned long long)id, alen);
	struct store_rec *r = rec_get(c, id);
	if (r && r->s.registered && r->s.admin == STORE_ADMIN_TOMBSTONE)
		return tk_err_set(eb, TK_E_STORE_TOMBSTONE, "store %llu is a tombstone",
				  (unsigned long long)id);
	for (size_t i = 0; i < c->n_order; i++) {
		const struct store *o = &c->order[i]->s;
		if (o->id != id && o->admin != STORE_ADMIN_TOMBSTONE &&
		    strcmp(o->address, address) == 0)
			return tk_err_set(eb, TK_E_BAD_REQUEST,
					  "store %llu: address %s already used by store %llu",
					  (unsigned long long)id, address,
					  (unsigned long long)o->id);
	}
	return do_register(c, id, address, r && r->s.registered ? r->s.admin : STORE_ADMIN_UP,
			   now_ms, eb);
}

enum tk_err cluster_load_store(struct cluster *c, uint64_t id, const char *address,
			       enum store_admin admin, uint64_t now_ms, struct tk_errbuf *eb)
{
	if (id == 0 || strlen(address) >= STORE_ADDRESS_MAX || admin > STORE_ADMIN_TOMBSTONE)
		return tk_err_set(eb, TK_E_CORRUPTION, "bad persisted store %llu",
				  (unsigned long long)id);
	return do_register(c, id, address, admin, now_ms, eb);
}

static struct store_rec *registered(const struct cluster *c, uint64_t id)
{
	struct store_rec *r = rec_get(c, id);
	return r && r->s.registered ? r : NULL;
}

enum tk_err cluster_store_heartbeat(struct cluster *c, const struct store_stats *st,
				    uint64_t now_ms, struct tk_errbuf *eb)
{
	struct store_rec *r = registered(c, st->store_id);
	if (!r)
		return tk_err_set(eb, TK_E_NOT_FOUND, "store %llu not registered",
				  (unsigned long long)st->store_id);
	if (r->s.admin == STORE_ADMIN_TOMBSTONE)
		return tk_err_set(eb, TK_E_STORE_TOMBSTONE, "store %llu is a tombstone",
				  (unsigned long long)st->store_id);
	r->s.stats = *st;
	if (now_ms > r->s.last_heartbeat_ms)
		r->s.last_heartbeat_ms = now_ms;
	return TK_OK;
}

static enum tk_err set_admin(struct cluster *c, uint64_t id, enum store_admin a,
			     struct tk_errbuf *eb)
{
	struct store_rec *r = registered(c, id);
	if (!r)
		return tk_err_set(eb, TK_E_NOT_FOUND, "store %llu not found",
				  (unsigned long long)id);
	if (r->s.admin == STORE_ADMIN_TOMBSTONE)
		return tk_err_set(eb, TK_E_STORE_TOMBSTONE, "store %llu is a tombstone",
				  (unsigned long long)id);
	r->s.admin = a;
	return TK_OK;
}

enum tk_err cluster_store_set_offline(struct cluster *c, uint64_t id, struct tk_errbuf *eb)
{
	return set_admin(c, id, STORE_ADMIN_OFFLINE, eb);
}

enum tk_err cluster_store_set_up(struct cluster *c, uint64_t id, struct tk_errbuf *eb)
{
	return set_admin(c, id, STORE_ADMIN_UP, eb);
}

const struct store *cluster_store(const struct cluster *c, uint64_t id)
{
	struct store_rec *r = registered(c, id);
	return r ? &r->s : NULL;
}

size_t cluster_store_count(const struct cluster *c)
{
	return c->n_order;
}

const struct store *cluster_store_at(const struct cluster *c, size_t i)
{
	return i < c->n_order ? &c->order[i]->s : NULL;
}

enum store_state cluster_store_state(const struct cluster *c, const struct store *s,
				     uint64_t now_ms)
{
	if (s->admin == STORE_ADMIN_TOMBSTONE)
		return STORE_TOMBSTONE;
	if (s->admin == STORE_ADMIN_OFFLINE)
		return STORE_OFFLINE;
	uint64_t basis = s->last_heartbeat_ms ? s->last_heartbeat_ms : s->created_ms;
	uint64_t age = now_ms > basis ? now_ms - basis : 0;
	if (age >= c->cfg->max_store_down_time_ms)
		return STORE_DOWN;
	if (age >= c->cfg->store_disconnect_time_ms)
		return STORE_DISCONNECTED;
	return STORE_UP;
}

double store_available_ratio(const struct store *s)
{
	if (s->stats.capacity == 0)
		return 1.0;
	return (double)s->stats.available / (double)s->stats.capacity;
}

/* Add (sign +1) or subtract (-1) a region's contribution to its stores.
 * with_sets: also update the per-store id indexes (skipped when a region's
 * peers and leader did not change, the common heartbeat). */
static void account(struct cluster *c, const struct region *r, int sign, bool with_sets)
{
	uint64_t size = region_score_size(r);
	uint64_t leader_store = region_leader_store(r);
	for (size_t i = 0; i < r->n_peers; i++) {
		struct store_rec *s = rec_obtain(c, r->peers[i].store_id);
		if (!s) {
			c->oom = true;
			continue;
		}
		bool pending = region_peer_is_pending(r, r->peers[i].id);
		bool leads = r->peers[i].store_id == leader_store;
		if (sign > 0) {
			s->s.region_count++;
			s->s.region_size += size;
			s->s.pending_peer_count += pending;
			if (leads) {
				s->s.leader_count++;
				s->s.leader_size += size;
			}
			if (with_sets) {
				if (!u64map_put(&s->regions, r->id, NULL))
					c->oom = true;
				if (leads && !u64map_put(&s->leaders, r->id, NULL))
					c->oom = true;
			}
		} else {
			s->s.region_count--;
			s->s.region_size -= size;
			s->s.pending_peer_count -= pending;
			if (leads) {
				s->s.leader_count--;
				s->s.leader_size -= size;
			}
			if (with_sets) {
				u64map_del(&s->regions, r->id);
				if (leads)
					u64map_del(&s->leaders, r->id);
			}
		}
	}
}

static bool same_placement(const struct region *a, const struct region *b)
{
	if (a->n_peers != b->n_peers || region_leader_store(a) != region_leader_store(b))
		return false;
	for (size_t i = 0; i < a->n_peers; i++)
		if (a->peers[i].store_id != b->peers[i].store_id)
			return false;
	return true;
}

struct hb_ctx {
	struct cluster *c;
	const struct region *in;
	bool keep_sets;
};

static void on_removed(void *arg, const struct region *old, bool same_id)
{
	struct hb_ctx *h = arg;
	account(h->c, old, -1, !(same_id && h->keep_sets));
	if (!same_id && !u64vec_push(&h->c->removed, old->id))
		h->c->oom = true;
}

enum tk_err cluster_region_heartbeat(struct cluster *c, const struct region *r, uint64_t now_ms,
				     struct cluster_hb_result *res, struct tk_errbuf *eb)
{
	(void)now_ms; /* reserved: per-region heartbeat times for stale-leader detection */
	const struct region *old = rtree_get(c->regions, r->id);
	struct hb_ctx h = {c, r, old && same_placement(old, r)};
	bool changed = !old || !region_meta_equal(old, r);
	c->removed.n = 0;
	c->oom = false;
	const struct region *stored;
	enum tk_err err = rtree_put(c->regions, r, on_removed, &h, &stored, eb);
	if (err)
		return err;
	account(c, stored, +1, !h.keep_sets);
	if (res) {
		res->stored = stored;
		res->meta_changed = changed || c->removed.n > 0;
		res->removed_ids = c->removed.v;
		res->n_removed = c->removed.n;
	}
	/* The region map itself is right; a failed index insert only makes a
	 * store's sample set incomplete.  Report it so the daemon can log it. */
	if (c->oom)
		return tk_err_set(eb, TK_E_NOMEM, "region %llu: store index",
				  (unsigned long long)r->id);
	return TK_OK;
}

static void on_dropped(void *arg, const struct region *old, bool same_id)
{
	(void)same_id;
	account(arg, old, -1, true);
}

bool cluster_remove_region(struct cluster *c, uint64_t region_id)
{
	return rtree_remove(c->regions, region_id, on_dropped, c);
}

const struct rtree *cluster_regions(const struct cluster *c)
{
	return c->regions;
}

size_t cluster_store_sample(const struct cluster *c, uint64_t store_id, bool leaders_only,
			    uint64_t start, size_t max, const struct region **out)
{
	struct store_rec *s = rec_get(c, store_id);
	if (!s)
		return 0;
	const struct u64map *set = leaders_only ? &s->leaders : &s->regions;
	size_t n = 0, cap = set->cap;
	if (cap == 0 || set->n == 0)
		return 0;
	size_t pos = (size_t)(start & (cap - 1));
	/* One lap around the table at most, from a rotating start slot. */
	for (size_t seen = 0; seen < cap && n < max; seen++, pos = (pos + 1) & (cap - 1)) {
		uint64_t id = u64map_slot_key(set, pos);
		if (id == 0)
			continue;
		const struct region *r = rtree_get(c->regions, id);
		if (r)
			out[n++] = r;
	}
	return n;
}

size_t cluster_tick(struct cluster *c, uint64_t now_ms, cluster_store_fn fn, void *arg)
{
	(void)now_ms;
	size_t changed = 0;
	for (size_t i = 0; i < c->n_order; i++) {
		struct store *s = &c->order[i]->s;
		if (s->admin == STORE_ADMIN_OFFLINE && s->region_count == 0) {
			s->admin = STORE_ADMIN_TOMBSTONE;
			changed++;
			if (fn)
				fn(arg, s);
		}
	}
	return changed;
}

bool cluster_check_counts(const struct cluster *c)
{
	struct u64map want;
	u64map_init(&want, true);
	/* Recount into fresh records, then compare. */
	struct count {
		uint64_t regions, leaders, rsize, lsize, pending;
	};
	bool ok = true;
	for (const struct region *r = rtree_first(c->regions); r; r = rtree_next(c->regions, r)) {
		uint64_t ls = region_leader_store(r);
		for (size_t i = 0; i < r->n_peers; i++) {
			struct count *ct = u64map_get(&want, r->peers[i].store_id);
			if (!ct) {
				ct = calloc(1, sizeof(*ct));
				u64map_put(&want, r->peers[i].store_id, ct);
			}
			ct->regions++;
			ct->rsize += region_score_size(r);
			ct->pending += region_peer_is_pending(r, r->peers[i].id);
			if (r->peers[i].store_id == ls) {
				ct->leaders++;
				ct->lsize += region_score_size(r);
			}
		}
	}
	size_t pos = 0;
	uint64_t id;
	void *v;
	while (u64map_next(&c->stores, &pos, &id, &v)) {
		const struct store_rec *s = v;
		struct count zero = {0, 0, 0, 0, 0};
		const struct count *ct = u64map_get(&want, id);
		if (!ct)
			ct = &zero;
		if (s->s.region_count != ct->regions || s->s.leader_count != ct->leaders ||
		    s->s.region_size != ct->rsize || s->s.leader_size != ct->lsize ||
		    s->s.pending_peer_count != ct->pending ||
		    u64map_count(&s->regions) != ct->regions ||
		    u64map_count(&s->leaders) != ct->leaders)
			ok = false;
		pos++;
	}
	pos = 0;
	while (u64map_next(&want, &pos, &id, &v)) {
		if (!rec_get(c, id))
			ok = false;
		free(v);
		pos++;
	}
	u64map_destroy(&want);
	return ok;
}
