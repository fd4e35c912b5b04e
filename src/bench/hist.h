/* A log-linear latency histogram in the HDR style.
 *
 * Values (nanoseconds in tinykv-bench, but any uint64) below 2^BENCH_HIST_SUB_BITS
 * get one bucket each; above, every power of two [2^m, 2^(m+1)) is cut into
 * 2^BENCH_HIST_SUB_BITS equal buckets.  A bucket is therefore never wider than
 * 1/128 of the values it holds, so a reported percentile is at most 0.79%
 * above the true value and never below it (we report the highest value a
 * bucket can hold, as HdrHistogram does).  The whole uint64 range fits in
 * BENCH_HIST_BUCKETS counters (58 KiB), so recording never fails or allocates.
 *
 * The struct is a plain value: embed it, bench_hist_init it, merge histograms of
 * several threads with bench_hist_merge.  Not thread-safe. */
#ifndef TK_BENCH_HIST_H
#define TK_BENCH_HIST_H

#include <stdint.h>

#define BENCH_HIST_SUB_BITS 7
#define BENCH_HIST_SUB_COUNT (1u << BENCH_HIST_SUB_BITS)
/* Highest index: shift 64-1-7 = 56 -> 56 * 128 + 255. */
#define BENCH_HIST_BUCKETS ((64 - BENCH_HIST_SUB_BITS) * BENCH_HIST_SUB_COUNT + BENCH_HIST_SUB_COUNT)

struct bench_hist {
	uint64_t count;
	uint64_t min; /* exact; UINT64_MAX while empty */
	uint64_t max; /* exact; 0 while empty */
	long double sum; /* for the mean; exact enough up to 2^64 values */
	uint64_t buckets[BENCH_HIST_BUCKETS];
};

/* Empty h. */
void bench_hist_init(struct bench_hist *h);
/* Count value v once / n times. */
void bench_hist_record(struct bench_hist *h, uint64_t v);
void bench_hist_record_n(struct bench_hist *h, uint64_t v, uint64_t n);
/* Add every count of src into dst (src unchanged). */
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);
/* The value at quantile q (0 <= q <= 1, e.g. 0.999): the smallest recorded
 * bucket bound below or at which at least q of the values lie, clamped to
 * [min, max] so that q = 1 gives the exact max and q = 0 the exact min.
 * 0 for an empty histogram. */
uint64_t bench_hist_quantile(const struct bench_hist *h, double q);
/* Arithmetic mean, 0 when empty. */
double bench_hist_mean(const struct bench_hist *h);

/* Bucket arithmetic, exposed for the tests. */
unsigned bench_hist_bucket_of(uint64_t v);
uint64_t bench_hist_bucket_low(unsigned idx);
uint64_t bench_hist_bucket_high(unsigned idx);

#endif
