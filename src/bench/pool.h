/* tinykv-bench's worker threads, the same for every mode.
 *
 * A run starts one thread per worker.  Each worker first prepares (connect,
 * preload) and then waits at a barrier for the others, so that the measured
 * run starts together; if any worker failed to prepare (it set `fatal`),
 * none runs.  Worker 0 starts the run's clock (bench_pool_start_clock).
 * The main thread only watches: once a second it calls the mode's progress
 * function (when the line is shown: not --quiet, stderr a terminal), which
 * reads counters the workers publish with relaxed atomic stores; then it
 * joins the threads and reports the first worker's failure. */
#ifndef TK_BENCH_POOL_H
#define TK_BENCH_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tk_errors.h"

struct bench_pool;

/* The first member of every mode's worker struct. */
struct bench_worker {
	unsigned id;
	struct bench_pool *pool;
	pthread_t tid;
	enum tk_err fatal; /* set (with fatal_err) when the worker failed */
	struct tk_errbuf fatal_err;
};

struct bench_pool_ops {
	void (*prepare)(struct bench_worker *w); /* before the barrier */
	void (*run)(struct bench_worker *w);     /* after it, when all prepared */
	/* The progress line (may be NULL): print it from published counters,
	 * keeping *last_done / *last_ns for the rate between lines; false when
	 * there was nothing to print yet (asked again 20 ms later, not 1 s). */
	bool (*progress)(void *ctx, uint64_t *last_done, uint64_t *last_ns);
	void *ctx;
};

struct bench_pool {
	const struct bench_pool_ops *ops;
	pthread_barrier_t barrier;
	int abort;        /* atomic: a worker failed to prepare */
	int preparing;    /* atomic: 1 until the workers passed the barrier */
	uint64_t run_t0;  /* atomic: start of the measured run (worker 0) */
	unsigned running; /* atomic: workers not yet finished */
};

/* Run n workers, worker i at (char *)workers + i * size (each starting with
 * a struct bench_worker, whose id and pool are set here), showing the
 * progress line when show.  Returns TK_E_OK when no worker failed, or the
 * failure of the first one that did, copied into err.  A thread that cannot
 * be started ends the process (the others would wait at the barrier for
 * ever). */
enum tk_err bench_pool_run(struct bench_pool *p, const struct bench_pool_ops *ops, void *workers,
                           size_t size, unsigned n, bool show, struct tk_errbuf *err);
/* Worker 0, when its measured run starts. */
void bench_pool_start_clock(struct bench_pool *p, uint64_t t0_ns);
/* The run's start (0 before it), and whether the workers still prepare:
 * for progress functions. */
uint64_t bench_pool_t0(struct bench_pool *p);
bool bench_pool_preparing(struct bench_pool *p);

/* Part i of total split into parts as evenly as possible. */
uint64_t bench_share(uint64_t total, unsigned parts, unsigned i);

#endif
