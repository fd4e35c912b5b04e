/* tinykv-bench's worker threads: see pool.h. */
#include "bench/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/clock.h"

static void *worker_main(void *arg)
{
	struct bench_worker *w = arg;
	struct bench_pool *p = w->pool;

	p->ops->prepare(w);
	if (w->fatal)
		__atomic_store_n(&p->abort, 1, __ATOMIC_RELAXED);
	pthread_barrier_wait(&p->barrier);
	if (w->id == 0)
		__atomic_store_n(&p->preparing, 0, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&p->abort, __ATOMIC_RELAXED))
		p->ops->run(w);
	__atomic_fetch_sub(&p->running, 1, __ATOMIC_RELEASE);
	return NULL;
}

enum tk_err bench_pool_run(struct bench_pool *p, const struct bench_pool_ops *ops, void *workers,
                           size_t size, unsigned n, bool show, struct tk_errbuf *err)
{
	p->ops = ops;
	p->abort = 0;
	p->preparing = 1;
	p->run_t0 = 0;
	p->running = n;
	pthread_barrier_init(&p->barrier, NULL, n);
	for (unsigned i = 0; i < n; i++) {
		struct bench_worker *w =
		    (struct bench_worker *)(void *)((char *)workers + i * size);
		w->id = i;
		w->pool = p;
		if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
			/* Threads already started wait at the barrier for ever:
			 * there is no clean way back, so say so and exit. */
			fprintf(stderr, "tinykv-bench: cannot start thread %u\n", i);
			exit(1);
		}
	}
	uint64_t last_done = 0, last_ns = 0, next_line = tk_mono_ns() + 1000000000u;
	while (__atomic_load_n(&p->running, __ATOMIC_ACQUIRE) > 0) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
		if (show && ops->progress && tk_mono_ns() >= next_line &&
		    ops->progress(ops->ctx, &last_done, &last_ns))
			next_line += 1000000000u;
	}
	if (show && last_ns)
		fprintf(stderr, "\r\033[K");
	enum tk_err rc = TK_E_OK;
	for (unsigned i = 0; i < n; i++) {
		struct bench_worker *w =
		    (struct bench_worker *)(void *)((char *)workers + i * size);
		pthread_join(w->tid, NULL);
		if (rc == TK_E_OK && w->fatal) {
			*err = w->fatal_err;
			rc = w->fatal;
		}
	}
	pthread_barrier_destroy(&p->barrier);
	return rc;
}

void bench_pool_start_clock(struct bench_pool *p, uint64_t t0_ns)
{
	__atomic_store_n(&p->run_t0, t0_ns, __ATOMIC_RELEASE);
}

uint64_t bench_pool_t0(struct bench_pool *p)
{
	return __atomic_load_n(&p->run_t0, __ATOMIC_ACQUIRE);
}

bool bench_pool_preparing(struct bench_pool *p)
{
	return __atomic_load_n(&p->preparing, __ATOMIC_RELAXED) != 0;
}

uint64_t bench_share(uint64_t total, unsigned parts, unsigned i)
{
	return total / parts + (i < total % parts);
}
