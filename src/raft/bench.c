/* raft_bench: a 3-node in-memory cluster committing 100-byte proposals.
 * Reports committed entries per second and heap allocations per entry.
 *
 * Usage: raft_bench [entries [batch [bytes]]]   (default 2000000 256 100)
 *
 * The loop is what a store does per reactor iteration: propose a batch on the
 * leader, then for every node with a ready: persist (in-memory storage), send
 * (stepped straight into the peer, which is not inside its own ready), apply
 * (count), advance.  Allocations are counted by wrapping glibc's malloc
 * (not under sanitizers, which own malloc). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "raft/memstore.h"
#include "raft/raft.h"

#if !defined(__SANITIZE_ADDRESS__) && defined(__GLIBC__)
#define COUNT_ALLOCS 1
static unsigned long long n_allocs;
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
void *malloc(size_t n)
{
	n_allocs++;
	return __libc_malloc(n);
}
void *calloc(size_t n, size_t s)
{
	n_allocs++;
	return __libc_calloc(n, s);
}
void *realloc(void *p, size_t n)
{
	n_allocs++;
	return __libc_realloc(p, n);
}
void free(void *p)
{
	__libc_free(p);
}
#else
#define COUNT_ALLOCS 0
static unsigned long long n_allocs;
#endif

#define N 3

struct bnode {
	struct raft_node *r;
	struct raft_memstore *ms;
	unsigned long long applied;
};

static struct bnode nodes[N + 1];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int process(raft_id id)
{
	struct bnode *b = &nodes[id];
	int any = 0;
	while (raft_has_ready(b->r)) {
		any = 1;
		struct raft_ready rd;
		raft_ready(b->r, &rd);
		if (rd.snapshot)
			raft_memstore_apply_snapshot(b->ms, rd.snapshot);
		if (rd.n_entries)
			raft_memstore_append(b->ms, rd.entries, rd.n_entries);
		if (rd.has_hard_state)
			raft_memstore_set_hard_state(b->ms, &rd.hard_state);
		for (size_t i = 0; i < rd.n_msgs; i++)
			raft_step(nodes[rd.msgs[i].to].r, &rd.msgs[i]);
		b->applied += rd.n_committed;
		raft_advance(b->r);
		/* a store compacts its log once applied; keep memory flat */
		raft_index applied = 0;
		struct raft_status st;
		raft_status(b->r, &st);
		applied = st.applied;
		if (applied > raft_memstore_first(b->ms) + 100000) {
			struct raft_conf_state cs;
			raft_memstore_conf(b->ms, &cs);
			raft_memstore_create_snapshot(b->ms, applied - 50000, &cs, "s", 1);
			raft_memstore_compact(b->ms, applied - 50000);
		}
	}
	return any;
}

static void settle(void)
{
	for (int rounds = 0; rounds < 1000; rounds++) {
		int any = 0;
		for (raft_id i = 1; i <= N; i++)
			any |= process(i);
		if (!any)
			return;
	}
}

int main(int argc, char **argv)
{
	unsigned long long total = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
	size_t batch = argc > 2 ? strtoul(argv[2], NULL, 10) : 256;
	size_t bytes = argc > 3 ? strtoul(argv[3], NULL, 10) : 100;
	if (!batch || !total) {
		fprintf(stderr, "usage: raft_bench [entries [batch [bytes]]]\n");
		return 2;
	}
	raft_id voters[N] = {1, 2, 3};
	for (raft_id i = 1; i <= N; i++) {
		nodes[i].ms = raft_memstore_new();
		struct raft_config c;
		memset(&c, 0, sizeof(c));
		c.id = i;
		c.voters = voters;
		c.n_voters = N;
		c.election_ticks = 10;
		c.heartbeat_ticks = 1;
		c.max_inflight = 256;
		c.max_msg_bytes = 1 << 20;
		c.storage = raft_memstore_storage(nodes[i].ms);
		c.seed = i;
		if (raft_node_new(&c, &nodes[i].r) != TK_OK) {
			fprintf(stderr, "raft_node_new failed\n");
			return 1;
		}
	}
	raft_campaign(nodes[1].r);
	settle();
	if (raft_role(nodes[1].r) != RAFT_LEADER) {
		fprintf(stderr, "no leader\n");
		return 1;
	}
	unsigned char *payload = malloc(bytes ? bytes : 1);
	memset(payload, 'p', bytes);
	struct raft_entry *ents = calloc(batch, sizeof(*ents));
	for (size_t i = 0; i < batch; i++) {
		ents[i].type = RAFT_ENTRY_NORMAL;
		ents[i].data = payload;
		ents[i].len = bytes;
	}
	unsigned long long base = nodes[1].applied;
	unsigned long long allocs0 = n_allocs;
	double t0 = now_s();
	unsigned long long proposed = 0;
	while (nodes[1].applied - base < total) {
		if (proposed < total) {
			if (raft_propose(nodes[1].r, ents, batch) != TK_OK) {
				fprintf(stderr, "propose refused\n");
				return 1;
			}
			proposed += batch;
		}
		settle();
	}
	double dt = now_s() - t0;
	unsigned long long done = nodes[1].applied - base;
	unsigned long long allocs = n_allocs - allocs0;
	printf("raft_bench: 3 nodes, %zu-byte entries, batches of %zu\n", bytes, batch);
	printf("raft_bench: %llu entries committed and applied (leader) in %.3f s: %.0f entries/s\n",
	       done, dt, (double)done / dt);
	if (COUNT_ALLOCS)
		printf("raft_bench: %.3f heap allocations per entry (whole cluster, incl. storage)\n",
		       (double)allocs / (double)done);
	else
		printf("raft_bench: allocation count not available in this build\n");
	for (raft_id i = 1; i <= N; i++) {
		if (nodes[i].applied < nodes[1].applied) {
			/* followers learn the final commit on the next heartbeat */
			raft_tick(nodes[1].r);
			settle();
		}
	}
	for (raft_id i = 1; i <= N; i++) {
		raft_node_free(nodes[i].r);
		raft_memstore_free(nodes[i].ms);
	}
	free(ents);
	free(payload);
	return 0;
}
