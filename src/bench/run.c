/* The benchmark engine: worker threads, each with its own event_base and
 * connections (libtinykv async handles), each connection with `pipeline`
 * request slots.
 *
 * Closed loop: every slot sends a request, and sends the next one from the
 * reply's callback; latency is taken from the moment the request is queued.
 *
 * Open loop (--rate): request k of a worker is due at t0 + k * interval,
 * whatever happened before.  A timer and every reply send all the requests
 * that are due on free slots; a request that finds no free slot waits (the
 * backlog), and its latency still counts from its due time.  That way a
 * server that stalls pays for every request it delayed, instead of the
 * client quietly sending fewer (coordinated omission).
 *
 * Phases of a worker: connect (one ping per connection), preload (batch puts
 * over its share of the keyspace), a barrier with the other workers, run.
 * The main thread only watches: it prints the progress line from counters
 * the workers publish with relaxed atomic stores. */
#include <event2/event.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/pool.h"
#include "tinykv.h"
#include "util/clock.h"
#include "util/err.h"

#define PRELOAD_BATCH_MAX 32
#define RECONNECT_MS 200
#define CHECK_MS 100
#define VALUE_SLACK 256

enum phase { PH_CONNECT, PH_PRELOAD, PH_RUN, PH_DONE };

struct worker;

struct conn {
	struct worker *w;
	struct tkv_async *a;
	struct event *retry_ev;
	unsigned first_slot;
	unsigned in_flight;
	bool broken; /* handle failed: reconnect once its requests drained */
};

struct slot {
	struct conn *c;
	uint64_t start_ns; /* queue time (closed loop) or due time (open loop) */
	uint8_t op;
	bool busy;
	bool in_ring;
};

/* State shared by all workers of one run. */
struct shared {
	const struct bench_config *cfg;
	const volatile int *stop;
	struct bench_zipf zipf;
	uint8_t *values;
	struct bench_pool pool;
};

struct worker {
	struct bench_worker bw; /* first: the pool's view */
	struct shared *sh;
	const struct bench_config *cfg;
	struct event_base *base;
	struct conn *conns;
	unsigned nconns;
	struct slot *slots;
	unsigned nslots;
	struct bench_rng rng;
	unsigned mix_cum[OP__COUNT], mix_total;
	enum phase phase;
	bool stopping;
	uint64_t in_flight;
	struct event *check_ev, *stop_ev, *drain_ev, *tick_ev;

	/* connect */
	unsigned pinged;
	/* preload */
	uint64_t pre_next, pre_end, pre_done;
	unsigned pre_batch;
	/* closed loop: requests still to send (UINT64_MAX: until stopped) */
	uint64_t budget;
	/* open loop */
	bool open;
	double interval_ns;
	uint64_t sched_sent, sched_total;
	unsigned *ring;
	unsigned ring_head, ring_len;

	uint64_t t0, last_reply_ns, pre_ns;
	struct bench_op_stats st[OP__COUNT];
	uint64_t errors[TK_E__COUNT];
	uint64_t done, failed, unsent;

	/* published for the progress line (relaxed atomics) */
	uint64_t pub_done, pub_failed, pub_in_flight, pub_backlog;

	char server[128]; /* hello description, kept from the connect phase */
};

static void on_reply(void *arg, const struct tkv_reply *r);
static void conn_check_broken(struct conn *c, enum tk_err code);

static void publish(uint64_t *dst, uint64_t v)
{
	__atomic_store_n(dst, v, __ATOMIC_RELAXED);
}

static uint64_t peek(const uint64_t *src)
{
	return __atomic_load_n(src, __ATOMIC_RELAXED);
}

static struct timeval ms_tv(uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	return tv;
}

static struct timeval ns_tv(uint64_t ns)
{
	struct timeval tv = {(time_t)(ns / 1000000000u), (suseconds_t)(ns % 1000000000u) / 1000};
	return tv;
}

static bool transport_error(enum tk_err e)
{
	return e == TK_E_CONNECTION || e == TK_E_CLOSED || e == TK_E_PROTOCOL ||
	       e == TK_E_VERSION_MISMATCH;
}

static void set_fatal(struct worker *w, enum tk_err code, const char *what, const char *msg)
{
	if (w->bw.fatal)
		return;
	w->bw.fatal = code;
	tk_err_set(&w->bw.fatal_err, code, "%s: %s", what, msg && *msg ? msg : tk_strerror(code));
	event_base_loopbreak(w->base);
}

/* ---- connections ------------------------------------------------------ */

static enum tk_err conn_open(struct conn *c, struct tk_errbuf *err)
{
	struct tkv_config kc;
	tkv_config_default(&kc);
	kc.address = c->w->cfg->address;
	kc.timeout_ms = c->w->cfg->timeout_ms;
	kc.name = "tinykv-bench";
	c->broken = false;
	return tkv_async_new(c->w->base, &kc, &c->a, err);
}

static void slot_ring_push(struct worker *w, struct slot *s)
{
	if (s->in_ring)
		return;
	s->in_ring = true;
	w->ring[(w->ring_head + w->ring_len) % w->nslots] = (unsigned)(s - w->slots);
	w->ring_len++;
}

static struct slot *slot_ring_pop(struct worker *w)
{
	/* ring_len > 0 implies nslots > 0; the check lets the analyzer see it */
	while (w->ring_len && w->nslots) {
		struct slot *s = &w->slots[w->ring[w->ring_head]];
		w->ring_head = (w->ring_head + 1) % w->nslots;
		w->ring_len--;
		s->in_ring = false;
		if (!s->c->broken)
			return s;
		/* Dropped: conn_retry puts it back once reconnected. */
	}
	return NULL;
}

/* ---- requests --------------------------------------------------------- */

static unsigned pick_op(struct worker *w)
{
	if (w->mix_total == w->mix_cum[0])
		return 0;
	uint64_t r = bench_rng_below(&w->rng, w->mix_total);
	unsigned op = 0;
	while (r >= w->mix_cum[op])
		op++;
	return op;
}

static uint64_t pick_key(struct worker *w)
{
	if (w->cfg->zipf > 0)
		return bench_zipf_next(&w->sh->zipf, &w->rng);
	return bench_rng_below(&w->rng, w->cfg->keyspace);
}

static const uint8_t *pick_value(struct worker *w)
{
	return w->sh->values + bench_rng_below(&w->rng, VALUE_SLACK);
}

static void count_error(struct worker *w, unsigned op, enum tk_err code)
{
	if ((unsigned)code >= TK_E__COUNT)
		code = TK_E_INTERNAL;
	w->errors[code]++;
	w->st[op].errors++;
	w->failed++;
	w->done++;
}

/* Send one measured request on s, timed from start_ns.  A refusal by the
 * library (the handle failed) counts as an error of that request. */
static bool issue(struct worker *w, struct slot *s, uint64_t start_ns)
{
	const struct bench_config *cfg = w->cfg;
	char key[32];
	unsigned op = pick_op(w);
	size_t klen = bench_key(key, pick_key(w));
	enum tk_err rc;

	s->op = (uint8_t)op;
	s->start_ns = start_ns;
	switch (op) {
	case OP_GET:
		rc = tkv_async_get(s->c->a, key, klen, on_reply, s);
		break;
	case OP_PUT:
		rc = tkv_async_put(s->c->a, key, klen, pick_value(w), cfg->value_size, on_reply, s);
		break;
	default: {
		struct tkv_scan_opts so = {.limit = cfg->scan_limit};
		rc = tkv_async_scan(s->c->a, key, klen, &so, on_reply, s);
		break;
	}
	}
	if (rc != TK_E_OK) {
		count_error(w, op, rc);
		if (transport_error(rc) || tkv_async_error(s->c->a, NULL) != TK_E_OK)
			conn_check_broken(s->c, rc);
		else /* e.g. TOO_LARGE: every later request would fail alike */
			set_fatal(w, rc, "request refused", tk_strerror(rc));
		return false;
	}
	s->busy = true;
	s->c->in_flight++;
	w->in_flight++;
	return true;
}

static void finish(struct worker *w)
{
	if (w->phase == PH_RUN)
		w->phase = PH_DONE;
	event_base_loopbreak(w->base);
}

static void maybe_finish(struct worker *w)
{
	if (w->stopping && w->in_flight == 0)
		finish(w);
}

/* Open loop: send everything due by now on free slots. */
static void pump(struct worker *w, uint64_t now)
{
	if (w->stopping)
		return;
	uint64_t due = now < w->t0 ? 0 : (uint64_t)((double)(now - w->t0) / w->interval_ns) + 1;
	if (due > w->sched_total)
		due = w->sched_total;
	while (w->sched_sent < due && !w->bw.fatal) {
		struct slot *s = slot_ring_pop(w);
		if (!s)
			break;
		uint64_t at = w->t0 + (uint64_t)((double)w->sched_sent * w->interval_ns);
		w->sched_sent++;
		if (!issue(w, s, at))
			slot_ring_push(w, s);
	}
	publish(&w->pub_backlog, due - w->sched_sent);
	if (w->sched_sent == w->sched_total)
		w->stopping = true;
}

/* Closed loop: the slot's next request, if the budget allows. */
static void next_closed(struct worker *w, struct slot *s, uint64_t now)
{
	while (!w->stopping && !s->c->broken && !w->bw.fatal) {
		if (w->budget == 0) {
			w->stopping = true;
			break;
		}
		if (w->budget != UINT64_MAX)
			w->budget--;
		if (issue(w, s, now))
			break;
	}
}

static void conn_retry(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct worker *w = c->w;
	struct tk_errbuf err;

	tkv_async_free(c->a);
	c->a = NULL;
	if (w->stopping || w->phase != PH_RUN) {
		maybe_finish(w);
		return;
	}
	if (conn_open(c, &err) != TK_E_OK) {
		c->broken = true;
		struct timeval tv = ms_tv(RECONNECT_MS);
		evtimer_add(c->retry_ev, &tv);
		return;
	}
	uint64_t now = tk_mono_ns();
	for (unsigned i = 0; i < w->cfg->pipeline; i++) {
		struct slot *s = &w->slots[c->first_slot + i];
		if (s->busy)
			continue;
		if (w->open)
			slot_ring_push(w, s);
		else
			next_closed(w, s, now);
	}
	if (w->open)
		pump(w, now);
	maybe_finish(w);
}

static void conn_check_broken(struct conn *c, enum tk_err code)
{
	if (!c->broken && (transport_error(code) || tkv_async_error(c->a, NULL) != TK_E_OK))
		c->broken = true;
	if (c->broken && c->in_flight == 0 && !evtimer_pending(c->retry_ev, NULL)) {
		struct timeval tv = ms_tv(RECONNECT_MS);
		evtimer_add(c->retry_ev, &tv);
	}
}

/* ---- preload ----------------------------------------------------------- */

static void preload_next(struct worker *w, struct slot *s)
{
	char keys[PRELOAD_BATCH_MAX][32];
	struct tkv_kv_in kvs[PRELOAD_BATCH_MAX];
	unsigned n = 0;

	while (n < w->pre_batch && w->pre_next < w->pre_end) {
		kvs[n].key = keys[n];
		kvs[n].key_len = bench_key(keys[n], w->pre_next++);
		kvs[n].value = pick_value(w);
		kvs[n].value_len = w->cfg->value_size;
		n++;
	}
	if (n == 0)
		return;
	/* start_ns carries the batch size to the callback. */
	s->start_ns = n;
	enum tk_err rc = tkv_async_batch_put(s->c->a, kvs, n, on_reply, s);
	if (rc != TK_E_OK) {
		set_fatal(w, rc, "preload", tk_strerror(rc));
		return;
	}
	s->busy = true;
	s->c->in_flight++;
	w->in_flight++;
}

/* ---- replies ----------------------------------------------------------- */

static void record(struct worker *w, struct slot *s, const struct tkv_reply *r, uint64_t now)
{
	struct bench_op_stats *st = &w->st[s->op];
	if (r->code != TK_E_OK) {
		count_error(w, s->op, r->code);
		return;
	}
	st->ok++;
	w->done++;
	bench_hist_record(&st->lat, now > s->start_ns ? now - s->start_ns : 0);
	if (s->op == OP_GET) {
		if (r->found)
			st->hits++;
		else
			st->misses++;
	} else if (s->op == OP_SCAN) {
		st->rows += r->n_kvs;
	}
}

static void on_reply(void *arg, const struct tkv_reply *r)
{
	struct slot *s = arg;
	struct conn *c = s->c;
	struct worker *w = c->w;
	uint64_t now = tk_mono_ns();

	s->busy = false;
	c->in_flight--;
	w->in_flight--;

	switch (w->phase) {
	case PH_CONNECT:
		if (r->code != TK_E_OK)
			set_fatal(w, r->code, "connect", r->message);
		else if (++w->pinged == w->nconns) {
			snprintf(w->server, sizeof(w->server), "%s", tkv_async_server_name(c->a));
			event_base_loopbreak(w->base);
		}
		return;
	case PH_PRELOAD:
		if (r->code != TK_E_OK) {
			set_fatal(w, r->code, "preload", r->message);
			return;
		}
		w->pre_done += s->start_ns;
		publish(&w->pub_done, w->pre_done);
		if (w->bw.fatal)
			return;
		if (w->pre_next < w->pre_end)
			preload_next(w, s);
		else if (w->in_flight == 0)
			event_base_loopbreak(w->base);
		return;
	case PH_RUN:
		break;
	default:
		return; /* abandoned at the end of the run */
	}

	record(w, s, r, now);
	w->last_reply_ns = now;
	if (r->code != TK_E_OK)
		conn_check_broken(c, r->code);
	if (!c->broken) {
		if (w->open) {
			slot_ring_push(w, s);
			pump(w, now);
		} else {
			next_closed(w, s, now);
		}
	} else if (c->in_flight == 0) {
		conn_check_broken(c, r->code);
	}
	publish(&w->pub_done, w->done);
	publish(&w->pub_failed, w->failed);
	publish(&w->pub_in_flight, w->in_flight);
	maybe_finish(w);
}

/* ---- timers ------------------------------------------------------------ */

static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	finish(arg);
}

static void begin_stop(struct worker *w)
{
	if (w->open && !w->stopping) {
		uint64_t now = tk_mono_ns();
		pump(w, now);
		uint64_t due = (uint64_t)((double)(now - w->t0) / w->interval_ns) + 1;
		if (due > w->sched_total)
			due = w->sched_total;
		w->unsent = due > w->sched_sent ? due - w->sched_sent : 0;
	}
	w->stopping = true;
	if (w->in_flight == 0) {
		finish(w);
		return;
	}
	/* Replies still due get the request timeout plus a second. */
	struct timeval tv = ms_tv((w->cfg->timeout_ms ? w->cfg->timeout_ms : 5000) + 1000);
	evtimer_add(w->drain_ev, &tv);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	begin_stop(arg);
}

static void on_check(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	if (w->sh->stop && *w->sh->stop) {
		if (w->phase == PH_RUN)
			begin_stop(w);
		else
			set_fatal(w, TK_E_SHUTTING_DOWN, "interrupted", "stopped before the run");
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	pump(w, tk_mono_ns());
	maybe_finish(w);
}

/* ---- worker ------------------------------------------------------------ */

static uint64_t share_start(uint64_t total, unsigned parts, unsigned i)
{
	uint64_t s = 0;
	for (unsigned j = 0; j < i; j++)
		s += bench_share(total, parts, j);
	return s;
}

static void run_phase(struct worker *w)
{
	const struct bench_config *cfg = w->cfg;
	uint64_t now = tk_mono_ns();

	w->t0 = now;
	w->last_reply_ns = now;
	if (w->bw.id == 0)
		bench_pool_start_clock(&w->sh->pool, now);
	w->phase = PH_RUN;
	w->stopping = false;
	if (!cfg->requests) {
		struct timeval tv = ns_tv((uint64_t)(cfg->duration_s * 1e9));
		evtimer_add(w->stop_ev, &tv);
	}
	if (w->open) {
		double rate = cfg->rate / cfg->threads;
		w->interval_ns = 1e9 / rate;
		w->sched_total =
		    cfg->requests ? bench_share(cfg->requests, cfg->threads, w->bw.id) : UINT64_MAX;
		for (unsigned i = 0; i < w->nslots; i++)
			slot_ring_push(w, &w->slots[i]);
		/* Tick at the request interval, between 50 us and 1 ms. */
		double tick = w->interval_ns < 50e3 ? 50e3 : w->interval_ns > 1e6 ? 1e6 : w->interval_ns;
		struct timeval tv = ns_tv((uint64_t)tick);
		event_add(w->tick_ev, &tv);
		pump(w, now);
	} else {
		w->budget =
		    cfg->requests ? bench_share(cfg->requests, cfg->threads, w->bw.id) : UINT64_MAX;
		/* Interleave connections so a small budget spreads over all. */
		for (unsigned d = 0; d < cfg->pipeline; d++)
			for (unsigned i = 0; i < w->nconns; i++)
				next_closed(w, &w->slots[w->conns[i].first_slot + d], now);
	}
	maybe_finish(w);
	/* A loopbreak before the loop runs is lost (event_base_loop clears
	 * it), so a failure while starting is checked here. */
	if (w->phase == PH_RUN && !w->bw.fatal)
		event_base_dispatch(w->base);
	w->phase = PH_DONE;
	if (w->open)
		event_del(w->tick_ev);
}

static void worker_setup(struct worker *w, struct tk_errbuf *err)
{
	const struct bench_config *cfg = w->cfg;

	struct event_config *ec = event_config_new();
	if (ec && w->open)
		event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
	w->base = ec ? event_base_new_with_config(ec) : NULL;
	if (ec)
		event_config_free(ec);
	w->nslots = w->nconns * cfg->pipeline;
	w->slots = calloc(w->nslots, sizeof(*w->slots));
	w->ring = calloc(w->nslots, sizeof(*w->ring));
	w->check_ev = w->base ? event_new(w->base, -1, EV_PERSIST, on_check, w) : NULL;
	w->stop_ev = w->base ? evtimer_new(w->base, on_stop, w) : NULL;
	w->drain_ev = w->base ? evtimer_new(w->base, on_drain_timeout, w) : NULL;
	w->tick_ev = w->base ? event_new(w->base, -1, EV_PERSIST, on_tick, w) : NULL;
	if (!w->base || !w->slots || !w->ring || !w->check_ev || !w->stop_ev || !w->drain_ev ||
	    !w->tick_ev) {
		w->bw.fatal = tk_err_set(err, TK_E_NOMEM, "worker %u: out of memory", w->bw.id);
		return;
	}
	struct timeval tv = ms_tv(CHECK_MS);
	event_add(w->check_ev, &tv);
	for (unsigned i = 0; i < w->nconns; i++) {
		struct conn *c = &w->conns[i];
		c->w = w;
		c->first_slot = i * cfg->pipeline;
		c->retry_ev = evtimer_new(w->base, conn_retry, c);
		if (!c->retry_ev) {
			w->bw.fatal =
			    tk_err_set(err, TK_E_NOMEM, "worker %u: out of memory", w->bw.id);
			return;
		}
		for (unsigned j = 0; j < cfg->pipeline; j++)
			w->slots[c->first_slot + j].c = c;
		if (conn_open(c, err) != TK_E_OK) {
			w->bw.fatal = err->code;
			return;
		}
	}
}

static void worker_connect_and_preload(struct worker *w)
{
	const struct bench_config *cfg = w->cfg;

	worker_setup(w, &w->bw.fatal_err);
	if (w->bw.fatal)
		return;
	/* A ping per connection proves the hello went through. */
	w->phase = PH_CONNECT;
	for (unsigned i = 0; i < w->nconns && !w->bw.fatal; i++) {
		struct slot *s = &w->slots[w->conns[i].first_slot];
		enum tk_err rc = tkv_async_ping(s->c->a, on_reply, s);
		if (rc != TK_E_OK) {
			set_fatal(w, rc, "connect", tk_strerror(rc));
			break;
		}
		s->busy = true;
		s->c->in_flight++;
		w->in_flight++;
	}
	if (!w->bw.fatal)
		event_base_dispatch(w->base);
	if (w->bw.fatal || !cfg->preload)
		return;

	w->phase = PH_PRELOAD;
	w->pre_next = share_start(cfg->keyspace, cfg->threads, w->bw.id);
	w->pre_end = w->pre_next + bench_share(cfg->keyspace, cfg->threads, w->bw.id);
	size_t per = cfg->value_size + 32;
	w->pre_batch = (unsigned)((1u << 20) / per);
	if (w->pre_batch > PRELOAD_BATCH_MAX)
		w->pre_batch = PRELOAD_BATCH_MAX;
	if (w->pre_batch == 0)
		w->pre_batch = 1;
	uint64_t t = tk_mono_ns();
	for (unsigned i = 0; i < w->nslots && w->pre_next < w->pre_end && !w->bw.fatal; i++)
		preload_next(w, &w->slots[i]);
	if (!w->bw.fatal && w->in_flight)
		event_base_dispatch(w->base);
	w->pre_ns = tk_mono_ns() - t;
}

static void worker_prepare(struct bench_worker *bw)
{
	worker_connect_and_preload((struct worker *)bw);
}

static void worker_run(struct bench_worker *bw)
{
	run_phase((struct worker *)bw);
}

static void worker_destroy(struct worker *w)
{
	w->phase = PH_DONE;
	for (unsigned i = 0; i < w->nconns; i++) {
		struct conn *c = &w->conns[i];
		tkv_async_free(c->a); /* callbacks of abandoned requests are ignored */
		if (c->retry_ev)
			event_free(c->retry_ev);
	}
	if (w->check_ev)
		event_free(w->check_ev);
	if (w->stop_ev)
		event_free(w->stop_ev);
	if (w->drain_ev)
		event_free(w->drain_ev);
	if (w->tick_ev)
		event_free(w->tick_ev);
	if (w->base)
		event_base_free(w->base);
	free(w->conns);
	free(w->slots);
	free(w->ring);
}

/* ---- monitor ----------------------------------------------------------- */

struct monitor {
	struct worker *ws;
	unsigned n;
	struct shared *sh;
};

static bool progress(void *ctx, uint64_t *last_done, uint64_t *last_ns)
{
	const struct monitor *m = ctx;
	struct worker *ws = m->ws;
	unsigned n = m->n;
	struct shared *sh = m->sh;
	uint64_t done = 0, failed = 0, in_flight = 0, backlog = 0, now = tk_mono_ns();
	for (unsigned i = 0; i < n; i++) {
		done += peek(&ws[i].pub_done);
		failed += peek(&ws[i].pub_failed);
		in_flight += peek(&ws[i].pub_in_flight);
		backlog += peek(&ws[i].pub_backlog);
	}
	uint64_t t0 = bench_pool_t0(&sh->pool);
	if (sh->cfg->preload && bench_pool_preparing(&sh->pool)) {
		fprintf(stderr, "\rpreload: %llu of %llu keys\033[K",
			(unsigned long long)done, (unsigned long long)sh->cfg->keyspace);
	} else if (t0) {
		if (*last_ns < t0) { /* first line of the run */
			*last_ns = t0;
			*last_done = 0;
		}
		double el = (double)(now - t0) / 1e9, dt = (double)(now - *last_ns) / 1e9;
		double cur = dt > 0 ? (double)(done - *last_done) / dt : 0;
		double avg = el > 0 ? (double)done / el : 0;
		fprintf(stderr, "\r%6.1fs  %llu ops  %.0f ops/s (avg %.0f)  in-flight %llu", el,
			(unsigned long long)done, cur, avg, (unsigned long long)in_flight);
		if (sh->cfg->rate > 0)
			fprintf(stderr, "  backlog %llu", (unsigned long long)backlog);
		fprintf(stderr, "  errors %llu\033[K", (unsigned long long)failed);
	}
	fflush(stderr);
	*last_done = done;
	*last_ns = now;
	return true;
}

static void collect(struct worker *ws, unsigned n, struct bench_result *res)
{
	uint64_t t0 = UINT64_MAX, t1 = 0;
	memset(res, 0, sizeof(*res));
	for (int op = 0; op < OP__COUNT; op++)
		bench_hist_init(&res->op[op].lat);
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = &ws[i];
		for (int op = 0; op < OP__COUNT; op++) {
			struct bench_op_stats *d = &res->op[op], *s = &w->st[op];
			d->ok += s->ok;
			d->errors += s->errors;
			d->hits += s->hits;
			d->misses += s->misses;
			d->rows += s->rows;
			bench_hist_merge(&d->lat, &s->lat);
		}
		for (int e = 0; e < TK_E__COUNT; e++)
			res->errors[e] += w->errors[e];
		res->unsent += w->unsent;
		res->preloaded += w->pre_done;
		if ((double)w->pre_ns / 1e9 > res->preload_s)
			res->preload_s = (double)w->pre_ns / 1e9;
		if (w->t0 && w->t0 < t0)
			t0 = w->t0;
		if (w->last_reply_ns > t1)
			t1 = w->last_reply_ns;
	}
	res->elapsed_ns = t1 > t0 && t0 != UINT64_MAX ? t1 - t0 : 0;
	snprintf(res->server, sizeof(res->server), "%s", ws[0].server);
}

enum tk_err bench_run(const struct bench_config *cfg, const volatile int *stop,
		      struct bench_result *res, struct tk_errbuf *err)
{
	struct shared sh = {.cfg = cfg, .stop = stop};
	unsigned n = cfg->threads;
	enum tk_err rc = TK_E_OK;

	if (cfg->zipf > 0)
		bench_zipf_init(&sh.zipf, cfg->keyspace, cfg->zipf);
	sh.values = malloc(cfg->value_size + VALUE_SLACK);
	struct worker *ws = calloc(n, sizeof(*ws));
	if (!sh.values || !ws) {
		free(sh.values);
		free(ws);
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	}
	struct bench_rng vr;
	bench_rng_seed(&vr, cfg->seed ^ UINT64_C(0x5eed));
	/* Printable random bytes: readable with the inline protocol. */
	for (size_t i = 0; i < cfg->value_size + VALUE_SLACK; i++)
		sh.values[i] = (uint8_t)('!' + bench_rng_below(&vr, 94));

	for (unsigned i = 0; i < n; i++) {
		struct worker *w = &ws[i];
		w->sh = &sh;
		w->cfg = cfg;
		w->open = cfg->rate > 0;
		for (int op = 0; op < OP__COUNT; op++)
			bench_hist_init(&w->st[op].lat);
		w->nconns = (unsigned)bench_share(cfg->connections, n, i);
		w->conns = calloc(w->nconns, sizeof(*w->conns));
		bench_rng_seed(&w->rng, cfg->seed * 1000003u + i);
		unsigned cum = 0;
		for (int op = 0; op < OP__COUNT; op++)
			w->mix_cum[op] = cum += cfg->mix[op];
		w->mix_total = cum;
		if (!w->conns) {
			rc = tk_err_set(err, TK_E_NOMEM, "out of memory");
			break;
		}
	}
	if (rc == TK_E_OK) {
		struct monitor m = {ws, n, &sh};
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
	free(sh.values);
	return rc;
}
