/* tinykv-scheduler's service on the server core: one table from message
 * type to handler; handlers convert between the wire structs
 * (codec/schema_sched.h) and the core's, and call sched_state.c.  Replies
 * are built in the connection's arena (valid until encoded). */
#include <stdio.h>
#include <string.h>

#include "config.h"

#include "meta/region_wire.h"
#include "schedd/service.h"
#include "util/log.h"

typedef enum tk_err (*handler_fn)(struct schedd *d, struct net_conn *c, const void *req,
				  void *resp, struct tk_errbuf *eb);

#define SCAN_DEFAULT_LIMIT 100
#define SCAN_MAX_LIMIT 10000

static struct schedd_svc *svc(struct net_server *s)
{
	return s->svc_data;
}

static struct schedd *state(struct net_server *s)
{
	return svc(s)->state;
}

/* A text field as a C string (truncated at cap - 1; TOO_LARGE instead when
 * it would not fit). */
static enum tk_err cstr(struct tk_slice v, char *buf, size_t cap, const char *what,
			struct tk_errbuf *eb)
{
	if (v.n >= cap)
		return tk_err_set(eb, TK_E_TOO_LARGE, "%s of %zu bytes is too long", what, v.n);
	if (v.n)
		memcpy(buf, v.p, v.n);
	buf[v.n] = 0;
	if (memchr(buf, 0, v.n))
		return tk_err_set(eb, TK_E_BAD_REQUEST, "%s contains a NUL byte", what);
	return TK_OK;
}

static struct tk_slice arena_str(struct net_conn *c, const char *s)
{
	size_t n = strlen(s);
	void *p = tk_arena_dup(&c->arena, s, n ? n : 1);
	return tk_slice_of(p, p ? n : 0);
}

/* ---- wire <-> core ---- */

static bool info_to_wire(struct schedd *d, struct tk_arena *a, const struct region *r,
			 struct tk_sched_region_info *out)
{
	memset(out, 0, sizeof *out);
	if (!(out->region = region_to_wire(a, r)))
		return false;
	const struct region_peer *l = region_leader(r);
	if (l) {
		if (!(out->leader = tk_arena_alloc(a, sizeof *out->leader)))
			return false;
		memset(out->leader, 0, sizeof *out->leader);
		out->leader->id = l->id;
		out->leader->store = l->store_id;
		const struct store *st = cluster_store(d->cluster, l->store_id);
		if (st && st->address[0])
			out->leader_addr = tk_slice_str(st->address); /* stable until the next request */
	}
	out->size = r->approximate_size;
	out->keys = r->approximate_keys;
	if (r->n_pending) {
		out->pending.v = tk_arena_dup(a, r->pending_peer_ids, sizeof(uint64_t) * r->n_pending);
		out->pending.n = (uint32_t)r->n_pending;
		if (!out->pending.v)
			return false;
	}
	if (r->n_down) {
		struct tk_sched_down_peer *dp = tk_arena_alloc(a, sizeof *dp * r->n_down);
		if (!dp)
			return false;
		for (size_t i = 0; i < r->n_down; i++) {
			memset(&dp[i], 0, sizeof dp[i]);
			dp[i].peer = r->down_peers[i].peer_id;
			dp[i].secs = r->down_peers[i].down_seconds;
		}
		out->down.v = dp;
		out->down.n = (uint32_t)r->n_down;
	}
	return true;
}

static const char *step_name(enum op_step_kind k)
{
	switch (k) {
	case OP_STEP_ADD_PEER: return "add_peer";
	case OP_STEP_REMOVE_PEER: return "remove_peer";
	case OP_STEP_TRANSFER_LEADER: return "transfer_leader";
	}
	return "unknown";
}

static void store_to_wire(struct schedd *d, const struct store *st, uint64_t now,
			  struct tk_sched_store *w)
{
	memset(w, 0, sizeof *w);
	w->id = st->id;
	w->addr = tk_slice_str(st->address);
	w->state = tk_slice_str(store_state_name(cluster_store_state(d->cluster, st, now)));
	w->capacity = st->stats.capacity;
	w->available = st->stats.available;
	w->region_count = st->region_count;
	w->leader_count = st->leader_count;
	w->region_size = st->region_size;
	if (st->last_heartbeat_ms)
		w->hb_age_ms = now > st->last_heartbeat_ms ? now - st->last_heartbeat_ms : 0;
}

/* ---- handlers ---- */

static enum tk_err do_ping(struct schedd *d, struct net_conn *c, const void *req, void *resp,
			   struct tk_errbuf *eb)
{
	(void)d, (void)c, (void)req, (void)resp, (void)eb;
	return TK_OK;
}

static enum tk_err do_bootstrap(struct schedd *d, struct net_conn *c, const void *reqp, void *resp,
				struct tk_errbuf *eb)
{
	const struct tk_bootstrap_req *req = reqp;
	(void)resp;
	char addr[STORE_ADDRESS_MAX];
	struct region r;
	enum tk_err e = schedd_check_cluster(d, req->cluster, eb);
	if (e)
		return e;
	if (!req->store)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "store is missing");
	e = cstr(req->store->addr, addr, sizeof addr, "store address", eb);
	if (!e)
		e = region_from_wire(&c->arena, req->region, &r, eb);
	if (!e)
		e = schedd_bootstrap(d, req->store->id, addr, &r, eb);
	return e;
}

static enum tk_err do_is_bootstrapped(struct schedd *d, struct net_conn *c, const void *req,
				      void *respp, struct tk_errbuf *eb)
{
	struct tk_is_bootstrapped_resp *resp = respp;
	(void)c, (void)req, (void)eb;
	resp->bootstrapped = d->bootstrapped;
	resp->cluster = d->cluster_id;
	return TK_OK;
}

static enum tk_err do_alloc_id(struct schedd *d, struct net_conn *c, const void *reqp, void *respp,
			       struct tk_errbuf *eb)
{
	const struct tk_alloc_id_req *req = reqp;
	struct tk_alloc_id_resp *resp = respp;
	(void)c;
	resp->count = req->count ? req->count : 1;
	return schedd_alloc_ids(d, resp->count, &resp->id, eb);
}

static enum tk_err do_put_store(struct schedd *d, struct net_conn *c, const void *reqp, void *resp,
				struct tk_errbuf *eb)
{
	const struct tk_put_store_req *req = reqp;
	(void)c, (void)resp;
	char addr[STORE_ADDRESS_MAX];
	enum tk_err e = schedd_check_cluster(d, req->cluster, eb);
	if (e)
		return e;
	if (!req->store)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "store is missing");
	e = cstr(req->store->addr, addr, sizeof addr, "store address", eb);
	if (!e)
		e = schedd_put_store(d, req->store->id, addr, eb);
	return e;
}

static enum tk_err do_get_store(struct schedd *d, struct net_conn *c, const void *reqp,
				void *respp, struct tk_errbuf *eb)
{
	const struct tk_get_store_req *req = reqp;
	struct tk_get_store_resp *resp = respp;
	const struct store *st = cluster_store(d->cluster, req->id);
	if (!st)
		return tk_err_set(eb, TK_E_NOT_FOUND, "store %llu is not registered",
				  (unsigned long long)req->id);
	if (!(resp->store = tk_arena_alloc(&c->arena, sizeof *resp->store)))
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	store_to_wire(d, st, schedd_now_ms(d), resp->store);
	return TK_OK;
}

static enum tk_err do_get_all_stores(struct schedd *d, struct net_conn *c, const void *reqp,
				     void *respp, struct tk_errbuf *eb)
{
	const struct tk_get_all_stores_req *req = reqp;
	struct tk_get_all_stores_resp *resp = respp;
	size_t n = cluster_store_count(d->cluster);
	struct tk_sched_store *v = tk_arena_alloc(&c->arena, sizeof *v * (n ? n : 1));
	if (!v)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	uint64_t now = schedd_now_ms(d);
	uint32_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct store *st = cluster_store_at(d->cluster, i);
		if (!st->registered)
			continue;
		if (req->no_tombstones && st->admin == STORE_ADMIN_TOMBSTONE)
			continue;
		store_to_wire(d, st, now, &v[k++]);
	}
	resp->stores.v = v;
	resp->stores.n = k;
	return TK_OK;
}

static enum tk_err do_store_heartbeat(struct schedd *d, struct net_conn *c, const void *reqp,
				      void *resp, struct tk_errbuf *eb)
{
	const struct tk_store_heartbeat_req *req = reqp;
	(void)c, (void)resp;
	enum tk_err e = schedd_check_cluster(d, req->cluster, eb);
	if (e)
		return e;
	struct store_stats st = {
		.store_id = req->store,
		.capacity = req->capacity,
		.available = req->available,
		.used_size = req->used,
		.region_count = req->regions,
		.sending_snap_count = req->sending_snaps,
		.receiving_snap_count = req->receiving_snaps,
		.applying_snap_count = req->applying_snaps,
		.is_busy = req->busy,
	};
	return schedd_store_heartbeat(d, &st, eb);
}

/* One region heartbeat (alone or in a batch): *stepp is set to the step
 * for the leader (arena memory) or NULL. */
static enum tk_err heartbeat_one(struct schedd *d, struct net_conn *c,
				 const struct tk_region_heartbeat_req *req, struct tk_sched_step **stepp,
				 struct tk_errbuf *eb)
{
	struct region r;
	*stepp = NULL;
	enum tk_err e = schedd_check_cluster(d, req->cluster, eb);
	if (!e)
		e = region_from_wire(&c->arena, req->region, &r, eb);
	if (e)
		return e;
	if (!req->leader || !req->leader->id)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu: heartbeat without a leader",
				  (unsigned long long)r.id);
	const struct region_peer *lp = region_peer_by_id(&r, req->leader->id);
	if (!lp || lp->store_id != req->leader->store)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu: leader peer %llu on store %llu "
							"is not one of its peers",
				  (unsigned long long)r.id, (unsigned long long)req->leader->id,
				  (unsigned long long)req->leader->store);
	r.leader_peer_id = req->leader->id;
	r.pending_peer_ids = req->pending.v;
	r.n_pending = req->pending.n;
	if (req->down.n) {
		struct region_down_peer *dp = tk_arena_alloc(&c->arena, sizeof *dp * req->down.n);
		if (!dp)
			return tk_err_set(eb, TK_E_NOMEM, "out of memory");
		for (uint32_t i = 0; i < req->down.n; i++)
			dp[i] = (struct region_down_peer){req->down.v[i].peer, req->down.v[i].secs};
		r.down_peers = dp;
		r.n_down = req->down.n;
	}
	r.approximate_size = req->size;
	r.approximate_keys = req->keys;
	struct op_step step;
	bool has;
	if ((e = schedd_region_heartbeat(d, &r, &step, &has, eb)))
		return e;
	if (has) {
		struct tk_sched_step *w = tk_arena_alloc(&c->arena, sizeof *w);
		if (!w)
			return tk_err_set(eb, TK_E_NOMEM, "out of memory");
		memset(w, 0, sizeof *w);
		w->kind = tk_slice_str(step_name(step.kind));
		w->peer = step.peer_id;
		w->store = step.store_id;
		*stepp = w;
	}
	return TK_OK;
}

static enum tk_err do_region_heartbeat(struct schedd *d, struct net_conn *c, const void *reqp,
				       void *respp, struct tk_errbuf *eb)
{
	const struct tk_region_heartbeat_req *req = reqp;
	struct tk_region_heartbeat_resp *resp = respp;
	enum tk_err e = heartbeat_one(d, c, req, &resp->step, eb);
	if (!e)
		resp->region = req->region->id;
	return e;
}

#define MAX_BATCH_BEATS 10000

static enum tk_err do_region_heartbeats(struct schedd *d, struct net_conn *c, const void *reqp,
					void *respp, struct tk_errbuf *eb)
{
	const struct tk_region_heartbeats_req *req = reqp;
	struct tk_region_heartbeats_resp *resp = respp;
	enum tk_err e = schedd_check_cluster(d, req->cluster, eb);
	if (e)
		return e;
	if (req->beats.n > MAX_BATCH_BEATS)
		return tk_err_set(eb, TK_E_TOO_LARGE, "%u heartbeats in one batch, at most %d",
				  req->beats.n, MAX_BATCH_BEATS);
	uint32_t n = req->beats.n;
	struct tk_sched_hb_result *v = tk_arena_alloc(&c->arena, sizeof *v * (n ? n : 1));
	if (!v)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		const struct tk_region_heartbeat_req *b = &req->beats.v[i];
		memset(&v[i], 0, sizeof v[i]);
		v[i].region = b->region ? b->region->id : 0;
		struct tk_errbuf one;
		tk_err_clear(&one);
		e = heartbeat_one(d, c, b, &v[i].step, &one);
		if (e == TK_E_NOMEM)
			return tk_err_set(eb, e, "out of memory");
		if (e) {
			struct tk_error *err = tk_arena_alloc(&c->arena, sizeof *err);
			if (!err)
				return tk_err_set(eb, TK_E_NOMEM, "out of memory");
			memset(err, 0, sizeof *err);
			err->code = tk_slice_str(tk_err_name(e));
			err->msg = arena_str(c, one.msg);
			v[i].error = err;
		}
	}
	resp->results.v = v;
	resp->results.n = n;
	return TK_OK;
}

static enum tk_err bootstrapped(struct schedd *d, struct tk_errbuf *eb)
{
	if (!d->bootstrapped)
		return tk_err_set(eb, TK_E_NOT_BOOTSTRAPPED, "cluster %llu is not bootstrapped yet",
				  (unsigned long long)d->cluster_id);
	return TK_OK;
}

static enum tk_err do_get_region(struct schedd *d, struct net_conn *c, const void *reqp,
				 void *respp, struct tk_errbuf *eb)
{
	const struct tk_get_region_req *req = reqp;
	enum tk_err e = bootstrapped(d, eb);
	if (e)
		return e;
	const struct region *r = rtree_find(cluster_regions(d->cluster), req->key);
	if (!r)
		return tk_err_set(eb, TK_E_REGION_NOT_FOUND, "no region covers that key (yet)");
	if (!info_to_wire(d, &c->arena, r, respp))
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	return TK_OK;
}

static enum tk_err do_get_region_by_id(struct schedd *d, struct net_conn *c, const void *reqp,
				       void *respp, struct tk_errbuf *eb)
{
	const struct tk_get_region_by_id_req *req = reqp;
	enum tk_err e = bootstrapped(d, eb);
	if (e)
		return e;
	const struct region *r = cluster_region(d->cluster, req->id);
	if (!r)
		return tk_err_set(eb, TK_E_REGION_NOT_FOUND, "region %llu is not known",
				  (unsigned long long)req->id);
	if (!info_to_wire(d, &c->arena, r, respp))
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	return TK_OK;
}

static enum tk_err do_scan_regions(struct schedd *d, struct net_conn *c, const void *reqp,
				   void *respp, struct tk_errbuf *eb)
{
	const struct tk_scan_regions_req *req = reqp;
	struct tk_scan_regions_resp *resp = respp;
	enum tk_err e = bootstrapped(d, eb);
	if (e)
		return e;
	uint64_t limit = req->limit ? req->limit : SCAN_DEFAULT_LIMIT;
	if (limit > SCAN_MAX_LIMIT)
		limit = SCAN_MAX_LIMIT;
	/* one more than asked, to tell whether there is more */
	const struct region **rs = tk_arena_alloc(&c->arena, sizeof *rs * (limit + 1));
	struct tk_sched_region_info *v = tk_arena_alloc(&c->arena, sizeof *v * limit);
	if (!rs || !v)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	size_t n = rtree_scan(cluster_regions(d->cluster), req->start, (size_t)limit + 1, rs);
	size_t k = 0;
	bool ended = false;
	size_t budget = c->srv->cfg.max_frame / 2, used = 0;
	for (; k < n && k < limit; k++) {
		if (req->end.n && tk_slice_cmp(region_start(rs[k]), req->end) >= 0) {
			ended = true;
			break;
		}
		used += 64 + rs[k]->start_len + rs[k]->end_len + 24 * rs[k]->n_peers;
		if (used > budget)
			break;
		if (!info_to_wire(d, &c->arena, rs[k], &v[k]))
			return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	}
	resp->regions.v = v;
	resp->regions.n = (uint32_t)k;
	/* more: a region we did not send that still starts before end */
	resp->more = !ended && k < n && !(req->end.n && tk_slice_cmp(region_start(rs[k]), req->end) >= 0);
	return TK_OK;
}

static enum tk_err do_ask_split(struct schedd *d, struct net_conn *c, const void *reqp,
				void *respp, struct tk_errbuf *eb)
{
	const struct tk_ask_split_req *req = reqp;
	struct tk_ask_split_resp *resp = respp;
	struct region r;
	enum tk_err e = region_from_wire(&c->arena, req->region, &r, eb);
	if (e)
		return e;
	uint64_t *ids = tk_arena_alloc(&c->arena, sizeof *ids * (r.n_peers ? r.n_peers : 1));
	if (!ids)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	if ((e = schedd_ask_split(d, &r, &resp->new_region, ids, eb)))
		return e;
	resp->new_peers.v = ids;
	resp->new_peers.n = (uint32_t)r.n_peers;
	return TK_OK;
}

static enum tk_err do_store_offline(struct schedd *d, struct net_conn *c, const void *reqp,
				    void *resp, struct tk_errbuf *eb)
{
	const struct tk_store_offline_req *req = reqp;
	(void)c, (void)resp;
	return schedd_store_offline(d, req->id, req->cancel, eb);
}

static enum tk_err do_list_operators(struct schedd *d, struct net_conn *c, const void *req,
				     void *respp, struct tk_errbuf *eb)
{
	struct tk_list_operators_resp *resp = respp;
	(void)req;
	size_t n = opctl_total(d->ops);
	struct tk_sched_op *v = tk_arena_alloc(&c->arena, sizeof *v * (n ? n : 1));
	if (!v)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	uint64_t now = schedd_now_ms(d);
	for (size_t i = 0; i < n; i++) {
		const struct operator *op = opctl_at(d->ops, i);
		struct tk_sched_step *st = tk_arena_alloc(&c->arena, sizeof *st * (op->n_steps ? op->n_steps : 1));
		if (!st)
			return tk_err_set(eb, TK_E_NOMEM, "out of memory");
		memset(&v[i], 0, sizeof v[i]);
		v[i].region = op->region_id;
		v[i].kind = tk_slice_str(op_kind_name(op->kind));
		v[i].desc = arena_str(c, op->desc);
		for (size_t j = 0; j < op->n_steps; j++) {
			memset(&st[j], 0, sizeof st[j]);
			st[j].kind = tk_slice_str(step_name(op->steps[j].kind));
			st[j].peer = op->steps[j].peer_id;
			st[j].store = op->steps[j].store_id;
		}
		v[i].steps.v = st;
		v[i].steps.n = (uint32_t)op->n_steps;
		v[i].cur = op->cur;
		v[i].age_ms = now > op->create_ms ? now - op->create_ms : 0;
	}
	resp->ops.v = v;
	resp->ops.n = (uint32_t)n;
	return TK_OK;
}

static enum tk_err do_list_schedulers(struct schedd *d, struct net_conn *c, const void *req,
				      void *respp, struct tk_errbuf *eb)
{
	struct tk_list_schedulers_resp *resp = respp;
	(void)req;
	size_t nk;
	const struct sched_kind *kinds = sched_kinds(&nk);
	struct tk_slice *a = tk_arena_alloc(&c->arena, sizeof *a * (d->reg.n + 1));
	struct tk_slice *b = tk_arena_alloc(&c->arena, sizeof *b * (nk + 1));
	if (!a || !b)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	for (size_t i = 0; i < d->reg.n; i++)
		a[i] = tk_slice_str(d->reg.active[i]->name);
	for (size_t i = 0; i < nk; i++)
		b[i] = tk_slice_str(kinds[i].name);
	resp->active = (struct tk_binlist){a, (uint32_t)d->reg.n};
	resp->available = (struct tk_binlist){b, (uint32_t)nk};
	return TK_OK;
}

static enum tk_err do_scheduler_change(struct schedd *d, const void *reqp, bool add,
				       struct tk_errbuf *eb)
{
	const struct tk_scheduler_name_req *req = reqp;
	char name[64];
	enum tk_err e = cstr(req->name, name, sizeof name, "scheduler name", eb);
	if (e)
		return e;
	return add ? schedd_add_scheduler(d, name, eb) : schedd_remove_scheduler(d, name, eb);
}

static enum tk_err do_add_scheduler(struct schedd *d, struct net_conn *c, const void *req,
				    void *resp, struct tk_errbuf *eb)
{
	(void)c, (void)resp;
	return do_scheduler_change(d, req, true, eb);
}

static enum tk_err do_remove_scheduler(struct schedd *d, struct net_conn *c, const void *req,
				       void *resp, struct tk_errbuf *eb)
{
	(void)c, (void)resp;
	return do_scheduler_change(d, req, false, eb);
}

static enum tk_err do_get_config(struct schedd *d, struct net_conn *c, const void *reqp,
				 void *respp, struct tk_errbuf *eb)
{
	const struct tk_get_config_req *req = reqp;
	struct tk_get_config_resp *resp = respp;
	char name[64];
	size_t n;
	const struct sched_config_setting *set = sched_config_settings(&n);
	struct tk_kv *kv = tk_arena_alloc(&c->arena, sizeof *kv * (n ? n : 1));
	if (!kv)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	enum tk_err e = TK_OK;
	if (req->name.p && (e = cstr(req->name, name, sizeof name, "setting name", eb)))
		return e;
	struct tk_buf v;
	tk_buf_init(&v);
	uint32_t k = 0;
	for (size_t i = 0; i < n && !e; i++) {
		if (req->name.p && strcmp(set[i].name, name) != 0)
			continue;
		tk_buf_reset(&v);
		if ((e = sched_config_get(&d->cfg, set[i].name, &v, eb)))
			break;
		kv[k].k = tk_slice_str(set[i].name);
		kv[k].v = tk_slice_of(tk_arena_dup(&c->arena, v.len ? (void *)v.data : "", v.len ? v.len : 1),
				      v.len);
		if (!kv[k].v.p)
			e = tk_err_set(eb, TK_E_NOMEM, "out of memory");
		k++;
	}
	tk_buf_destroy(&v);
	if (!e && req->name.p && k == 0)
		e = tk_err_set(eb, TK_E_NOT_FOUND, "no setting named '%s'", name);
	resp->settings = (struct tk_kvlist){kv, k};
	return e;
}

static enum tk_err do_set_config(struct schedd *d, struct net_conn *c, const void *reqp,
				 void *resp, struct tk_errbuf *eb)
{
	const struct tk_set_config_req *req = reqp;
	(void)c, (void)resp;
	char name[64], value[256];
	enum tk_err e = cstr(req->name, name, sizeof name, "setting name", eb);
	if (!e)
		e = cstr(req->value, value, sizeof value, "value", eb);
	if (!e)
		e = schedd_config_set(d, name, value, eb);
	return e;
}

static const handler_fn handlers[TK_MSG__COUNT] = {
	[TK_MSG_ping] = do_ping,
	[TK_MSG_bootstrap] = do_bootstrap,
	[TK_MSG_is_bootstrapped] = do_is_bootstrapped,
	[TK_MSG_alloc_id] = do_alloc_id,
	[TK_MSG_put_store] = do_put_store,
	[TK_MSG_get_store] = do_get_store,
	[TK_MSG_get_all_stores] = do_get_all_stores,
	[TK_MSG_store_heartbeat] = do_store_heartbeat,
	[TK_MSG_region_heartbeat] = do_region_heartbeat,
	[TK_MSG_region_heartbeats] = do_region_heartbeats,
	[TK_MSG_get_region] = do_get_region,
	[TK_MSG_get_region_by_id] = do_get_region_by_id,
	[TK_MSG_scan_regions] = do_scan_regions,
	[TK_MSG_ask_split] = do_ask_split,
	[TK_MSG_store_offline] = do_store_offline,
	[TK_MSG_list_operators] = do_list_operators,
	[TK_MSG_list_schedulers] = do_list_schedulers,
	[TK_MSG_add_scheduler] = do_add_scheduler,
	[TK_MSG_remove_scheduler] = do_remove_scheduler,
	[TK_MSG_get_config] = do_get_config,
	[TK_MSG_set_config] = do_set_config,
};

/* Every request is answered at once (each state change is written by
 * state.c itself before its reply), except a get_ts that has to wait for
 * the clock (tso_wait.h). */
static enum net_outcome execute(struct net_server *s, const struct net_req *r, const void *req,
				void *resp, enum tk_err *code, struct tk_errbuf *eb)
{
	enum tk_msg_type type = r->type;
	if (type == TK_MSG_get_ts && !s->shutting_down)
		return tso_waitq_get(svc(s)->tsoq, r, ((const struct tk_get_ts_req *)req)->count,
				     resp, code, eb);
	if (type >= TK_MSG__COUNT || !handlers[type])
		*code = tk_err_set(eb, TK_E_UNKNOWN_MESSAGE, "message '%s' is not served by the scheduler",
				   type < TK_MSG__COUNT ? tk_msg_defs[type].name : "?");
	else if (s->shutting_down && type != TK_MSG_ping)
		*code = tk_err_set(eb, TK_E_SHUTTING_DOWN, "scheduler is shutting down");
	else
		*code = handlers[type](state(s), r->conn, req, resp, eb);
	return NET_ANSWER;
}

static bool accepts_role(struct tk_slice role, char *why, size_t whylen)
{
	if (tk_slice_eq(role, tk_slice_str("client")) || tk_slice_eq(role, tk_slice_str("store")))
		return true;
	snprintf(why, whylen, "role '%.*s' not served: the scheduler talks to stores and clients",
		 (int)(role.n > 32 ? 32 : role.n), role.p);
	return false;
}

static size_t status_extra(struct net_server *s, struct net_status_field *f, size_t max)
{
	struct schedd *d = state(s);
	size_t n = 0;
#define NUM(k, v) if (n < max) f[n++] = (struct net_status_field){k, false, NULL, (uint64_t)(v)}
	if (n < max)
		f[n++] = (struct net_status_field){"bootstrapped", true, d->bootstrapped ? "yes" : "no", 0};
	NUM("stores", cluster_store_count(d->cluster));
	NUM("regions", rtree_count(cluster_regions(d->cluster)));
	NUM("operators_running", opctl_total(d->ops));
	NUM("operators_created", d->stats.ops_created);
	NUM("operators_finished", d->stats.ops_finished);
	NUM("operators_timeout", d->stats.ops_timeout);
	NUM("operators_cancelled", d->stats.ops_cancelled);
	NUM("region_heartbeats", d->stats.region_heartbeats);
	NUM("region_heartbeats_stale", d->stats.stale_heartbeats);
	NUM("store_heartbeats", d->stats.store_heartbeats);
	NUM("tso_last", tso_last(&d->tso));
	NUM("tso_window_persists", d->stats.tso_persists);
	NUM("tso_waiting", tso_waitq_len(svc(s)->tsoq));
	NUM("tso_clock_waits", tso_waitq_total(svc(s)->tsoq));
	NUM("id_next", d->ids.next);
	NUM("id_window_persists", d->stats.id_persists);
#undef NUM
	return n;
}

static void metrics_extra(struct net_server *s, struct tk_buf *out)
{
	struct schedd *d = state(s);
#define METRIC(name, type, help, v)                                                              \
	tk_buf_printf(out, "# HELP " name " " help "\n# TYPE " name " " type "\n" name " %llu\n", \
		      (unsigned long long)(v))
	METRIC("tinykv_sched_stores", "gauge", "Registered stores.", cluster_store_count(d->cluster));
	METRIC("tinykv_sched_regions", "gauge", "Regions in the cluster map.",
	       rtree_count(cluster_regions(d->cluster)));
	METRIC("tinykv_sched_operators", "gauge", "Running operators.", opctl_total(d->ops));
	METRIC("tinykv_sched_operators_created_total", "counter", "Operators created.", d->stats.ops_created);
	METRIC("tinykv_sched_operators_finished_total", "counter", "Operators finished.", d->stats.ops_finished);
	METRIC("tinykv_sched_operators_timeout_total", "counter", "Operators timed out.", d->stats.ops_timeout);
	METRIC("tinykv_sched_operators_cancelled_total", "counter", "Operators cancelled or replaced.",
	       d->stats.ops_cancelled);
	METRIC("tinykv_sched_region_heartbeats_stale_total", "counter", "Region heartbeats refused as stale.",
	       d->stats.stale_heartbeats);
	METRIC("tinykv_sched_tso_window_persists_total", "counter", "TSO windows persisted.", d->stats.tso_persists);
	METRIC("tinykv_sched_tso_clock_waits_total", "counter",
	       "get_ts requests that waited for the clock (their millisecond was used up).",
	       tso_waitq_total(svc(s)->tsoq));
	METRIC("tinykv_sched_id_window_persists_total", "counter", "Id windows persisted.", d->stats.id_persists);
#undef METRIC
	size_t n = cluster_store_count(d->cluster);
	uint64_t now = schedd_now_ms(d);
	tk_buf_printf(out, "# HELP tinykv_sched_store_regions Regions with a peer on a store.\n"
			   "# TYPE tinykv_sched_store_regions gauge\n");
	for (size_t i = 0; i < n; i++) {
		const struct store *st = cluster_store_at(d->cluster, i);
		tk_buf_printf(out, "tinykv_sched_store_regions{store=\"%llu\",state=\"%s\"} %llu\n",
			      (unsigned long long)st->id,
			      store_state_name(cluster_store_state(d->cluster, st, now)),
			      (unsigned long long)st->region_count);
	}
	tk_buf_printf(out, "# HELP tinykv_sched_store_leaders Regions led from a store.\n"
			   "# TYPE tinykv_sched_store_leaders gauge\n");
	for (size_t i = 0; i < n; i++) {
		const struct store *st = cluster_store_at(d->cluster, i);
		tk_buf_printf(out, "tinykv_sched_store_leaders{store=\"%llu\"} %llu\n",
			      (unsigned long long)st->id, (unsigned long long)st->leader_count);
	}
}

const struct net_service schedd_service = {
	.server_name = "tinykv-scheduler " PACKAGE_VERSION,
	.role = "scheduler",
	.mode = "scheduler",
	.inline_cmds = schedd_inline_cmds,
	.accepts_role = accepts_role,
	.execute = execute,
	.status_extra = status_extra,
	.metrics_extra = metrics_extra,
};
