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
	pthread_barrier_t barrier;
	int abort;        /* atomic: a worker failed to connect */
	uint64_t run_t0;  /* atomic */
	unsigned running; /* atomic */
};

struct xworker {
	unsigned id;
	struct xshared *sh;
	const struct bench_config *cfg;
	pthread_t tid;
	struct tkv_txn_client *client;
	struct bench_rng rng;
	uint64_t *keys;

	uint64_t t0, t_end, budget;
	uint64_t committed, aborted, failed;
	uint64_t errors[TK_E__COUNT], aborts[TK_E__COUNT];
	struct bench_hist lat;
	uint64_t pub_done, pub_aborted, pub_failed; /* relaxed atomics */

	enum tk_err fatal;
	struct tk_errbuf fatal_err;
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
	if (w->id == 0)
		__atomic_store_n(&w->sh->run_t0, w->t0, __ATOMIC_RELEASE);
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

static uint64_t share(uint64_t total, unsigned parts, unsigned i)
{
	return total / parts + (i < total % parts);
}

static void *worker_main(void *arg)
{
	struct xworker *w = arg;
	struct xshared *sh = w->sh;
	struct tk_errbuf err;

	enum tk_err e = client_open(w, &err);
	if (e == TK_E_OK) {
		/* The client connects lazily or not: one timestamp proves the
		 * scheduler answers before the clock starts. */
		uint64_t ts;
		e = tkv_txn_client_ts(w->client, &ts, &err);
	}
	if (e != TK_E_OK) {
		w->fatal = e;
		w->fatal_err = err;
		__atomic_store_n(&sh->abort, 1, __ATOMIC_RELAXED);
	}
	pthread_barrier_wait(&sh->barrier);
	if (!__atomic_load_n(&sh->abort, __ATOMIC_RELAXED))
		run_loop(w);
	__atomic_fetch_sub(&sh->running, 1, __ATOMIC_RELEASE);
	return NULL;
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

static void progress(struct xworker *ws, unsigned n, uint64_t t0, uint64_t *last_done,
		     uint64_t *last_ns)
{
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
		w->id = i;
		w->sh = &sh;
		w->cfg = cfg;
		bench_hist_init(&w->lat);
		bench_rng_seed(&w->rng, cfg->seed * 1000003u + i);
		w->budget = cfg->requests ? share(cfg->requests, n, i) : 0;
		w->keys = calloc(cfg->txn_keys, sizeof(*w->keys));
		if (!w->keys)
			rc = tk_err_set(err, TK_E_NOMEM, "out of memory");
	}
	if (rc == TK_E_OK) {
		pthread_barrier_init(&sh.barrier, NULL, n);
		sh.running = n;
		for (unsigned i = 0; i < n; i++)
			if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0) {
				/* Started threads wait at the barrier for ever. */
				fprintf(stderr, "tinykv-bench: cannot start thread %u\n", i);
				exit(1);
			}
		bool show = !cfg->quiet && isatty(STDERR_FILENO);
		uint64_t last_done = 0, last_ns = 0, next_line = tk_mono_ns() + 1000000000u;
		while (__atomic_load_n(&sh.running, __ATOMIC_ACQUIRE) > 0) {
			struct timespec ts = {0, 20 * 1000 * 1000};
			nanosleep(&ts, NULL);
			uint64_t t0 = __atomic_load_n(&sh.run_t0, __ATOMIC_ACQUIRE);
			if (show && t0 && tk_mono_ns() >= next_line) {
				progress(ws, n, t0, &last_done, &last_ns);
				next_line += 1000000000u;
			}
		}
		if (show && last_ns)
			fprintf(stderr, "\r\033[K");
		for (unsigned i = 0; i < n; i++)
			pthread_join(ws[i].tid, NULL);
		for (unsigned i = 0; i < n && rc == TK_E_OK; i++)
			if (ws[i].fatal) {
				*err = ws[i].fatal_err;
				rc = ws[i].fatal;
			}
		collect(ws, n, res);
		pthread_barrier_destroy(&sh.barrier);
	}
	for (unsigned i = 0; i < n; i++) {
		tkv_txn_client_free(ws[i].client);
		free(ws[i].keys);
	}
	free(ws);
	free(sh.values);
	return rc;
}
