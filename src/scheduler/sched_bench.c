/* sched_bench: heartbeat processing cost of the scheduler's cluster map.
 *
 * Builds a synthetic cluster of N regions (default 100,000) over 3 stores
 * and times, through cluster_region_heartbeat (region tree + per-store
 * counters): the first heartbeat of every region, a steady-state round
 * (sizes change), a round of leader changes, a round of splits reported
 * child first, and key lookups.  Then repeats the first round at N/10 and
 * N*10 (with --scale) to show the per-heartbeat cost growing like log n.
 *
 *   sched_bench [--regions N] [--scale]
 * Each figure is CPU time of this process (what the scheduler's reactor
 * would spend), with wall time in brackets: on a shared machine wall time
 * also counts other processes.  Exits 1 if one round of N heartbeats takes
 * a CPU second or more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/cluster.h"
#include "scheduler/sched.h"
#include "scheduler/sched_config.h"
#include <time.h>

#include "util/clock.h"

struct gen {
	char start[24], end[24];
	struct region_peer peers[3];
	struct region r;
};

/* Region i of n covers [k(i), k(i+1)) with keys spread over the key space
 * (so the tree sees keys in a scattered order when ids are visited in a
 * shuffled order). */
static void make_region(struct gen *g, uint64_t id, uint64_t lo, uint64_t hi, uint64_t n,
			uint64_t version, uint64_t leader_idx)
{
	memset(&g->r, 0, sizeof(g->r));
	if (lo)
		snprintf(g->start, sizeof(g->start), "t%016llx", (unsigned long long)lo);
	else
		g->start[0] = 0;
	if (hi < n * 4)
		snprintf(g->end, sizeof(g->end), "t%016llx", (unsigned long long)hi);
	else
		g->end[0] = 0;
	g->r.id = id;
	g->r.start_key = (const uint8_t *)g->start;
	g->r.start_len = strlen(g->start);
	g->r.end_key = (const uint8_t *)g->end;
	g->r.end_len = strlen(g->end);
	g->r.epoch.conf_ver = 1;
	g->r.epoch.version = version;
	for (int s = 0; s < 3; s++)
		g->peers[s] = (struct region_peer){id * 4 + (uint64_t)s, (uint64_t)s + 1};
	g->r.peers = g->peers;
	g->r.n_peers = 3;
	g->r.leader_peer_id = g->peers[leader_idx % 3].id;
	g->r.approximate_size = 64u << 20;
	g->r.approximate_keys = 100000;
}

static uint64_t *shuffled(uint64_t n, uint64_t seed)
{
	uint64_t *v = malloc(n * sizeof(*v));
	if (!v)
		abort();
	for (uint64_t i = 0; i < n; i++)
		v[i] = i;
	for (uint64_t i = n; i > 1; i--) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t j = (seed >> 33) % i, x = v[i - 1];
		v[i - 1] = v[j];
		v[j] = x;
	}
	return v;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A stopwatch over CPU and wall time. */
struct sw {
	uint64_t cpu, wall;
};

static struct sw sw_start(void)
{
	struct sw w = {cpu_ns(), tk_mono_ns()};
	return w;
}

/* CPU seconds since w; *wall gets wall seconds. */
static double sw_stop(struct sw w, double *wall)
{
	*wall = (double)(tk_mono_ns() - w.wall) / 1e9;
	return (double)(cpu_ns() - w.cpu) / 1e9;
}

static void must(enum tk_err err, const struct tk_errbuf *eb)
{
	if (err) {
		fprintf(stderr, "sched_bench: %s\n", eb->msg);
		exit(2);
	}
}

/* First heartbeat of n regions, each [4i, 4i+4) in key units, visited in a
 * shuffled order.  Returns seconds. */
static double fill(struct cluster *c, uint64_t n, const uint64_t *order, double *wall)
{
	struct gen g;
	struct tk_errbuf eb;
	struct sw t0 = sw_start();
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = order[k];
		make_region(&g, i + 1, i * 4, i * 4 + 4, n, 1, i);
		must(cluster_region_heartbeat(c, &g.r, 0, NULL, &eb), &eb);
	}
	return sw_stop(t0, wall);
}

static uint64_t next_id(void *arg)
{
	static uint64_t id = UINT64_C(1) << 40; /* bench only: ids never collide */
	(void)arg;
	return id++;
}

static int run(uint64_t n, bool detail)
{
	struct sched_config cfg;
	sched_config_default(&cfg);
	struct cluster *c = cluster_new(&cfg);
	struct tk_errbuf eb;
	for (uint64_t s = 1; s <= 3; s++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "127.0.0.1:%llu", (unsigned long long)(20160 + s));
		must(cluster_put_store(c, s, addr, 0, &eb), &eb);
	}
	uint64_t *order = shuffled(n, 42 + n);
	double w_fill, w_steady, w_leader, w_split, w_find;
	double t_fill = fill(c, n, order, &w_fill);
	printf("%8llu regions over 3 stores: first heartbeats %.3f s (%.0f ns each) "
	       "[wall %.3f s]\n",
	       (unsigned long long)n, t_fill, t_fill * 1e9 / (double)n, w_fill);
	if (!detail) {
		free(order);
		cluster_free(c);
		return 0;
	}
	struct gen g;
	struct cluster_hb_result res;
	struct sw t0 = sw_start();
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = order[k];
		make_region(&g, i + 1, i * 4, i * 4 + 4, n, 1, i);
		g.r.approximate_size += k;
		must(cluster_region_heartbeat(c, &g.r, 0, &res, &eb), &eb);
	}
	double t_steady = sw_stop(t0, &w_steady);
	t0 = sw_start();
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = order[k];
		make_region(&g, i + 1, i * 4, i * 4 + 4, n, 1, i + 1);
		must(cluster_region_heartbeat(c, &g.r, 0, &res, &eb), &eb);
	}
	double t_leader = sw_stop(t0, &w_leader);
	/* Split every region at its midpoint; the new child (id n + i + 1)
	 * reports first and replaces the parent's stale range. */
	t0 = sw_start();
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = order[k];
		make_region(&g, n + i + 1, i * 4, i * 4 + 2, n, 2, i);
		must(cluster_region_heartbeat(c, &g.r, 0, &res, &eb), &eb);
		make_region(&g, i + 1, i * 4 + 2, i * 4 + 4, n, 2, i);
		must(cluster_region_heartbeat(c, &g.r, 0, &res, &eb), &eb);
	}
	double t_split = sw_stop(t0, &w_split);
	t0 = sw_start();
	uint64_t found = 0;
	for (uint64_t k = 0; k < n; k++) {
		char key[24];
		snprintf(key, sizeof(key), "t%016llx", (unsigned long long)(order[k] * 4 + 1));
		found += rtree_find(cluster_regions(c), tk_slice_str(key)) != NULL;
	}
	double t_find = sw_stop(t0, &w_find);
	bool counts_ok = cluster_check_counts(c);
	printf("         steady-state heartbeats %.3f s (%.0f ns each) [wall %.3f s]\n", t_steady,
	       t_steady * 1e9 / (double)n, w_steady);
	printf("         leader-change heartbeats %.3f s (%.0f ns each) [wall %.3f s]\n", t_leader,
	       t_leader * 1e9 / (double)n, w_leader);
	printf("         split heartbeats (2 per split, child first) %.3f s (%.0f ns each) "
	       "[wall %.3f s]\n",
	       t_split, t_split * 1e9 / (double)(2 * n), w_split);
	printf("         key lookups %.3f s (%.0f ns each) [wall %.3f s], %llu found\n", t_find,
	       t_find * 1e9 / (double)n, w_find, (unsigned long long)found);
	printf("         regions now %zu, store 1 holds %llu regions, counters %s\n",
	       rtree_count(cluster_regions(c)),
	       (unsigned long long)cluster_store(c, 1)->region_count,
	       counts_ok ? "exact" : "WRONG");
	/* Scheduling over the same map: a full replica patrol (all regions are
	 * healthy: pure checking cost), then two empty stores join and the
	 * balancers are called. */
	struct sched_ctx ctx = {c, &cfg, NULL, 0, 0, next_id, NULL};
	struct tk_buf cursor;
	tk_buf_init(&cursor);
	struct operator ops[64];
	size_t calls = 0, found_ops = 0;
	struct sw tp = sw_start();
	do {
		found_ops += sched_patrol(&ctx, &cursor, ops, 64);
		calls++;
	} while (cursor.len);
	double w_patrol, t_patrol = sw_stop(tp, &w_patrol);
	tk_buf_destroy(&cursor);
	printf("         replica patrol over all regions: %.3f s in %zu calls of %llu "
	       "(%.0f ns a region) [wall %.3f s], %zu operators\n",
	       t_patrol, calls, (unsigned long long)cfg.patrol_batch,
	       t_patrol * 1e9 / (double)rtree_count(cluster_regions(c)), w_patrol, found_ops);
	for (uint64_t s = 4; s <= 5; s++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "127.0.0.1:%llu", (unsigned long long)(20160 + s));
		must(cluster_put_store(c, s, addr, 0, &eb), &eb);
	}
	size_t made = 0;
	tp = sw_start();
	for (int i = 0; i < 1000; i++) {
		ctx.seed = (uint64_t)i;
		made += sched_balance_region(&ctx, ops, 1);
		made += sched_balance_leader(&ctx, ops, 1);
	}
	double w_bal, t_bal = sw_stop(tp, &w_bal);
	printf("         balance-region + balance-leader: %.1f us per call pair [wall %.1f us], "
	       "%zu operators from 1000 pairs\n",
	       t_bal * 1e3, w_bal * 1e3, made);
	double worst = t_fill;
	if (t_steady > worst)
		worst = t_steady;
	if (t_leader > worst)
		worst = t_leader;
	free(order);
	cluster_free(c);
	if (!counts_ok || found != n)
		return 1;
	if (worst >= 1.0) {
		printf("FAIL: %llu heartbeats took %.3f CPU s (budget: under 1 s)\n",
		       (unsigned long long)n, worst);
		return 1;
	}
	printf("OK: %llu regions over 3 stores processed in %.3f CPU s (budget: under 1 s)\n",
	       (unsigned long long)n, worst);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n = 100000;
	bool scale = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--regions") == 0 && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--scale") == 0)
			scale = true;
		else {
			fprintf(stderr, "usage: %s [--regions N] [--scale]\n", argv[0]);
			return 2;
		}
	}
	if (n < 10)
		n = 10;
	int rc = run(n, true);
	printf("per-heartbeat cost by map size (log n growth expected):\n");
	run(n / 10, false);
	run(n, false);
	if (scale)
		run(n * 10, false);
	return rc;
}
