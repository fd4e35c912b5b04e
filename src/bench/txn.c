/* --mode txn: Percolator transactions against tinykvd, timestamps from
 * tinykv-scheduler, through the blocking transaction client (tinykv_txn.h).
 *
 * The client blocks, so each worker is a thread with its own
 * tkv_txn_client, running transactions back to back: begin, then for each
 * of txn_keys distinct keys a get and a set (read-modify-write), then
 * commit.  A committed transaction counts with its latency from begin to
 * the end of commit; one that another transaction beat (write conflict, our
 * locks resolved away, a lock still alive after the client's backoff)
 * counts as aborted and is not retried: the abort rate is the figure.
 * Anything else is an error; after a transport error the worker makes a new
 * client before its next transaction.
 *
 * Threads start together (a barrier after every client connected) and
 * stop between transactions: at the deadline, when the -n budget is spent,
 * or when *stop is set. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/pool.h"
#include "tinykv_txn.h"
#include "util/clock.h"
#include "util/err.h"

#define RECONNECT_MS 200
#define VALUE_SLACK 256

struct xshared {
	const struct bench_config *cfg;
	const volatile int *stop;
	struct bench_zipf zipf;
	uint8_t *values;
	struct bench_pool pool;
};

struct xworker {
	struct bench_worker bw; /* first: the pool's view */
	struct xshared *sh;
	const struct bench_config *cfg;
	struct tkv_txn_client *client;
	struct bench_rng rng;
	uint64_t *keys;

	uint64_t t0, t_end, budget;
	uint64_t committed, aborted, failed;
	uint64_t errors[TK_E__COUNT], aborts[TK_E__COUNT];
	struct bench_hist lat;
	uint64_t pub_done, pub_aborted, pub_failed; /* relaxed atomics */
};

static bool transport_error(enum tk_err e)
{
	return e == TK_E_CONNECTION || e == TK_E_CLOSED || e == TK_E_PROTOCOL ||
	       e == TK_E_VERSION_MISMATCH;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static enum tk_err client_open(struct xworker *w, struct tk_errbuf *err)
{
	struct tkv_txn_config tc;
	tkv_txn_config_default(&tc);
	tc.store_address = w->cfg->address;
	tc.scheduler_address = w->cfg->scheduler;
	if (w->cfg->timeout_ms)
		tc.timeout_ms = w->cfg->timeout_ms;
	return tkv_txn_client_new(&tc, &w->client, err);
}

/* One transaction: read and write txn_keys distinct keys, commit.
 * TK_E_OK when it committed. */
static enum tk_err one_txn(struct xworker *w, struct tk_errbuf *err)
{
	const struct bench_config *cfg = w->cfg;
	struct tkv_txn *t;
	enum tk_err e = tkv_txn_begin(w->client, &t, err);
	if (e != TK_E_OK)
		return e;
	bench_pick_distinct(&w->rng, cfg->zipf > 0 ? &w->sh->zipf : NULL, cfg->keyspace,
			    cfg->txn_keys, w->keys);
	for (unsigned i = 0; i < cfg->txn_keys && e == TK_E_OK; i++) {
		char key[32];
		size_t klen = bench_key(key, w->keys[i]);
		uint8_t *value = NULL;
		size_t vlen = 0;
		bool found = false;
		e = tkv_txn_get(t, key, klen, &value, &vlen, &found, err);
		tkv_free(value);
		if (e == TK_E_OK)
			e = tkv_txn_set(t, key, klen,
					w->sh->values + bench_rng_below(&w->rng, VALUE_SLACK),
					cfg->value_size, err);
	}
	if (e == TK_E_OK)
		e = tkv_txn_commit(t, NULL, err);
	tkv_txn_free(t);
	return e;
}

static bool should_stop(struct xworker *w)
{
	if (w->sh->stop && *w->sh->stop)
		return true;
	if (w->cfg->requests)
		return w->budget == 0;
	return tk_mono_ns() >= w->t_end;
}

static void run_loop(struct xworker *w)
{
	const struct bench_config *cfg = w->cfg;
	struct tk_errbuf err;

	w->t0 = tk_mono_ns();
	if (w->bw.id == 0)
		bench_pool_start_clock(&w->sh->pool, w->t0);
	w->t_end = w->t0 + (uint64_t)(cfg->duration_s * 1e9);
	while (!should_stop(w)) {
		if (cfg->requests)
			w->budget--;
		if (!w->client) {
			/* Down since a transport error: that transaction failed,
			 * and so does each attempt until the store is back. */
			if (client_open(w, &err) != TK_E_OK) {
				w->client = NULL;
				w->errors[err.code < TK_E__COUNT ? err.code : TK_E_INTERNAL]++;
				w->failed++;
				sleep_ms(RECONNECT_MS);
				continue;
			}
		}
		uint64_t start = tk_mono_ns();
		enum tk_err e = one_txn(w, &err);
		uint64_t end = tk_mono_ns();
		if ((unsigned)e >= TK_E__COUNT)
			e = TK_E_INTERNAL;
		if (e == TK_E_OK) {
			w->committed++;
			bench_hist_record(&w->lat, end - start);
		} else if (bench_txn_is_abort(e)) {
			w->aborted++;
			w->aborts[e]++;
		} else {
			w->failed++;
			w->errors[e]++;
			if (transport_error(e)) {
				tkv_txn_client_free(w->client);
				w->client = NULL;
			}
		}
		__atomic_store_n(&w->pub_done, w->committed, __ATOMIC_RELAXED);
		__atomic_store_n(&w->pub_aborted, w->aborted, __ATOMIC_RELAXED);
		__atomic_store_n(&w->pub_failed, w->failed, __ATOMIC_RELAXED);
	}
	w->t_end = tk_mono_ns();
}

/* Connect before the clock starts. */
static void worker_prepare(struct bench_worker *bw)
{
	struct xworker *w = (struct xworker *)bw;
	struct tk_errbuf err;

	enum tk_err e = client_open(w, &err);
	if (e == TK_E_OK) {
		/* The client connects lazily or not: one timestamp proves the
		 * scheduler answers before the clock starts. */
		uint64_t ts;
		e = tkv_txn_client_ts(w->client, &ts, &err);
	}
	if (e != TK_E_OK) {
		w->bw.fatal = e;
		w->bw.fatal_err = err;
	}
}

static void worker_run(struct bench_worker *bw)
{
	run_loop((struct xworker *)bw);
}

static void collect(struct xworker *ws, unsigned n, struct bench_result *res)
{
	uint64_t t0 = UINT64_MAX, t1 = 0;
	memset(res, 0, sizeof(*res));
	for (int op = 0; op < OP__COUNT; op++)
		bench_hist_init(&res->op[op].lat);
	bench_hist_init(&res->lat);
	for (unsigned i = 0; i < n; i++) {
		struct xworker *w = &ws[i];
		res->txn_committed += w->committed;
		res->txn_aborted += w->aborted;
		res->failed += w->failed;
		for (int e = 0; e < TK_E__COUNT; e++) {
			res->errors[e] += w->errors[e];
			res->aborts[e] += w->aborts[e];
		}
		bench_hist_merge(&res->lat, &w->lat);
		if (w->t0 && w->t0 < t0)
			t0 = w->t0;
		if (w->t_end > t1)
			t1 = w->t_end;
	}
	res->elapsed_ns = t1 > t0 && t0 != UINT64_MAX ? t1 - t0 : 0;
}

struct monitor {
	struct xworker *ws;
	unsigned n;
	struct bench_pool *pool;
};

static bool progress(void *ctx, uint64_t *last_done, uint64_t *last_ns)
{
	const struct monitor *m = ctx;
	struct xworker *ws = m->ws;
	unsigned n = m->n;
	uint64_t t0 = bench_pool_t0(m->pool);
	if (!t0)
		return false; /* no line before the run */
	uint64_t done = 0, aborted = 0, failed = 0, now = tk_mono_ns();
	for (unsigned i = 0; i < n; i++) {
		done += __atomic_load_n(&ws[i].pub_done, __ATOMIC_RELAXED);
		aborted += __atomic_load_n(&ws[i].pub_aborted, __ATOMIC_RELAXED);
		failed += __atomic_load_n(&ws[i].pub_failed, __ATOMIC_RELAXED);
	}
	if (*last_ns < t0) {
		*last_ns = t0;
		*last_done = 0;
	}
	double el = (double)(now - t0) / 1e9, dt = (double)(now - *last_ns) / 1e9;
	fprintf(stderr, "\r%6.1fs  %llu committed  %.0f txn/s  aborted %llu  errors %llu\033[K", el,
		(unsigned long long)done, dt > 0 ? (double)(done - *last_done) / dt : 0,
		(unsigned long long)aborted, (unsigned long long)failed);
	fflush(stderr);
	*last_done = done;
	*last_ns = now;
	return true;
}

enum tk_err bench_run_txn(const struct bench_config *cfg, const volatile int *stop,
			  struct bench_result *res, struct tk_errbuf *err)
{
	struct xshared sh = {.cfg = cfg, .stop = stop};
	unsigned n = cfg->threads;
	enum tk_err rc = TK_E_OK;

	if (cfg->txn_keys > cfg->keyspace)
		return tk_err_set(err, TK_E_BAD_CONFIG,
				  "%u keys per transaction over a keyspace of %llu",
				  cfg->txn_keys, (unsigned long long)cfg->keyspace);
	if (cfg->zipf > 0)
		bench_zipf_init(&sh.zipf, cfg->keyspace, cfg->zipf);
	sh.values = malloc(cfg->value_size + VALUE_SLACK);
	struct xworker *ws = calloc(n, sizeof(*ws));
	if (!sh.values || !ws) {
		free(sh.values);
		free(ws);
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	}
	struct bench_rng vr;
	bench_rng_seed(&vr, cfg->seed ^ UINT64_C(0x5eed));
	for (size_t i = 0; i < cfg->value_size + VALUE_SLACK; i++)
		sh.values[i] = (uint8_t)('!' + bench_rng_below(&vr, 94));
	for (unsigned i = 0; i < n; i++) {
		struct xworker *w = &ws[i];
		w->sh = &sh;
		w->cfg = cfg;
		bench_hist_init(&w->lat);
		bench_rng_seed(&w->rng, cfg->seed * 1000003u + i);
		w->budget = cfg->requests ? bench_share(cfg->requests, n, i) : 0;
		w->keys = calloc(cfg->txn_keys, sizeof(*w->keys));
		if (!w->keys)
			rc = tk_err_set(err, TK_E_NOMEM, "out of memory");
	}
	if (rc == TK_E_OK) {
		struct monitor m = {ws, n, &sh.pool};
		struct bench_pool_ops ops = {
		    .prepare = worker_prepare, .run = worker_run, .progress = progress, .ctx = &m};
		bool show = !cfg->quiet && isatty(STDERR_FILENO);
		rc = bench_pool_run(&sh.pool, &ops, ws, sizeof *ws, n, show, err);
		collect(ws, n, res);
	}
	for (unsigned i = 0; i < n; i++) {
		tkv_txn_client_free(ws[i].client);
		free(ws[i].keys);
	}
	free(ws);
	free(sh.values);
	return rc;
}
