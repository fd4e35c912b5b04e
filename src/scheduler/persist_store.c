#include "scheduler/persist_store.h"

#include <string.h>

static bool put_raw(struct eng_batch *b, struct tk_slice key, struct tk_buf *val, bool ok)
{
	if (ok)
		eng_batch_put(b, ENG_CF_META, key, tk_buf_slice(val));
	tk_buf_destroy(val);
	return ok;
}

static bool put_named(struct eng_batch *b, const char *key, struct tk_buf *val, bool ok)
{
	return put_raw(b, tk_slice_str(key), val, ok);
}

bool sps_put_store(struct eng_batch *b, const struct store *s)
{
	struct tk_buf k, v;
	tk_buf_init(&k);
	tk_buf_init(&v);
	bool ok = persist_store_key(&k, s->id) && persist_encode_store(&v, s);
	ok = put_raw(b, tk_buf_slice(&k), &v, ok);
	tk_buf_destroy(&k);
	return ok;
}

bool sps_put_region(struct eng_batch *b, const struct region *r)
{
	struct tk_buf k, v;
	tk_buf_init(&k);
	tk_buf_init(&v);
	bool ok = persist_region_key(&k, r->id) && persist_encode_region(&v, r);
	ok = put_raw(b, tk_buf_slice(&k), &v, ok);
	tk_buf_destroy(&k);
	return ok;
}

bool sps_delete_region(struct eng_batch *b, uint64_t region_id)
{
	struct tk_buf k;
	tk_buf_init(&k);
	bool ok = persist_region_key(&k, region_id);
	if (ok)
		eng_batch_delete(b, ENG_CF_META, tk_buf_slice(&k));
	tk_buf_destroy(&k);
	return ok;
}

bool sps_put_cluster(struct eng_batch *b, uint64_t cluster_id, bool bootstrapped)
{
	struct tk_buf v;
	tk_buf_init(&v);
	return put_named(b, PERSIST_KEY_CLUSTER, &v,
			 persist_encode_cluster(&v, cluster_id, bootstrapped));
}

bool sps_put_tso_limit(struct eng_batch *b, uint64_t limit_ms)
{
	struct tk_buf v;
	tk_buf_init(&v);
	return put_named(b, PERSIST_KEY_TSO, &v, persist_encode_u64(&v, limit_ms));
}

bool sps_put_id_limit(struct eng_batch *b, uint64_t limit)
{
	struct tk_buf v;
	tk_buf_init(&v);
	return put_named(b, PERSIST_KEY_ID, &v, persist_encode_u64(&v, limit));
}

bool sps_put_config(struct eng_batch *b, const struct sched_config *cfg)
{
	struct tk_buf v;
	tk_buf_init(&v);
	return put_named(b, PERSIST_KEY_CONFIG, &v, persist_encode_config(&v, cfg));
}

bool sps_put_schedulers(struct eng_batch *b, const struct sched_registry *reg)
{
	struct tk_buf v;
	tk_buf_init(&v);
	return put_named(b, PERSIST_KEY_SCHEDULERS, &v, persist_encode_schedulers(&v, reg));
}

bool sps_put_heartbeat(struct eng_batch *b, const struct cluster_hb_result *res)
{
	if (res->meta_changed && !sps_put_region(b, res->stored))
		return false;
	for (size_t i = 0; i < res->n_removed; i++)
		if (!sps_delete_region(b, res->removed_ids[i]))
			return false;
	return true;
}

static enum tk_err save_u64(struct eng *e, bool (*put)(struct eng_batch *, uint64_t), uint64_t v,
			    struct tk_errbuf *eb)
{
	struct eng_batch *b = eng_batch_new();
	if (!b || !put(b, v)) {
		eng_batch_free(b);
		return tk_err_set(eb, TK_E_NOMEM, "save window");
	}
	enum tk_err err = eng_write(e, b, true, eb);
	eng_batch_free(b);
	return err;
}

enum tk_err sps_save_tso_limit(struct eng *e, uint64_t limit_ms, struct tk_errbuf *eb)
{
	return save_u64(e, sps_put_tso_limit, limit_ms, eb);
}

enum tk_err sps_save_id_limit(struct eng *e, uint64_t limit, struct tk_errbuf *eb)
{
	return save_u64(e, sps_put_id_limit, limit, eb);
}

/* ---- loading ---- */

/* Read one named record; *found false when absent. */
static enum tk_err get_named(struct eng *e, const char *key, struct tk_buf *val, bool *found,
			     struct tk_errbuf *eb)
{
	return eng_get(e, ENG_CF_META, tk_slice_str(key), val, found, eb);
}

typedef enum tk_err (*record_fn)(void *arg, struct tk_slice key, struct tk_slice val,
				 struct tk_errbuf *eb);

/* Call fn on every record under prefix, in key (= id) order. */
static enum tk_err each_prefixed(struct eng *e, const char *prefix, record_fn fn, void *arg,
				 struct tk_errbuf *eb)
{
	size_t pl = strlen(prefix);
	uint8_t upper[64];
	memcpy(upper, prefix, pl);
	upper[pl - 1]++; /* "sched/store/" -> "sched/store0" */
	struct eng_iter *it = eng_iter_new(e, NULL, ENG_CF_META, tk_slice_of(prefix, pl),
					   tk_slice_of(upper, pl));
	if (!it)
		return tk_err_set(eb, TK_E_NOMEM, "load: iterator");
	enum tk_err err = TK_OK;
	for (eng_iter_seek_first(it); eng_iter_valid(it) && !err; eng_iter_next(it))
		err = fn(arg, eng_iter_key(it), eng_iter_value(it), eb);
	if (!err)
		err = eng_iter_status(it, eb);
	eng_iter_free(it);
	return err;
}

struct load_ctx {
	struct cluster *c;
	uint64_t now_ms;
	struct sps_loaded *out;
};

static void see_id(struct sps_loaded *out, uint64_t id)
{
	if (id > out->max_id_seen)
		out->max_id_seen = id;
}

static enum tk_err load_store(void *arg, struct tk_slice key, struct tk_slice val,
			      struct tk_errbuf *eb)
{
	struct load_ctx *lc = arg;
	struct persist_store_rec rec;
	uint64_t kid;
	if (!persist_key_id(key, PERSIST_PREFIX_STORE, &kid))
		return tk_err_set(eb, TK_E_CORRUPTION, "load: malformed store key");
	enum tk_err err = persist_decode_store(val, &rec, eb);
	if (!err && rec.id != kid)
		err = tk_err_set(eb, TK_E_CORRUPTION, "store record %llu holds store %llu",
				 (unsigned long long)kid, (unsigned long long)rec.id);
	if (!err)
		err = cluster_load_store(lc->c, rec.id, rec.address, rec.admin, lc->now_ms, eb);
	if (err)
		return tk_err_wrap(eb, err, "load store %llu", (unsigned long long)kid);
	see_id(lc->out, rec.id);
	lc->out->n_stores++;
	return TK_OK;
}

static enum tk_err load_region(void *arg, struct tk_slice key, struct tk_slice val,
			       struct tk_errbuf *eb)
{
	struct load_ctx *lc = arg;
	struct region r;
	struct region_peer peers[PERSIST_MAX_PEERS];
	uint64_t kid;
	if (!persist_key_id(key, PERSIST_PREFIX_REGION, &kid))
		return tk_err_set(eb, TK_E_CORRUPTION, "load: malformed region key");
	enum tk_err err = persist_decode_region(val, &r, peers, eb);
	if (!err && r.id != kid)
		err = tk_err_set(eb, TK_E_CORRUPTION, "region record %llu holds region %llu",
				 (unsigned long long)kid, (unsigned long long)r.id);
	if (err)
		return tk_err_wrap(eb, err, "load region %llu", (unsigned long long)kid);
	see_id(lc->out, r.id);
	for (size_t i = 0; i < r.n_peers; i++)
		see_id(lc->out, r.peers[i].id);
	struct cluster_hb_result res;
	err = cluster_region_heartbeat(lc->c, &r, lc->now_ms, &res, eb);
	if (err == TK_E_STALE_COMMAND) {
		lc->out->n_stale_regions++;
		return TK_OK;
	}
	if (err)
		return tk_err_wrap(eb, err, "load region %llu", (unsigned long long)kid);
	lc->out->n_regions++;
	lc->out->n_stale_regions += res.n_removed;
	lc->out->n_regions -= res.n_removed;
	return TK_OK;
}

enum tk_err sps_load(struct eng *e, struct cluster *c, struct sched_config *cfg,
		     struct sched_registry *reg, uint64_t now_ms, struct sps_loaded *out,
		     struct tk_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	struct tk_buf v;
	tk_buf_init(&v);
	bool found;
	enum tk_err err;
	if ((err = get_named(e, PERSIST_KEY_CLUSTER, &v, &found, eb)))
		goto out;
	if (found) {
		if ((err = persist_decode_cluster(tk_buf_slice(&v), &out->cluster_id,
						  &out->bootstrapped, eb)))
			goto out;
		out->have_cluster = true;
	}
	if ((err = get_named(e, PERSIST_KEY_TSO, &v, &found, eb)) ||
	    (found && (err = persist_decode_u64(tk_buf_slice(&v), &out->tso_limit, eb))))
		goto out;
	if ((err = get_named(e, PERSIST_KEY_ID, &v, &found, eb)) ||
	    (found && (err = persist_decode_u64(tk_buf_slice(&v), &out->id_limit, eb))))
		goto out;
	if ((err = get_named(e, PERSIST_KEY_CONFIG, &v, &found, eb)) ||
	    (found && (err = persist_decode_config(tk_buf_slice(&v), cfg, eb))))
		goto out;
	if ((err = get_named(e, PERSIST_KEY_SCHEDULERS, &v, &found, eb)) ||
	    (found && (err = persist_decode_schedulers(tk_buf_slice(&v), reg, eb))))
		goto out;
	struct load_ctx lc = {c, now_ms, out};
	if ((err = each_prefixed(e, PERSIST_PREFIX_STORE, load_store, &lc, eb)))
		goto out;
	err = each_prefixed(e, PERSIST_PREFIX_REGION, load_region, &lc, eb);
out:
	tk_buf_destroy(&v);
	if (err)
		tk_err_wrap(eb, err, "scheduler metadata");
	return err;
}
