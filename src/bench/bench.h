/* tinykv-bench: configuration, workload generation and the run's results.
 *
 * Files: opts.c (command line -> struct bench_config), keygen.c (random
 * numbers, key/value bytes, zipf), run.c (raw KV mode, workers: one
 * event_base and its connections per thread, closed and open loop), tso.c
 * (--mode tso: get_ts against tinykv-scheduler), txn.c (--mode txn:
 * Percolator transactions, one blocking client per worker thread),
 * pool.c (the worker threads of every mode: barrier, progress line, join),
 * report.c (text and JSON output), hist.c (latency histogram), main.c. */
#ifndef TK_BENCH_BENCH_H
#define TK_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/hist.h"
#include "tk_errors.h"

enum bench_op { OP_GET, OP_PUT, OP_SCAN, OP__COUNT };

/* What is measured: raw KV requests to tinykvd (the default), timestamps
 * from tinykv-scheduler, or transactions over both. */
enum bench_mode { MODE_KV, MODE_TSO, MODE_TXN };

struct bench_config {
	char address[256];
	unsigned connections; /* total, spread over the threads */
	unsigned pipeline;    /* requests in flight per connection */
	unsigned threads;
	uint64_t keyspace;
	size_t value_size;
	unsigned mix[OP__COUNT]; /* relative weights of get, put, scan */
	unsigned scan_limit;
	uint64_t requests; /* total to send; 0 = run for duration_s */
	double duration_s;
	double rate; /* requests/s over all connections; 0 = closed loop */
	double zipf; /* theta in (0, 1); 0 = uniform keys */
	unsigned timeout_ms;
	uint64_t seed;
	bool preload, json, quiet;
	enum bench_mode mode;
	char scheduler[256]; /* tso and txn: tinykv-scheduler's HOST:PORT */
	unsigned tso_batch;  /* tso: timestamps per get_ts */
	unsigned txn_keys;   /* txn: keys read and written per transaction */
};

/* Largest keyspace: keys stay "key:" + 12 digits. */
#define BENCH_MAX_KEYSPACE UINT64_C(1000000000000)
#define BENCH_MAX_VALUE (4u << 20)

#define BENCH_MAX_TSO_BATCH 16384u /* the scheduler's limit per get_ts */
#define BENCH_MAX_TXN_KEYS 1000u

/* Defaults: raw KV mode, 127.0.0.1:20160, 50 connections, pipeline 16, one
 * thread, keyspace 100000, 100-byte values, mix 90:10:0, scan limit 10,
 * 10 s; scheduler 127.0.0.1:2379, tso batch 100, txn keys 1. */
void bench_config_default(struct bench_config *c);

/* Parse argv into c (which holds the defaults).  Returns 0 to run, 1 when
 * --help or --version was printed to out (exit 0), -1 on a usage error with
 * the reason in err (exit 2).  In tso and txn modes -c defaults to 4; tso
 * mode keeps one request in flight per connection unless -P is given and
 * takes the scheduler from -a when -s is not given; txn mode runs one worker
 * thread per connection (--threads, when given, sets both). */
int bench_parse_args(struct bench_config *c, int argc, char **argv, FILE *out, char *err,
		     size_t errlen);
/* Parse "90:10:0" (get:put:scan; missing trailing fields are 0) into mix.
 * false when malformed or all zero. */
bool bench_parse_mix(const char *s, unsigned mix[OP__COUNT]);

/* ---- keygen.c ---------------------------------------------------------- */
/* splitmix64: small, fast, good enough for workload choices. */
struct bench_rng {
	uint64_t s;
};
void bench_rng_seed(struct bench_rng *r, uint64_t seed);
uint64_t bench_rng_next(struct bench_rng *r);
/* Uniform in [0, n) (n > 0); the bias is below 2^-40 for any n here. */
uint64_t bench_rng_below(struct bench_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double bench_rng_unit(struct bench_rng *r);

/* Write "key:%012llu" of i into buf (at least 24 bytes); returns its length. */
size_t bench_key(char *buf, uint64_t i);

/* Zipfian ranks over [0, n) with skew theta in (0, 1): rank 0 is the most
 * popular.  The method of Gray et al., "Quickly generating billion-record
 * synthetic databases" (SIGMOD 1994), as YCSB uses it; set-up is O(min(n,
 * 10^7)) with the tail of the zeta sum approximated beyond that. */
struct bench_zipf {
	uint64_t n;
	double theta, alpha, zetan, eta, half_pow_theta;
};
void bench_zipf_init(struct bench_zipf *z, uint64_t n, double theta);
uint64_t bench_zipf_next(const struct bench_zipf *z, struct bench_rng *r);

/* ---- run.c ------------------------------------------------------------- */
struct bench_op_stats {
	uint64_t ok, errors;
	uint64_t hits, misses; /* get: found or not */
	uint64_t rows;         /* scan: pairs returned */
	struct bench_hist lat;       /* nanoseconds, successful requests only */
};

struct bench_result {
	char server[128];    /* the server's hello description */
	uint64_t elapsed_ns; /* first send to last reply */
	struct bench_op_stats op[OP__COUNT];
	uint64_t errors[TK_E__COUNT];
	uint64_t unsent;      /* open loop: due before the end but never sent */
	uint64_t preloaded;   /* keys written by --preload */
	double preload_s;

	/* tso and txn modes (zero in raw KV mode).  A failed request or
	 * transaction counts in failed and in errors[code]. */
	uint64_t failed;
	struct bench_hist lat; /* tso: get_ts round trip; txn: begin to commit */
	uint64_t tso_ok;       /* get_ts requests answered */
	uint64_t timestamps;   /* timestamps received */
	uint64_t ts_violations; /* a connection's timestamps not strictly increasing */
	uint64_t txn_committed, txn_aborted;
	uint64_t aborts[TK_E__COUNT]; /* txn: aborted by code */
};

/* Run the benchmark described by c, printing the progress line on stderr
 * unless c->quiet or stderr is not a terminal.  When *stop (if stop is not
 * NULL, e.g. a signal flag) becomes non-zero the run ends early and its
 * results so far are reported.  res is filled (it is large: allocate it).
 * Returns TK_E_OK, or the error that stopped the run before it could measure
 * (connect failure, preload failure) with the reason in err. */
enum tk_err bench_run(const struct bench_config *c, const volatile int *stop,
		      struct bench_result *res, struct tk_errbuf *err);

/* ---- tso.c, txn.c ------------------------------------------------------ */
/* --mode tso / --mode txn; contract as bench_run.  Transaction aborts
 * (write conflicts, our locks resolved away, locks still alive after the
 * backoff) are counted apart from errors. */
enum tk_err bench_run_tso(const struct bench_config *c, const volatile int *stop,
			  struct bench_result *res, struct tk_errbuf *err);
enum tk_err bench_run_txn(const struct bench_config *c, const volatile int *stop,
			  struct bench_result *res, struct tk_errbuf *err);
/* Whether a transaction that failed with e was aborted (another
 * transaction won) rather than broken. */
bool bench_txn_is_abort(enum tk_err e);
/* Choose n distinct key numbers below keyspace (n <= keyspace) into out,
 * with zipf (may be NULL) or uniformly. */
void bench_pick_distinct(struct bench_rng *r, const struct bench_zipf *zipf, uint64_t keyspace,
			 unsigned n, uint64_t *out);

/* ---- report.c ---------------------------------------------------------- */
/* Human-readable report / one JSON object (and a newline) on out. */
void bench_report_text(FILE *out, const struct bench_config *c, const struct bench_result *r);
void bench_report_json(FILE *out, const struct bench_config *c, const struct bench_result *r);
/* Total of successful and failed requests (transactions in txn mode,
 * aborted ones included). */
uint64_t bench_result_ops(const struct bench_result *r);
uint64_t bench_result_errors(const struct bench_result *r);
/* "kv", "tso" or "txn". */
const char *bench_mode_name(enum bench_mode m);

#endif
