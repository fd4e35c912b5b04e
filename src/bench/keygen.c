/* Workload randomness: the generator, key bytes, zipfian ranks. */
#include <math.h>
#include <string.h>

#include "bench/bench.h"

void bench_rng_seed(struct bench_rng *r, uint64_t seed)
{
	r->s = seed ^ UINT64_C(0x6a09e667f3bcc909);
}

uint64_t bench_rng_next(struct bench_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Multiply-shift (Lemire) instead of %: no division on the hot path. */
uint64_t bench_rng_below(struct bench_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)bench_rng_next(r) * n) >> 64);
}

double bench_rng_unit(struct bench_rng *r)
{
	return (double)(bench_rng_next(r) >> 11) * 0x1.0p-53;
}

size_t bench_key(char *buf, uint64_t i)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	while (n < 12)
		digits[n++] = '0';
	memcpy(buf, "key:", 4);
	size_t len = 4;
	while (n)
		buf[len++] = digits[--n];
	buf[len] = '\0';
	return len;
}

/* Sum of i^-theta for i in [1, n]: exact up to 10^7 terms, then the
 * Euler-Maclaurin estimate of the rest (the integral plus the end
 * correction), whose error is far below what the benchmark can notice. */
static double zeta(uint64_t n, double theta)
{
	const uint64_t exact = 10000000;
	uint64_t m = n < exact ? n : exact;
	double sum = 0;
	for (uint64_t i = m; i >= 1; i--) /* smallest terms first */
		sum += pow((double)i, -theta);
	if (n > m) {
		double dn = (double)n, dm = (double)m;
		sum += (pow(dn, 1 - theta) - pow(dm, 1 - theta)) / (1 - theta) +
		       (pow(dn, -theta) - pow(dm, -theta)) / 2;
	}
	return sum;
}

void bench_zipf_init(struct bench_zipf *z, uint64_t n, double theta)
{
	memset(z, 0, sizeof(*z));
	z->n = n;
	z->theta = theta;
	z->alpha = 1.0 / (1.0 - theta);
	z->zetan = zeta(n, theta);
	z->half_pow_theta = pow(0.5, theta);
	/* With n <= 2 the first two branches of next() cover every draw. */
	if (n > 2)
		z->eta = (1.0 - pow(2.0 / (double)n, 1.0 - theta)) /
			 (1.0 - (1.0 + z->half_pow_theta) / z->zetan);
}

uint64_t bench_zipf_next(const struct bench_zipf *z, struct bench_rng *r)
{
	double u = bench_rng_unit(r);
	double uz = u * z->zetan;
	if (uz < 1.0 || z->n == 1)
		return 0;
	if (uz < 1.0 + z->half_pow_theta || z->n == 2)
		return 1;
	uint64_t k = (uint64_t)((double)z->n * pow(z->eta * u - z->eta + 1.0, z->alpha));
	return k < z->n ? k : z->n - 1;
}

static bool picked(const uint64_t *out, unsigned n, uint64_t k)
{
	for (unsigned i = 0; i < n; i++)
		if (out[i] == k)
			return true;
	return false;
}

void bench_pick_distinct(struct bench_rng *r, const struct bench_zipf *zipf, uint64_t keyspace,
			 unsigned n, uint64_t *out)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t k = 0;
		/* Redraw on a repeat, which keeps the distribution; a skewed
		 * draw over a keyspace barely larger than n could repeat for
		 * long, so after a few tries take the next free key. */
		for (int tries = 0; tries < 64; tries++) {
			k = zipf ? bench_zipf_next(zipf, r) : bench_rng_below(r, keyspace);
			if (!picked(out, i, k))
				break;
		}
		while (picked(out, i, k))
			k = (k + 1) % keyspace;
		out[i] = k;
	}
}
