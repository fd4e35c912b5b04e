/* Counters and latency histograms of tinykvd, rendered as Prometheus text
 * (/metrics) and JSON (/status, INFO).  Plain integers owned by the server:
 * everything runs on the reactor thread, so no atomics are needed. */
#ifndef TK_NET_METRICS_H
#define TK_NET_METRICS_H

#include <stdint.h>

#include "codec/schema.h"
#include "util/bytes.h"

/* Latency buckets (upper bounds in microseconds), a power-of-two-ish ladder. */
#define NET_LAT_BUCKETS 18

struct net_msg_metrics {
	uint64_t requests;
	uint64_t errors;
	uint64_t lat_count[NET_LAT_BUCKETS + 1]; /* the last is +Inf */
	uint64_t lat_sum_us;
};

struct net_metrics {
	struct net_msg_metrics msg[TK_MSG__COUNT + 1]; /* + inline-only commands */
	uint64_t conns_accepted, conns_rejected, conns_current;
	uint64_t conns_closed_protocol; /* closed for garbage, oversize frames, bad hello */
	uint64_t conns_closed_idle;
	uint64_t conns_paused; /* times reading paused for output backpressure */
	uint64_t commits;      /* group commits (write batches) */
	uint64_t committed_ops;
	uint64_t inline_commands;
	uint64_t bytes_in, bytes_out;
};

extern const uint64_t net_lat_bounds_us[NET_LAT_BUCKETS];

void net_metrics_observe(struct net_metrics *m, int msg_type, uint64_t lat_ns, bool error);

/* Latency percentile (0..1) estimated from the histogram, in microseconds. */
uint64_t net_metrics_percentile_us(const struct net_msg_metrics *mm, double q);

#endif
