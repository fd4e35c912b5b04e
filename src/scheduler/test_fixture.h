/* Test helpers for the scheduler: region builders and a synthetic cluster.
 * Header-only (static inline) so each test binary takes what it uses. */
#ifndef TK_SCHEDULER_TEST_FIXTURE_H
#define TK_SCHEDULER_TEST_FIXTURE_H

#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "scheduler/cluster.h"
#include "scheduler/operator.h"
#include "meta/region.h"
#include "scheduler/sched.h"

/* A region under construction; fxr_get re-points the arrays, so a struct
 * fxr may be copied freely (a clone). */
struct fxr {
	struct region r;
	char start[64], end[64];
	struct region_peer peers[8];
	uint64_t pending[8];
	struct region_down_peer down[8];
};

static inline const struct region *fxr_get(struct fxr *f)
{
	f->r.start_key = (const uint8_t *)f->start;
	f->r.start_len = strlen(f->start);
	f->r.end_key = (const uint8_t *)f->end;
	f->r.end_len = strlen(f->end);
	f->r.peers = f->peers;
	f->r.pending_peer_ids = f->pending;
	f->r.down_peers = f->down;
	return &f->r;
}

static inline void fxr_init(struct fxr *f, uint64_t id, const char *start, const char *end,
			    uint64_t conf_ver, uint64_t version)
{
	memset(f, 0, sizeof(*f));
	f->r.id = id;
	snprintf(f->start, sizeof(f->start), "%s", start);
	snprintf(f->end, sizeof(f->end), "%s", end);
	f->r.epoch.conf_ver = conf_ver;
	f->r.epoch.version = version;
	fxr_get(f);
}

/* Copy a stored region (its keys must be printable strings < 64 bytes). */
static inline void fxr_from(struct fxr *f, const struct region *src)
{
	memset(f, 0, sizeof(*f));
	f->r = *src;
	memcpy(f->start, src->start_key, src->start_len);
	memcpy(f->end, src->end_key, src->end_len);
	memcpy(f->peers, src->peers, src->n_peers * sizeof(f->peers[0]));
	memcpy(f->pending, src->pending_peer_ids, src->n_pending * sizeof(f->pending[0]));
	memcpy(f->down, src->down_peers, src->n_down * sizeof(f->down[0]));
	fxr_get(f);
}

static inline void fxr_peer(struct fxr *f, uint64_t peer_id, uint64_t store_id)
{
	f->peers[f->r.n_peers++] = (struct region_peer){peer_id, store_id};
}

static inline void fxr_remove_store(struct fxr *f, uint64_t store_id)
{
	size_t j = 0;
	for (size_t i = 0; i < f->r.n_peers; i++)
		if (f->peers[i].store_id != store_id)
			f->peers[j++] = f->peers[i];
	f->r.n_peers = j;
}

static inline uint64_t fxr_peer_on(const struct fxr *f, uint64_t store_id)
{
	for (size_t i = 0; i < f->r.n_peers; i++)
		if (f->peers[i].store_id == store_id)
			return f->peers[i].id;
	return 0;
}

static inline void fxr_leader(struct fxr *f, uint64_t store_id)
{
	f->r.leader_peer_id = fxr_peer_on(f, store_id);
}

static inline void fxr_pending(struct fxr *f, uint64_t store_id)
{
	f->pending[f->r.n_pending++] = fxr_peer_on(f, store_id);
}

static inline void fxr_down(struct fxr *f, uint64_t store_id, uint64_t secs)
{
	f->down[f->r.n_down++] = (struct region_down_peer){fxr_peer_on(f, store_id), secs};
}

/* ---- a synthetic cluster ---- */

#define FX_GIB (UINT64_C(1) << 30)
#define FX_MIB (UINT64_C(1) << 20)

struct fxc {
	struct sched_config cfg;
	struct cluster *c;
	struct opctl *oc;
	uint64_t now;
	uint64_t next_id; /* peer ids handed to schedulers */
	uint64_t next_filler;
};

static inline void fxc_init(struct fxc *f)
{
	memset(f, 0, sizeof(*f));
	sched_config_default(&f->cfg);
	f->c = cluster_new(&f->cfg);
	f->oc = opctl_new(NULL, NULL);
	ck_assert_ptr_nonnull(f->c);
	f->now = 10000000;
	f->next_id = 100000;
	f->next_filler = 1000000;
}

static inline void fxc_destroy(struct fxc *f)
{
	cluster_free(f->c);
	opctl_free(f->oc);
}

/* Heartbeat a store: capacity 100 GiB, `avail` free. */
static inline void fxc_store_hb(struct fxc *f, uint64_t id, uint64_t avail)
{
	struct store_stats st = {.store_id = id, .capacity = 100 * FX_GIB, .available = avail};
	struct tk_errbuf eb;
	ck_assert_int_eq(cluster_store_heartbeat(f->c, &st, f->now, &eb), TK_OK);
}

static inline void fxc_store(struct fxc *f, uint64_t id)
{
	char addr[64];
	struct tk_errbuf eb;
	snprintf(addr, sizeof(addr), "127.0.0.1:%llu", (unsigned long long)(20000 + id));
	ck_assert_int_eq(cluster_put_store(f->c, id, addr, f->now, &eb), TK_OK);
	fxc_store_hb(f, id, 80 * FX_GIB);
}

/* Heartbeat again with the last stats (keeps busy flags and space). */
static inline void fxc_rehb(struct fxc *f, uint64_t id)
{
	struct store_stats st = cluster_store(f->c, id)->stats;
	struct tk_errbuf eb;
	ck_assert_int_eq(cluster_store_heartbeat(f->c, &st, f->now, &eb), TK_OK);
}

static inline void fxc_set_busy(struct fxc *f, uint64_t id, bool busy)
{
	struct store_stats st = cluster_store(f->c, id)->stats;
	st.is_busy = busy;
	struct tk_errbuf eb;
	ck_assert_int_eq(cluster_store_heartbeat(f->c, &st, f->now, &eb), TK_OK);
}

/* Every registered store that is not marked down heartbeats now. */
static inline void fxc_heartbeat_all(struct fxc *f)
{
	for (size_t i = 0; i < cluster_store_count(f->c); i++) {
		const struct store *s = cluster_store_at(f->c, i);
		if (s->admin != STORE_ADMIN_TOMBSTONE)
			fxc_rehb(f, s->id);
	}
}

/* Make store id look silent for `ms` by heartbeating the others later. */
static inline void fxc_silence(struct fxc *f, uint64_t id, uint64_t ms)
{
	f->now += ms;
	for (size_t i = 0; i < cluster_store_count(f->c); i++) {
		const struct store *s = cluster_store_at(f->c, i);
		if (s->id != id && s->admin != STORE_ADMIN_TOMBSTONE &&
		    s->last_heartbeat_ms + ms >= f->now)
			fxc_rehb(f, s->id);
	}
}

static inline void fxc_put(struct fxc *f, struct fxr *r)
{
	struct tk_errbuf eb;
	struct cluster_hb_result res;
	ck_assert_msg(cluster_region_heartbeat(f->c, fxr_get(r), f->now, &res, &eb) == TK_OK,
		      "%s", eb.msg);
}

/* Region `id` with key range [r<id>, r<id+1>) of size_mb, peers on the
 * stores of the 0-terminated array, the first one leading.  Peer ids are
 * id * 100 + store.  Use FXC_REGION(f, id, size_mb, store, ...). */
static inline void fxc_region_a(struct fxc *f, uint64_t id, uint64_t size_mb,
				const uint64_t *stores)
{
	struct fxr r;
	char s[32], e[32];
	snprintf(s, sizeof(s), "r%010llu", (unsigned long long)id);
	snprintf(e, sizeof(e), "r%010llu", (unsigned long long)id + 1);
	fxr_init(&r, id, s, e, 1, 1);
	for (size_t i = 0; stores[i]; i++)
		fxr_peer(&r, id * 100 + stores[i], stores[i]);
	fxr_leader(&r, stores[0]);
	r.r.approximate_size = size_mb * FX_MIB;
	fxc_put(f, &r);
}
#define FXC_REGION(f, id, size_mb, ...) \
	fxc_region_a((f), (id), (size_mb), (const uint64_t[]){__VA_ARGS__, 0})

/* Give store `store` n single-peer filler regions of size_mb each (they are
 * never balance candidates when max-replicas > 1). */
static inline void fxc_fill(struct fxc *f, uint64_t store, unsigned n, uint64_t size_mb)
{
	for (unsigned i = 0; i < n; i++)
		FXC_REGION(f, f->next_filler++, size_mb, store);
}

static inline uint64_t fxc_alloc_id(void *arg)
{
	struct fxc *f = arg;
	return f->next_id++;
}

static inline struct sched_ctx fxc_ctx(struct fxc *f)
{
	struct sched_ctx ctx = {f->c, &f->cfg, f->oc, f->now, 0, fxc_alloc_id, f};
	return ctx;
}

/* Assertions on operators. */
static inline void fx_assert_steps(const struct operator *op, size_t n, ...)
{
	ck_assert_uint_eq(op->n_steps, n);
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		int kind = va_arg(ap, int);
		uint64_t store = va_arg(ap, uint64_t);
		ck_assert_int_eq(op->steps[i].kind, kind);
		ck_assert_uint_eq(op->steps[i].store_id, store);
	}
	va_end(ap);
}

/* Run a suite; the process exit status. */
static inline int fx_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#define ADD(s) OP_STEP_ADD_PEER, (uint64_t)(s)
#define RM(s) OP_STEP_REMOVE_PEER, (uint64_t)(s)
#define TL(s) OP_STEP_TRANSFER_LEADER, (uint64_t)(s)

#endif
