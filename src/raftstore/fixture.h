/* An in-process cluster for raftstore tests: N stores, each with its own
 * LevelDB in a temp dir, a transport the test controls (queue, drop or
 * hold back a fraction by seed, partition into groups) and a deterministic clock (ticks
 * driven by the test).  Region 1 spans everything with peers 1..N on stores
 * 1..N (fx_new_peers: peers 1..P on stores 1..P, the other stores empty). */
#ifndef TK_RAFTSTORE_FIXTURE_H
#define TK_RAFTSTORE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "raftstore/store.h"

#define FX_MAX 5
#define FX_RID 1

struct fx_msg {
	uint64_t from, to;
	struct rs_envelope env; /* owned copy */
};

struct fx {
	int n;
	char *dir[FX_MAX + 1];
	struct eng *e[FX_MAX + 1];
	struct rs_store *s[FX_MAX + 1];
	int group[FX_MAX + 1]; /* partition: messages cross no groups */
	unsigned drop_pct;     /* drop this percentage, by seed */
	uint64_t dropped;      /* messages drop_pct dropped */
	unsigned delay_pct;    /* hold back this percentage a delivery, by seed */
	uint64_t delayed;      /* messages delay_pct held back (each time) */
	uint64_t rng;
	struct fx_msg *q;
	size_t qn, qcap;
	uint64_t sending_store;     /* whose ready pass is running */
	struct rs_peer_options opt; /* every store's (seed replaced per start) */
	size_t snap_chunk_bytes;    /* every store's, read at fx_start (256) */
	unsigned snap_window;       /* (2) */
	bool no_sync;               /* every store's, read at fx_start (false) */
};

struct fx *fx_new(int n, uint64_t seed);
/* With peer options o (copied; NULL: defaults). */
struct fx *fx_new_opts(int n, uint64_t seed, const struct rs_peer_options *o);
/* n stores, region 1 bootstrapped with peers 1..peers on stores 1..peers. */
struct fx *fx_new_peers(int n, int peers, uint64_t seed, const struct rs_peer_options *o);
void fx_free(struct fx *c);
void fx_start(struct fx *c, int id);
/* Kill: drop the store and its engine (pending callbacks fire
 * SHUTTING_DOWN); restart with fx_start. */
void fx_kill(struct fx *c, int id);
/* Run ready passes and deliver until nothing moves. */
void fx_settle(struct fx *c);
void fx_tick(struct fx *c, int n);
/* One ready pass of every store, then one delivery of what they sent. */
void fx_round(struct fx *c);
void fx_partition(struct fx *c, const int *group); /* group[1..n]; NULL heals */
/* The store whose peer leads (0 when none), and campaigning a peer. */
int fx_leader(struct fx *c);
void fx_campaign(struct fx *c, int id);
/* Store id's peer of region 1 and its raft (NULL when it has none). */
struct rs_peer *fx_peer(struct fx *c, int id);
struct raft_node *fx_raft(struct fx *c, int id);
/* Propose a one-op command on store id; result written to *rc (INT_MIN
 * while pending) and *fired counted. */
struct fx_result {
	int rc;
	int fired;
};
void fx_propose(struct fx *c, int id, int op, const char *key, const char *val,
                struct fx_result *r);
/* rs_store_change_peer on region 1 at store id, result as fx_propose. */
void fx_change_peer(struct fx *c, int id, int add, uint64_t peer_id, uint64_t store_id,
                    struct fx_result *r);
/* Raw value of key on store id (false when absent). */
bool fx_get(struct fx *c, int id, const char *key, char *out, size_t cap);
uint64_t fx_counter(struct fx *c, int id, const char *key);
raft_index fx_applied(struct fx *c, int id);
/* Log entry keys of the region stored in store id's engine. */
size_t fx_log_keys(struct fx *c, int id);

/* Tick until some store leads (bounded; fails the test otherwise). */
int fx_await_leader(struct fx *c);
/* Store id's region (NULL: no peer or uninitialized). */
const struct rs_region *fx_region(struct fx *c, int id);
/* Put through whoever leads, retried until acknowledged. */
void fx_put_ok(struct fx *c, const char *k, const char *v);
/* Add (add != 0) or remove peer_id on store_id through whoever leads,
 * retried until the leader applied it. */
void fx_change_ok(struct fx *c, int add, uint64_t peer_id, uint64_t store_id);
/* Tick until every member applied what the leader did and every live store
 * that is no member holds no peer. */
void fx_converge(struct fx *c);
/* Keys in store id's data columns (raw, default, lock, write). */
size_t fx_data_keys(struct fx *c, int id);
/* Raft column records of region 1 in store id's engine. */
size_t fx_raft_records(struct fx *c, int id);
/* Assert store id holds key k with value want (NULL: absent). */
void fx_expect_val(struct fx *c, int id, const char *k, const char *want);
/* The raw keys of store id with prefix, in order, joined as "k=v;". */
void fx_scan_prefix(struct fx *c, int id, const char *prefix, struct tk_buf *out);
/* The generic test's clients: client cl's i-th write is "c<cl>-<i>" =
 * "x<i>" (fx_put_ok); after n of them, store id must hold exactly those,
 * in order. */
void fx_client_put(struct fx *c, int cl, int i);
void fx_expect_client_keys(struct fx *c, int id, int cl, int n);
/* Region 1's state as stored in dir (its store is down), and how many raft
 * column records of it are left (raft_records may be NULL). */
uint8_t fx_stored_state(const char *dir, size_t *raft_records);

#endif
