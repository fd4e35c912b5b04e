/* --mode tso: get_ts requests to tinykv-scheduler.
 *
 * The shape of run.c's closed loop, without its open loop and reconnects:
 * worker threads (pool.h), each with one event_base and its share of the
 * connections (asynchronous scheduler clients of tinykv_sched.h, hello
 * role "client"), each
 * connection with `pipeline` request slots.  A slot sends get_ts for
 * tso_batch timestamps and sends the next one from the reply's callback;
 * the latency is the round trip.
 *
 * Sanity check: the scheduler promises strictly increasing timestamps, and
 * it answers a connection's requests in order, so every batch a connection
 * receives must start above the end of the batch before it.  A batch that
 * does not is counted as a violation (an error).
 *
 * A connection that fails stays down (its requests counted as errors): a
 * TSO that drops connections is the finding, not something to hide. */
#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/pool.h"
#include "tinykv_sched.h"
#include "util/clock.h"
#include "util/err.h"

#define CHECK_MS 100

enum phase { PH_CONNECT, PH_RUN, PH_DONE };

struct tworker;

struct tconn {
	struct tworker *w;
	struct tkv_sched_async *a;
	uint64_t last_ts; /* last timestamp of the newest batch */
	unsigned in_flight;
	bool dead;
};

struct tslot {
	struct tconn *c;
	uint64_t start_ns;
};

struct tshared {
	const struct bench_config *cfg;
	const volatile int *stop;
	struct bench_pool pool;
};

struct tworker {
	struct bench_worker bw; /* first: the pool's view */
	struct tshared *sh;
	const struct bench_config *cfg;
	struct event_base *base;
	struct tconn *conns;
	unsigned nconns, alive;
	struct tslot *slots;
	enum phase phase;
	bool stopping;
	uint64_t in_flight, budget;
	unsigned pinged;
	struct event *check_ev, *stop_ev, *drain_ev;

	uint64_t t0, last_reply_ns;
	uint64_t ok, timestamps, violations, failed;
	uint64_t errors[TK_E__COUNT];
	struct bench_hist lat;
	uint64_t pub_done, pub_failed; /* relaxed atomics for the progress line */

	char server[128];
};

static void on_reply(void *arg, const struct tkv_sched_reply *r);

static struct timeval ms_tv(uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	return tv;
}

static void set_fatal(struct tworker *w, enum tk_err code, const char *what, const char *msg)
{
	if (w->bw.fatal)
		return;
	w->bw.fatal = code;
	tk_err_set(&w->bw.fatal_err, code, "%s: %s", what, msg && *msg ? msg : tk_strerror(code));
	event_base_loopbreak(w->base);
}

static void finish(struct tworker *w)
{
	if (w->phase == PH_RUN)
		w->phase = PH_DONE;
	event_base_loopbreak(w->base);
}

static void maybe_finish(struct tworker *w)
{
	if ((w->stopping || w->alive == 0) && w->in_flight == 0)
		finish(w);
}

static void count_error(struct tworker *w, enum tk_err code)
{
	if ((unsigned)code >= TK_E__COUNT)
		code = TK_E_INTERNAL;
	w->errors[code]++;
	w->failed++;
}

static void conn_down(struct tconn *c)
{
	if (!c->dead) {
		c->dead = true;
		c->w->alive--;
	}
}

static enum tk_err send_get_ts(struct tslot *s, uint64_t count)
{
	enum tk_err rc = tkv_sched_async_get_ts(s->c->a, count, on_reply, s);
	if (rc == TK_E_OK) {
		s->start_ns = tk_mono_ns();
		s->c->in_flight++;
		s->c->w->in_flight++;
	}
	return rc;
}

/* The slot's next measured request, if the budget allows. */
static void next_request(struct tworker *w, struct tslot *s)
{
	while (!w->stopping && !s->c->dead && !w->bw.fatal) {
		if (w->budget == 0) {
			w->stopping = true;
			break;
		}
		if (w->budget != UINT64_MAX)
			w->budget--;
		enum tk_err rc = send_get_ts(s, w->cfg->tso_batch);
		if (rc == TK_E_OK)
			break;
		count_error(w, rc);
		if (tkv_sched_async_error(s->c->a, NULL) != TK_E_OK || rc == TK_E_CLOSED)
			conn_down(s->c);
		else
			set_fatal(w, rc, "get_ts refused", tk_strerror(rc));
	}
}

static void record(struct tworker *w, struct tslot *s, const struct tkv_sched_reply *r,
                   uint64_t now)
{
	struct tconn *c = s->c;
	if (r->code != TK_E_OK) {
		count_error(w, r->code);
		if (tkv_sched_async_error(c->a, NULL) != TK_E_OK)
			conn_down(c);
		return;
	}
	if (r->count != w->cfg->tso_batch || r->first == 0) {
		count_error(w, TK_E_PROTOCOL);
		return;
	}
	w->ok++;
	w->timestamps += r->count;
	if (r->first <= c->last_ts)
		w->violations++;
	c->last_ts = r->first + r->count - 1;
	bench_hist_record(&w->lat, now > s->start_ns ? now - s->start_ns : 0);
}

static void on_reply(void *arg, const struct tkv_sched_reply *r)
{
	struct tslot *s = arg;
	struct tconn *c = s->c;
	struct tworker *w = c->w;
	uint64_t now = tk_mono_ns();

	c->in_flight--;
	w->in_flight--;
	if (w->phase == PH_CONNECT) {
		if (r->code != TK_E_OK)
			set_fatal(w, r->code, "connect", r->message);
		else {
			c->last_ts = r->first + (r->count ? r->count - 1 : 0);
			if (++w->pinged == w->nconns) {
				snprintf(w->server, sizeof(w->server), "%s",
				         tkv_sched_async_server_name(c->a));
				event_base_loopbreak(w->base);
			}
		}
		return;
	}
	if (w->phase != PH_RUN)
		return; /* abandoned at the end of the run */
	record(w, s, r, now);
	w->last_reply_ns = now;
	next_request(w, s);
	__atomic_store_n(&w->pub_done, w->ok + w->failed, __ATOMIC_RELAXED);
	__atomic_store_n(&w->pub_failed, w->failed, __ATOMIC_RELAXED);
	maybe_finish(w);
}

/* ---- timers ------------------------------------------------------------ */

static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish(arg);
}

static void begin_stop(struct tworker *w)
{
	w->stopping = true;
	if (w->in_flight == 0) {
		finish(w);
		return;
	}
	struct timeval tv = ms_tv((w->cfg->timeout_ms ? w->cfg->timeout_ms : 5000) + 1000);
	evtimer_add(w->drain_ev, &tv);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	begin_stop(arg);
}

static void on_check(evutil_socket_t fd, short what, void *arg)
{
	struct tworker *w = arg;
	(void)fd;
	(void)what;
	if (w->sh->stop && *w->sh->stop) {
		if (w->phase == PH_RUN)
			begin_stop(w);
		else
			set_fatal(w, TK_E_SHUTTING_DOWN, "interrupted", "stopped before the run");
	}
}

/* ---- worker ------------------------------------------------------------ */

static void worker_connect(struct tworker *w)
{
	const struct bench_config *cfg = w->cfg;
	struct tk_errbuf err;

	w->base = event_base_new();
	w->slots = calloc((size_t)w->nconns * cfg->pipeline, sizeof(*w->slots));
	if (!w->base || !w->slots) {
		w->bw.fatal = tk_err_set(&w->bw.fatal_err, TK_E_NOMEM, "out of memory");
		return;
	}
	w->check_ev = event_new(w->base, -1, EV_PERSIST, on_check, w);
	w->stop_ev = evtimer_new(w->base, on_stop, w);
	w->drain_ev = evtimer_new(w->base, on_drain_timeout, w);
	if (!w->check_ev || !w->stop_ev || !w->drain_ev) {
		w->bw.fatal = tk_err_set(&w->bw.fatal_err, TK_E_NOMEM, "out of memory");
		return;
	}
	struct timeval tv = ms_tv(CHECK_MS);
	event_add(w->check_ev, &tv);
	w->phase = PH_CONNECT;
	for (unsigned i = 0; i < w->nconns; i++) {
		struct tconn *c = &w->conns[i];
		c->w = w;
		for (unsigned d = 0; d < cfg->pipeline; d++)
			w->slots[i * cfg->pipeline + d].c = c;
		struct tkv_sched_config kc;
		tkv_sched_config_default(&kc);
		kc.address = cfg->scheduler;
		kc.timeout_ms = cfg->timeout_ms;
		kc.name = "tinykv-bench";
		enum tk_err rc = tkv_sched_async_new(w->base, &kc, &c->a, &err);
		if (rc != TK_E_OK) {
			w->bw.fatal = tk_err_set(&w->bw.fatal_err, rc, "connect: %s", err.msg);
			return;
		}
		w->alive++;
		/* One timestamp per connection: checks the connection and
		 * seeds the monotonicity check. */
		rc = send_get_ts(&w->slots[i * cfg->pipeline], 1);
		if (rc != TK_E_OK) {
			w->bw.fatal =
			    tk_err_set(&w->bw.fatal_err, rc, "connect: %s", tk_strerror(rc));
			return;
		}
	}
	event_base_dispatch(w->base);
}

static void run_phase(struct tworker *w)
{
	const struct bench_config *cfg = w->cfg;
	uint64_t now = tk_mono_ns();

	w->t0 = now;
	w->last_reply_ns = now;
	if (w->bw.id == 0)
		bench_pool_start_clock(&w->sh->pool, now);
	w->phase = PH_RUN;
	if (!cfg->requests) {
		uint64_t ns = (uint64_t)(cfg->duration_s * 1e9);
		struct timeval tv = {(time_t)(ns / 1000000000u), (suseconds_t)(ns % 1000000000u) / 1000};
		evtimer_add(w->stop_ev, &tv);
	}
	w->budget = cfg->requests ? bench_share(cfg->requests, cfg->threads, w->bw.id) : UINT64_MAX;
	for (unsigned d = 0; d < cfg->pipeline; d++)
		for (unsigned i = 0; i < w->nconns; i++)
			next_request(w, &w->slots[i * cfg->pipeline + d]);
	maybe_finish(w);
	if (w->phase == PH_RUN && !w->bw.fatal)
		event_base_dispatch(w->base);
	w->phase = PH_DONE;
}

static void worker_prepare(struct bench_worker *bw)
{
	worker_connect((struct tworker *)bw);
}

static void worker_run(struct bench_worker *bw)
{
	run_phase((struct tworker *)bw);
}

static void worker_destroy(struct tworker *w)
{
	w->phase = PH_DONE;
	for (unsigned i = 0; i < w->nconns; i++)
		tkv_sched_async_free(w->conns[i].a); /* abandoned callbacks are ignored */
	if (w->check_ev)
		event_free(w->check_ev);
	if (w->stop_ev)
		event_free(w->stop_ev);
	if (w->drain_ev)
		event_free(w->drain_ev);
	if (w->base)
		event_base_free(w->base);
	free(w->conns);
	free(w->slots);
}

static void collect(struct tworker *ws, unsigned n, struct bench_result *res)
{
	uint64_t t0 = UINT64_MAX, t1 = 0;
	memset(res, 0, sizeof(*res));
	for (int op = 0; op < OP__COUNT; op++)
		bench_hist_init(&res->op[op].lat);
	bench_hist_init(&res->lat);
	for (unsigned i = 0; i < n; i++) {
		struct tworker *w = &ws[i];
		res->tso_ok += w->ok;
		res->timestamps += w->timestamps;
		res->ts_violations += w->violations;
		res->failed += w->failed;
		for (int e = 0; e < TK_E__COUNT; e++)
			res->errors[e] += w->errors[e];
		bench_hist_merge(&res->lat, &w->lat);
		if (w->t0 && w->t0 < t0)
			t0 = w->t0;
		if (w->last_reply_ns > t1)
			t1 = w->last_reply_ns;
	}
	res->elapsed_ns = t1 > t0 && t0 != UINT64_MAX ? t1 - t0 : 0;
	snprintf(res->server, sizeof(res->server), "%s", ws[0].server);
}

struct monitor {
	struct tworker *ws;
	unsigned n;
	struct bench_pool *pool;
};

static bool progress(void *ctx, uint64_t *last_done, uint64_t *last_ns)
{
	const struct monitor *m = ctx;
	struct tworker *ws = m->ws;
	unsigned n = m->n;
	uint64_t t0 = bench_pool_t0(m->pool);
	if (!t0)
		return false; /* no line before the run */
	uint64_t done = 0, failed = 0, now = tk_mono_ns();
	for (unsigned i = 0; i < n; i++) {
		done += __atomic_load_n(&ws[i].pub_done, __ATOMIC_RELAXED);
		failed += __atomic_load_n(&ws[i].pub_failed, __ATOMIC_RELAXED);
	}
	if (*last_ns < t0) {
		*last_ns = t0;
		*last_done = 0;
	}
	double el = (double)(now - t0) / 1e9, dt = (double)(now - *last_ns) / 1e9;
	fprintf(stderr, "\r%6.1fs  %llu get_ts  %.0f requests/s  errors %llu\033[K", el,
		(unsigned long long)done, dt > 0 ? (double)(done - *last_done) / dt : 0,
		(unsigned long long)failed);
	fflush(stderr);
	*last_done = done;
	*last_ns = now;
	return true;
}

enum tk_err bench_run_tso(const struct bench_config *cfg, const volatile int *stop,
			  struct bench_result *res, struct tk_errbuf *err)
{
	struct tshared sh = {.cfg = cfg, .stop = stop};
	unsigned n = cfg->threads;
	enum tk_err rc = TK_E_OK;

	struct tworker *ws = calloc(n, sizeof(*ws));
	if (!ws)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		struct tworker *w = &ws[i];
		w->sh = &sh;
		w->cfg = cfg;
		bench_hist_init(&w->lat);
		w->nconns = (unsigned)bench_share(cfg->connections, n, i);
		w->conns = calloc(w->nconns, sizeof(*w->conns));
		if (!w->conns) {
			rc = tk_err_set(err, TK_E_NOMEM, "out of memory");
			break;
		}
	}
	if (rc == TK_E_OK) {
		struct monitor m = {ws, n, &sh.pool};
		struct bench_pool_ops ops = {
		    .prepare = worker_prepare, .run = worker_run, .progress = progress, .ctx = &m};
		bool show = !cfg->quiet && isatty(STDERR_FILENO);
		rc = bench_pool_run(&sh.pool, &ops, ws, sizeof *ws, n, show, err);
		collect(ws, n, res);
	}
	for (unsigned i = 0; i < n; i++)
		if (ws[i].conns)
			worker_destroy(&ws[i]);
	free(ws);
	return rc;
}
