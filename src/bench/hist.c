/* Log-linear histogram: see hist.h for the bucket layout and its error bound. */
#include "bench/hist.h"

#include <string.h>

void bench_hist_init(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/* Index = shift * 128 + (v >> shift), where shift makes v >> shift land in
 * [128, 256).  Below 128 the shift is 0 and the index is v itself, so small
 * values are exact and the two ranges join without a gap. */
unsigned bench_hist_bucket_of(uint64_t v)
{
	if (v < BENCH_HIST_SUB_COUNT)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - BENCH_HIST_SUB_BITS;
	return shift * BENCH_HIST_SUB_COUNT + (unsigned)(v >> shift);
}

static unsigned bucket_shift(unsigned idx)
{
	return idx < 2 * BENCH_HIST_SUB_COUNT ? 0 : idx / BENCH_HIST_SUB_COUNT - 1;
}

uint64_t bench_hist_bucket_low(unsigned idx)
{
	unsigned shift = bucket_shift(idx);
	return (uint64_t)(idx - shift * BENCH_HIST_SUB_COUNT) << shift;
}

uint64_t bench_hist_bucket_high(unsigned idx)
{
	unsigned shift = bucket_shift(idx);
	return bench_hist_bucket_low(idx) + ((UINT64_C(1) << shift) - 1);
}

void bench_hist_record_n(struct bench_hist *h, uint64_t v, uint64_t n)
{
	if (n == 0)
		return;
	h->buckets[bench_hist_bucket_of(v)] += n;
	h->count += n;
	h->sum += (long double)v * (long double)n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void bench_hist_record(struct bench_hist *h, uint64_t v)
{
	bench_hist_record_n(h, v, 1);
}

void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	if (src->count == 0)
		return;
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t bench_hist_quantile(const struct bench_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	/* The rank of the value at q: ceil(q * count), at least 1.  The slack
	 * keeps 0.9 * 1000 (900.0000000000001 in binary) at rank 900. */
	double r = q * (double)h->count;
	uint64_t rank = (uint64_t)r;
	if (r - (double)rank > 1e-6)
		rank++;
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			uint64_t v = bench_hist_bucket_high(i);
			if (v > h->max)
				v = h->max;
			if (v < h->min)
				v = h->min;
			return v;
		}
	}
	return h->max;
}

double bench_hist_mean(const struct bench_hist *h)
{
	return h->count ? (double)(h->sum / (long double)h->count) : 0.0;
}
