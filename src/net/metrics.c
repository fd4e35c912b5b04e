#include "net/metrics.h"

const uint64_t net_lat_bounds_us[NET_LAT_BUCKETS] = {
	10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 10000000};

void net_metrics_observe(struct net_metrics *m, int msg_type, uint64_t lat_ns, bool error)
{
	struct net_msg_metrics *mm = &m->msg[msg_type];
	uint64_t us = lat_ns / 1000;
	mm->requests++;
	if (error)
		mm->errors++;
	mm->lat_sum_us += us;
	int b = 0;
	while (b < NET_LAT_BUCKETS && us > net_lat_bounds_us[b])
		b++;
	mm->lat_count[b]++;
}

uint64_t net_metrics_percentile_us(const struct net_msg_metrics *mm, double q)
{
	uint64_t total = 0;
	for (int b = 0; b <= NET_LAT_BUCKETS; b++)
		total += mm->lat_count[b];
	if (!total)
		return 0;
	uint64_t want = (uint64_t)(q * (double)total + 0.5), seen = 0;
	for (int b = 0; b < NET_LAT_BUCKETS; b++) {
		seen += mm->lat_count[b];
		if (seen >= want)
			return net_lat_bounds_us[b];
	}
	return net_lat_bounds_us[NET_LAT_BUCKETS - 1];
}
