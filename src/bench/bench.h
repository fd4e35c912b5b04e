/* tinykv-bench: configuration, workload generation and the run's results.
 *
 * Files: opts.c (command line -> struct bench_config), keygen.c (random
 * numbers, key/value bytes, zipf), run.c (workers: one event_base and its
 * connections per thread, closed and open loop), report.c (text and JSON
 * output), hist.c (latency histogram), main.c. */
#ifndef TK_BENCH_BENCH_H
#define TK_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/hist.h"
#include "tk_errors.h"

enum bench_op { OP_GET, OP_PUT, OP_SCAN, OP__COUNT };

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
};

/* Largest keyspace: keys stay "key:" + 12 digits. */
#define BENCH_MAX_KEYSPACE UINT64_C(1000000000000)
#define BENCH_MAX_VALUE (4u << 20)

/* Defaults: 127.0.0.1:20160, 50 connections, pipeline 16, one thread,
 * keyspace 100000, 100-byte values, mix 90:10:0, scan limit 10, 10 s. */
void bench_config_default(struct bench_config *c);

/* Parse argv into c (which holds the defaults).  Returns 0 to run, 1 when
 * --help or --version was printed to out (exit 0), -1 on a usage error with
 * the reason in err (exit 2). */
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
};

/* Run the benchmark described by c, printing the progress line on stderr
 * unless c->quiet or stderr is not a terminal.  When *stop (if stop is not
 * NULL, e.g. a signal flag) becomes non-zero the run ends early and its
 * results so far are reported.  res is filled (it is large: allocate it).
 * Returns TK_E_OK, or the error that stopped the run before it could measure
 * (connect failure, preload failure) with the reason in err. */
enum tk_err bench_run(const struct bench_config *c, const volatile int *stop,
		      struct bench_result *res, struct tk_errbuf *err);

/* ---- report.c ---------------------------------------------------------- */
/* Human-readable report / one JSON object (and a newline) on out. */
void bench_report_text(FILE *out, const struct bench_config *c, const struct bench_result *r);
void bench_report_json(FILE *out, const struct bench_config *c, const struct bench_result *r);
/* Total of successful and failed requests. */
uint64_t bench_result_ops(const struct bench_result *r);
uint64_t bench_result_errors(const struct bench_result *r);

#endif
