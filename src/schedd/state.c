/* tinykv-scheduler's state: the core bound to its LevelDB and clocks (see
 * sched_state.h for what is persisted when). */
#include "schedd/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/coordinator.h"
#include "scheduler/persist_store.h"
#include "util/clock.h"
#include "util/log.h"

#define TSO_WINDOW_MS 3000
#define ID_STEP 1000

static uint64_t real_wall_ms(void *arg)
{
	(void)arg;
	return tk_wall_ms();
}

static uint64_t real_mono_ms(void *arg)
{
	(void)arg;
	return tk_mono_ns() / 1000000u;
}

uint64_t schedd_now_ms(struct schedd *d)
{
	return d->mono_ms(d->clock_arg);
}

/* ---- writing records (formats and keys: scheduler/persist_store.h) ---- */

/* Write d->batch with fsync; the batch is cleared first by the callers. */
static enum tk_err write_synced(struct schedd *d, const char *what, struct tk_errbuf *eb)
{
	enum tk_err e = eng_write(d->eng, d->batch, true, eb);
	if (e)
		tk_err_wrap(eb, e, "persist %s", what);
	return e;
}

static enum tk_err save_store(struct schedd *d, uint64_t id, struct tk_errbuf *eb)
{
	const struct store *s = cluster_store(d->cluster, id);
	if (!s)
		return TK_OK;
	eng_batch_clear(d->batch);
	if (!sps_put_store(d->batch, s))
		return tk_err_set(eb, TK_E_NOMEM, "encoding store %llu", (unsigned long long)id);
	return write_synced(d, "store", eb);
}

static enum tk_err save_config(struct schedd *d, struct tk_errbuf *eb)
{
	eng_batch_clear(d->batch);
	if (!sps_put_config(d->batch, &d->cfg))
		return tk_err_set(eb, TK_E_NOMEM, "encoding the config");
	return write_synced(d, "config", eb);
}

static enum tk_err save_schedulers(struct schedd *d, struct tk_errbuf *eb)
{
	eng_batch_clear(d->batch);
	if (!sps_put_schedulers(d->batch, &d->reg))
		return tk_err_set(eb, TK_E_NOMEM, "encoding the scheduler list");
	return write_synced(d, "scheduler list", eb);
}

/* ---- ids and timestamps ---- */

static enum tk_err ids_to(struct schedd *d, uint64_t limit, struct tk_errbuf *eb)
{
	enum tk_err e = sps_save_id_limit(d->eng, limit, eb);
	if (e)
		return e;
	idalloc_set_limit(&d->ids, limit);
	d->stats.id_persists++;
	return TK_OK;
}

enum tk_err schedd_alloc_ids(struct schedd *d, uint64_t count, uint64_t *first,
			     struct tk_errbuf *eb)
{
	if (count == 0)
		count = 1;
	if (count > SCHEDD_MAX_ID_COUNT)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "count %llu is above the limit of %u ids",
				  (unsigned long long)count, SCHEDD_MAX_ID_COUNT);
	for (;;) {
		uint64_t limit;
		switch (idalloc_alloc(&d->ids, count, first, &limit)) {
		case IDALLOC_OK:
			return TK_OK;
		case IDALLOC_NEED_PERSIST: {
			enum tk_err e = ids_to(d, limit, eb);
			if (e)
				return e;
			break;
		}
		case IDALLOC_BAD_COUNT:
			return tk_err_set(eb, TK_E_BAD_REQUEST, "bad id count %llu",
					  (unsigned long long)count);
		}
	}
}

/* Make sure no id up to `seen` is ever handed out (ids found in metadata
 * that a lost window might have allocated). */
static enum tk_err ids_above(struct schedd *d, uint64_t seen, struct tk_errbuf *eb)
{
	uint64_t limit;
	if (idalloc_bump(&d->ids, seen + 1, &limit))
		return ids_to(d, limit, eb);
	return TK_OK;
}

static enum tk_err tso_to(struct schedd *d, uint64_t limit, struct tk_errbuf *eb)
{
	enum tk_err e = sps_save_tso_limit(d->eng, limit, eb);
	if (e)
		return e;
	tso_set_limit(&d->tso, limit);
	d->stats.tso_persists++;
	return TK_OK;
}

enum tk_err schedd_get_ts(struct schedd *d, uint64_t count, uint64_t *first, uint64_t *wait_until,
			  struct tk_errbuf *eb)
{
	*wait_until = 0;
	if (count == 0)
		count = 1;
	if (count > TSO_MAX_COUNT)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "count %llu is above the limit of %llu timestamps",
				  (unsigned long long)count, (unsigned long long)TSO_MAX_COUNT);
	for (;;) {
		uint64_t limit;
		switch (tso_alloc(&d->tso, d->wall_ms(d->clock_arg), (uint32_t)count, first, &limit)) {
		case TSO_OK:
			return TK_OK;
		case TSO_NEED_PERSIST: {
			enum tk_err e = tso_to(d, limit, eb);
			if (e)
				return e;
			break;
		}
		case TSO_WAIT:
			*wait_until = limit;
			return TK_OK;
		case TSO_BAD_COUNT:
			return tk_err_set(eb, TK_E_BAD_REQUEST, "bad timestamp count %llu",
					  (unsigned long long)count);
		}
	}
}

/* ---- loading ---- */

static void op_ended(void *arg, const struct operator *op)
{
	struct schedd *d = arg;
	char buf[160];
	op_format(op, buf, sizeof buf);
	switch (op->status) {
	case OP_FINISHED: d->stats.ops_finished++; break;
	case OP_TIMEOUT: d->stats.ops_timeout++; break;
	default: d->stats.ops_cancelled++; break;
	}
	LOG_INFO("operator %s: region=%llu %s", op_status_name(op->status),
		 (unsigned long long)op->region_id, buf);
}

enum tk_err schedd_open(struct schedd *d, struct eng *eng, uint64_t want_cluster_id,
			uint64_t gen_cluster_id, struct tk_errbuf *eb)
{
	d->eng = eng;
	if (!d->wall_ms)
		d->wall_ms = real_wall_ms;
	if (!d->mono_ms)
		d->mono_ms = real_mono_ms;
	tk_buf_init(&d->patrol_cursor);
	sched_config_default(&d->cfg);
	sched_registry_init_default(&d->reg);
	d->batch = eng_batch_new();
	d->cluster = cluster_new(&d->cfg);
	d->ops = opctl_new(op_ended, d);
	if (!d->batch || !d->cluster || !d->ops)
		return tk_err_set(eb, TK_E_NOMEM, "scheduler state");

	struct sps_loaded ld;
	enum tk_err e = sps_load(eng, d->cluster, &d->cfg, &d->reg, schedd_now_ms(d), &ld, eb);
	if (e)
		return e;
	if (ld.have_cluster) {
		d->cluster_id = ld.cluster_id;
		d->bootstrapped = ld.bootstrapped;
		if (want_cluster_id && want_cluster_id != d->cluster_id)
			return tk_err_set(eb, TK_E_CLUSTER_MISMATCH,
					  "data dir belongs to cluster %llu, not %llu (--cluster-id)",
					  (unsigned long long)d->cluster_id,
					  (unsigned long long)want_cluster_id);
	} else {
		d->cluster_id = want_cluster_id ? want_cluster_id : gen_cluster_id;
		if (!d->cluster_id)
			return tk_err_set(eb, TK_E_BAD_CONFIG, "cluster id 0 is not allowed");
		eng_batch_clear(d->batch);
		if (!sps_put_cluster(d->batch, d->cluster_id, false))
			return tk_err_set(eb, TK_E_NOMEM, "encoding the cluster record");
		if ((e = write_synced(d, "cluster record", eb)))
			return e;
		LOG_INFO("new cluster id=%llu", (unsigned long long)d->cluster_id);
	}
	if (ld.n_stale_regions)
		LOG_WARN("load: %zu region records superseded by newer overlapping regions, skipped",
			 ld.n_stale_regions);
	tso_init(&d->tso, ld.tso_limit, TSO_WINDOW_MS);
	idalloc_init(&d->ids, ld.id_limit, ID_STEP);
	/* ids a lost window handed out are seen in the metadata: never again */
	if ((e = ids_above(d, ld.max_id_seen, eb)))
		return e;
	LOG_INFO("scheduler state loaded cluster=%llu bootstrapped=%s stores=%zu regions=%zu "
		 "next_id=%llu tso_limit_ms=%llu",
		 (unsigned long long)d->cluster_id, d->bootstrapped ? "yes" : "no", ld.n_stores,
		 ld.n_regions, (unsigned long long)d->ids.next, (unsigned long long)ld.tso_limit);
	return TK_OK;
}

void schedd_close(struct schedd *d)
{
	if (d->ops)
		opctl_free(d->ops);
	if (d->cluster)
		cluster_free(d->cluster);
	if (d->batch)
		eng_batch_free(d->batch);
	tk_buf_destroy(&d->patrol_cursor);
	d->ops = NULL;
	d->cluster = NULL;
	d->batch = NULL;
}

enum tk_err schedd_config_set(struct schedd *d, const char *name, const char *value,
			      struct tk_errbuf *eb)
{
	struct sched_config old = d->cfg;
	enum tk_err e = sched_config_set(&d->cfg, name, value, eb);
	if (e)
		return e;
	e = save_config(d, eb);
	if (e)
		d->cfg = old;
	else
		LOG_INFO("config set %s = %s", name, value);
	return e;
}

enum tk_err schedd_check_cluster(const struct schedd *d, uint64_t cluster, struct tk_errbuf *eb)
{
	if (cluster && cluster != d->cluster_id)
		return tk_err_set(eb, TK_E_CLUSTER_MISMATCH,
				  "request is for cluster %llu, this scheduler serves cluster %llu",
				  (unsigned long long)cluster, (unsigned long long)d->cluster_id);
	return TK_OK;
}

static enum tk_err need_bootstrap(const struct schedd *d, struct tk_errbuf *eb)
{
	if (!d->bootstrapped)
		return tk_err_set(eb, TK_E_NOT_BOOTSTRAPPED,
				  "cluster %llu is not bootstrapped yet (send bootstrap first)",
				  (unsigned long long)d->cluster_id);
	return TK_OK;
}

/* ---- stores ---- */

enum tk_err schedd_bootstrap(struct schedd *d, uint64_t store_id, const char *addr,
			     const struct region *r, struct tk_errbuf *eb)
{
	if (d->bootstrapped)
		return tk_err_set(eb, TK_E_ALREADY_BOOTSTRAPPED, "cluster %llu is already bootstrapped",
				  (unsigned long long)d->cluster_id);
	enum tk_err e = region_validate(r, eb);
	if (e)
		return e;
	if (!region_store_peer(r, store_id))
		return tk_err_set(eb, TK_E_BAD_REQUEST,
				  "bootstrap region %llu has no peer on store %llu",
				  (unsigned long long)r->id, (unsigned long long)store_id);
	uint64_t now = schedd_now_ms(d);
	if ((e = cluster_put_store(d->cluster, store_id, addr, now, eb)))
		return e;
	struct cluster_hb_result res;
	if ((e = cluster_region_heartbeat(d->cluster, r, now, &res, eb)))
		return e;
	/* one synced batch: the cluster exists with its first store and
	 * region, or not at all */
	eng_batch_clear(d->batch);
	if (!sps_put_store(d->batch, cluster_store(d->cluster, store_id)) ||
	    !sps_put_region(d->batch, res.stored) || !sps_put_cluster(d->batch, d->cluster_id, true))
		return tk_err_set(eb, TK_E_NOMEM, "encoding the bootstrap records");
	if ((e = write_synced(d, "bootstrap", eb)))
		return e;
	d->bootstrapped = true;
	uint64_t max_id = store_id > r->id ? store_id : r->id;
	for (size_t i = 0; i < r->n_peers; i++)
		if (r->peers[i].id > max_id)
			max_id = r->peers[i].id;
	LOG_INFO("cluster %llu bootstrapped store=%llu region=%llu", (unsigned long long)d->cluster_id,
		 (unsigned long long)store_id, (unsigned long long)r->id);
	return ids_above(d, max_id, eb);
}

enum tk_err schedd_put_store(struct schedd *d, uint64_t id, const char *addr, struct tk_errbuf *eb)
{
	enum tk_err e = need_bootstrap(d, eb);
	if (e)
		return e;
	const struct store *old = cluster_store(d->cluster, id);
	bool same = old && old->registered && strcmp(old->address, addr) == 0;
	if ((e = cluster_put_store(d->cluster, id, addr, schedd_now_ms(d), eb)))
		return e;
	if (same)
		return TK_OK;
	LOG_INFO("store registered id=%llu addr=%s", (unsigned long long)id, addr);
	if ((e = save_store(d, id, eb)))
		return e;
	return ids_above(d, id, eb);
}

enum tk_err schedd_store_heartbeat(struct schedd *d, const struct store_stats *st,
				   struct tk_errbuf *eb)
{
	enum tk_err e = need_bootstrap(d, eb);
	if (e)
		return e;
	d->stats.store_heartbeats++;
	return cluster_store_heartbeat(d->cluster, st, schedd_now_ms(d), eb);
}

enum tk_err schedd_store_offline(struct schedd *d, uint64_t id, bool cancel, struct tk_errbuf *eb)
{
	enum tk_err e = need_bootstrap(d, eb);
	if (e)
		return e;
	e = cancel ? cluster_store_set_up(d->cluster, id, eb)
		   : cluster_store_set_offline(d->cluster, id, eb);
	if (e)
		return e;
	LOG_INFO("store %s id=%llu", cancel ? "back up" : "offline", (unsigned long long)id);
	return save_store(d, id, eb);
}

/* ---- regions ---- */

static uint64_t alloc_peer_id(void *arg)
{
	struct schedd *d = arg;
	uint64_t id;
	if (schedd_alloc_ids(d, 1, &id, &d->alloc_err) != TK_OK) {
		LOG_ERROR("cannot allocate a peer id: %s", d->alloc_err.msg);
		return 0;
	}
	return id;
}

static void make_ctx(struct schedd *d, struct sched_ctx *ctx, uint64_t now)
{
	*ctx = (struct sched_ctx){.cluster = d->cluster,
				  .cfg = &d->cfg,
				  .ops = d->ops,
				  .now_ms = now,
				  .seed = d->seed++,
				  .alloc_peer_id = alloc_peer_id,
				  .alloc_arg = d};
}

static void add_op(struct schedd *d, const struct operator *op)
{
	struct tk_errbuf eb;
	if (opctl_add(d->ops, op, &eb) != TK_OK) {
		LOG_DEBUG("operator not added: region=%llu: %s", (unsigned long long)op->region_id, eb.msg);
		return;
	}
	d->stats.ops_created++;
	char buf[160];
	op_format(op, buf, sizeof buf);
	LOG_INFO("operator created region=%llu %s", (unsigned long long)op->region_id, buf);
}

static void stale_detail(struct schedd *d, const struct region *r, struct tk_errbuf *eb)
{
	const struct region *cur = cluster_region(d->cluster, r->id);
	if (cur && eb)
		tk_err_wrap(
		    eb, eb->code,
		    "region %llu epoch (conf_ver %llu, version %llu) vs stored (conf_ver %llu, "
		    "version %llu)",
		    (unsigned long long)r->id, (unsigned long long)r->epoch.conf_ver,
		    (unsigned long long)r->epoch.version, (unsigned long long)cur->epoch.conf_ver,
		    (unsigned long long)cur->epoch.version);
}

enum tk_err schedd_region_heartbeat(struct schedd *d, const struct region *r,
				    struct op_step *step, bool *has_step, struct tk_errbuf *eb)
{
	*has_step = false;
	enum tk_err e = need_bootstrap(d, eb);
	if (e)
		return e;
	uint64_t now = schedd_now_ms(d);
	struct coord_hb_out out;
	d->stats.region_heartbeats++;
	e = coord_region_heartbeat(d->cluster, d->ops, r, now, &out, eb);
	if (e == TK_E_STALE_COMMAND)
		d->stats.stale_heartbeats++; /* the core's message names both epochs */
	if (e)
		return e;
	if (out.hb.meta_changed || out.hb.n_removed) {
		eng_batch_clear(d->batch);
		if (!sps_put_heartbeat(d->batch, &out.hb))
			return tk_err_set(eb, TK_E_NOMEM, "encoding region %llu", (unsigned long long)r->id);
		/* no fsync: see sched_state.h */
		if ((e = eng_write(d->eng, d->batch, false, eb)))
			return tk_err_wrap(eb, e, "persist region %llu", (unsigned long long)r->id);
		d->stats.region_writes++;
	}
	const struct region *stored = out.hb.stored;
	*has_step = out.send;
	*step = out.step;
	if (!*has_step && !opctl_get(d->ops, stored->id) &&
	    opctl_count(d->ops, OP_KIND_REPLICA) < d->cfg.replica_schedule_limit) {
		/* repair at once rather than at the next patrol */
		struct sched_ctx ctx;
		struct operator op;
		make_ctx(d, &ctx, now);
		if (sched_check_replicas(&ctx, stored, &op)) {
			add_op(d, &op);
			*has_step = opctl_region_heartbeat(d->ops, stored, now, step);
		}
	}
	return TK_OK;
}

enum tk_err schedd_ask_split(struct schedd *d, const struct region *r, uint64_t *new_region,
			     uint64_t *peer_ids, struct tk_errbuf *eb)
{
	enum tk_err e = need_bootstrap(d, eb);
	if (e)
		return e;
	const struct region *cur = cluster_region(d->cluster, r->id);
	if (!cur)
		return tk_err_set(eb, TK_E_REGION_NOT_FOUND, "region %llu is not known",
				  (unsigned long long)r->id);
	if (r->epoch.version < cur->epoch.version || r->epoch.conf_ver < cur->epoch.conf_ver) {
		/* the leader's view of its region is outdated: like a request
		 * routed with an old epoch */
		tk_err_set(eb, TK_E_EPOCH_NOT_MATCH, "ask_split: the region changed since");
		stale_detail(d, r, eb);
		return TK_E_EPOCH_NOT_MATCH;
	}
	uint64_t first = 0;
	if ((e = schedd_alloc_ids(d, 1 + r->n_peers, &first, eb)))
		return e;
	*new_region = first;
	for (size_t i = 0; i < r->n_peers; i++)
		peer_ids[i] = first + 1 + i;
	return TK_OK;
}

/* ---- schedulers ---- */

enum tk_err schedd_add_scheduler(struct schedd *d, const char *name, struct tk_errbuf *eb)
{
	struct sched_registry old = d->reg;
	enum tk_err e = sched_registry_add(&d->reg, name, eb);
	if (!e && (e = save_schedulers(d, eb)))
		d->reg = old;
	return e;
}

enum tk_err schedd_remove_scheduler(struct schedd *d, const char *name, struct tk_errbuf *eb)
{
	struct sched_registry old = d->reg;
	enum tk_err e = sched_registry_remove(&d->reg, name, eb);
	if (!e && (e = save_schedulers(d, eb)))
		d->reg = old;
	return e;
}

static void store_changed(void *arg, const struct store *s)
{
	struct schedd *d = arg;
	struct tk_errbuf eb;
	LOG_INFO("store %llu is now %s", (unsigned long long)s->id,
		 s->admin == STORE_ADMIN_TOMBSTONE ? "a tombstone" : "changed");
	if (save_store(d, s->id, &eb) != TK_OK)
		LOG_ERROR("%s", eb.msg);
}

void schedd_tso_ahead(struct schedd *d)
{
	uint64_t limit;
	struct tk_errbuf eb;
	if (tso_want_extend(&d->tso, d->wall_ms(d->clock_arg), &limit) && tso_to(d, limit, &eb) != TK_OK)
		LOG_ERROR("%s", eb.msg);
}

size_t schedd_tick(struct schedd *d)
{
	uint64_t now = schedd_now_ms(d);
	d->stats.ticks++;
	if (!d->bootstrapped)
		return 0;
	cluster_tick(d->cluster, now, store_changed, d);
	opctl_tick(d->ops, now);
	struct sched_ctx ctx;
	make_ctx(d, &ctx, now);
	struct operator ops[64];
	size_t n = sched_patrol(&ctx, &d->patrol_cursor, ops, 64);
	for (size_t i = 0; i < n; i++)
		add_op(d, &ops[i]);
	/* The balance schedulers count the operators already running
	 * (scheduler/influence.c), so what they return is added as is. */
	size_t m = sched_registry_run(&d->reg, &ctx, ops, 64);
	for (size_t i = 0; i < m; i++)
		add_op(d, &ops[i]);
	return n + m;
}
