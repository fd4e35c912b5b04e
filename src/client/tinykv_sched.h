/* libtinykv: the scheduler client (tinykv-scheduler, proto-spec/scheduler.md).
 *
 * A blocking client of its own, one connection, one request at a time:
 * the scheduler is off the data path (clients cache routing; stores
 * heartbeat every few seconds), so simplicity wins here.  The same handle
 * serves stores (hello role "store": bootstrap, registration, heartbeats)
 * and clients (role "client": timestamps, routing, admin).
 *
 * Errors as in tinykv.h: every call returns enum tk_err and fills err (may
 * be NULL) with the code and a message: the scheduler's for its errors
 * (NOT_BOOTSTRAPPED, STALE_COMMAND, REGION_NOT_FOUND, ...), TK_E_CONNECTION /
 * TK_E_TIMEOUT / TK_E_CLOSED for transport failures.  After a transport
 * failure the next call reconnects; a failed call is never retried.  A
 * connection the scheduler closed (a restart) is noticed before a request
 * is risked on it, and replaced.
 *
 * Memory returned is malloc'ed, one allocation per result (free it with
 * tkv_free); input is borrowed for the call.  A handle is used by one
 * thread at a time. */
#ifndef TINYKV_SCHED_H
#define TINYKV_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tinykv.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tkv_sched_config {
	const char *address;         /* "host:port"; default "127.0.0.1:2379" */
	const char *role;            /* "client" (default) or "store" */
	const char *name;            /* sent in hello; default "libtinykv" */
	unsigned connect_timeout_ms; /* default 3000 */
	unsigned timeout_ms;         /* per request; default 10000; 0 = none */
	uint64_t cluster_id;         /* the cluster we belong to; 0 = any.  A
				      * scheduler of another cluster is refused
				      * at connect (TK_E_CLUSTER_MISMATCH), and
				      * requests carry it so the scheduler
				      * checks it too */
};
void tkv_sched_config_default(struct tkv_sched_config *c);

struct tkv_sched;

/* Connect and say hello.  TK_E_BAD_CONFIG (address), TK_E_CONNECTION,
 * TK_E_TIMEOUT, TK_E_VERSION_MISMATCH (wrong protocol, or not a
 * scheduler).  cfg may be NULL; its strings are copied. */
enum tk_err tkv_sched_connect(const struct tkv_sched_config *cfg, struct tkv_sched **out,
			      struct tk_errbuf *err);
void tkv_sched_close(struct tkv_sched *s);
/* The cluster id from the scheduler's hello (0 before a connection). */
uint64_t tkv_sched_cluster_id(const struct tkv_sched *s);

/* ---- region metadata ---- */
struct tkv_peer {
	uint64_t id;
	uint64_t store_id;
};

struct tkv_region {
	uint64_t id;
	const uint8_t *start; /* empty: -infinity */
	size_t start_len;
	const uint8_t *end;   /* empty: +infinity */
	size_t end_len;
	uint64_t conf_ver, version;
	const struct tkv_peer *peers;
	size_t n_peers;
};

/* What the scheduler knows of a region (routing answers, listings). */
struct tkv_region_info {
	struct tkv_region region;
	struct tkv_peer leader;  /* id 0: unknown */
	const char *leader_addr; /* "" when unknown */
	uint64_t size, keys;     /* approximate */
	size_t n_pending, n_down;
};

struct tkv_store_info {
	uint64_t id;
	char addr[256];
	char state[16]; /* "up", "disconnected", "down", "offline", "tombstone" */
	uint64_t capacity, available;
	uint64_t region_count, leader_count, region_size;
	uint64_t hb_age_ms; /* 0: never (or just now) */
};

struct tkv_store_stats {
	uint64_t store_id;
	uint64_t capacity, available, used;
	uint64_t regions;
	uint64_t sending_snaps, receiving_snaps, applying_snaps;
	bool busy;
};

/* A region heartbeat from its leader. */
struct tkv_region_hb {
	struct tkv_region region;
	struct tkv_peer leader;
	const uint64_t *pending; /* peer ids catching up */
	size_t n_pending;
	const struct tkv_peer *down; /* id = peer id, store_id = seconds down (reuse) */
	size_t n_down;
	uint64_t size, keys;
};

enum tkv_step_kind { TKV_STEP_ADD_PEER, TKV_STEP_REMOVE_PEER, TKV_STEP_TRANSFER_LEADER };
struct tkv_op_step {
	enum tkv_step_kind kind;
	uint64_t peer_id;
	uint64_t store_id;
};

struct tkv_op_info {
	uint64_t region_id;
	char kind[24];
	char desc[64];
	struct tkv_op_step steps[8];
	size_t n_steps, cur;
	uint64_t age_ms;
};

struct tkv_setting {
	char name[48];
	char value[64];
};

/* ---- calls ---- */
enum tk_err tkv_sched_is_bootstrapped(struct tkv_sched *s, bool *bootstrapped,
				      struct tk_errbuf *err);
enum tk_err tkv_sched_bootstrap(struct tkv_sched *s, uint64_t store_id, const char *store_addr,
				const struct tkv_region *first, struct tk_errbuf *err);
/* count ids *first .. *first + count - 1 (count 0 means 1). */
enum tk_err tkv_sched_alloc_ids(struct tkv_sched *s, uint64_t count, uint64_t *first,
				struct tk_errbuf *err);
/* count timestamps *first .. *first + count - 1 (count 0 means 1). */
enum tk_err tkv_sched_get_ts(struct tkv_sched *s, uint64_t count, uint64_t *first,
			     struct tk_errbuf *err);
enum tk_err tkv_sched_put_store(struct tkv_sched *s, uint64_t id, const char *addr,
				struct tk_errbuf *err);
enum tk_err tkv_sched_get_store(struct tkv_sched *s, uint64_t id, struct tkv_store_info *out,
				struct tk_errbuf *err);
/* *out: an array of *n stores (free with tkv_free). */
enum tk_err tkv_sched_get_all_stores(struct tkv_sched *s, bool no_tombstones,
				     struct tkv_store_info **out, size_t *n, struct tk_errbuf *err);
enum tk_err tkv_sched_store_heartbeat(struct tkv_sched *s, const struct tkv_store_stats *st,
				      struct tk_errbuf *err);
/* *has_step says whether the scheduler sent *step for the leader to do. */
enum tk_err tkv_sched_region_heartbeat(struct tkv_sched *s, const struct tkv_region_hb *hb,
				       struct tkv_op_step *step, bool *has_step,
				       struct tk_errbuf *err);
/* The outcome of one heartbeat of a batch. */
struct tkv_region_hb_result {
	uint64_t region_id;
	enum tk_err code;  /* TK_E_OK, or why this beat was refused */
	char message[160];
	bool has_step;
	struct tkv_op_step step;
};
/* n heartbeats in one request (at most 10,000); results[i] answers hbs[i].
 * The call fails as a whole only for transport errors, TK_E_CLUSTER_MISMATCH
 * and TK_E_TOO_LARGE. */
enum tk_err tkv_sched_region_heartbeats(struct tkv_sched *s, const struct tkv_region_hb *hbs,
					size_t n, struct tkv_region_hb_result *results,
					struct tk_errbuf *err);
/* *out: one allocation (free with tkv_free). */
enum tk_err tkv_sched_get_region(struct tkv_sched *s, const void *key, size_t key_len,
				 struct tkv_region_info **out, struct tk_errbuf *err);
enum tk_err tkv_sched_get_region_by_id(struct tkv_sched *s, uint64_t id,
				       struct tkv_region_info **out, struct tk_errbuf *err);
/* Regions from the one containing start, before end (NULL: no end), at
 * most limit (0: 100).  *out: an array of *n (one allocation). */
enum tk_err tkv_sched_scan_regions(struct tkv_sched *s, const void *start, size_t start_len,
				   const void *end, size_t end_len, uint32_t limit,
				   struct tkv_region_info **out, size_t *n, bool *more,
				   struct tk_errbuf *err);
/* new_peers has room for r->n_peers ids. */
enum tk_err tkv_sched_ask_split(struct tkv_sched *s, const struct tkv_region *r,
				uint64_t *new_region, uint64_t *new_peers, struct tk_errbuf *err);

/* ---- admin ---- */
enum tk_err tkv_sched_store_offline(struct tkv_sched *s, uint64_t id, bool cancel,
				    struct tk_errbuf *err);
enum tk_err tkv_sched_list_operators(struct tkv_sched *s, struct tkv_op_info **out, size_t *n,
				     struct tk_errbuf *err);
/* *active and *available: NULL-terminated arrays of names, one
 * allocation each (free with tkv_free). */
enum tk_err tkv_sched_list_schedulers(struct tkv_sched *s, char ***active, char ***available,
				      struct tk_errbuf *err);
enum tk_err tkv_sched_add_scheduler(struct tkv_sched *s, const char *name, struct tk_errbuf *err);
enum tk_err tkv_sched_remove_scheduler(struct tkv_sched *s, const char *name,
				       struct tk_errbuf *err);
/* name NULL: every setting.  *out: an array of *n (free with tkv_free). */
enum tk_err tkv_sched_get_config(struct tkv_sched *s, const char *name, struct tkv_setting **out,
				 size_t *n, struct tk_errbuf *err);
enum tk_err tkv_sched_set_config(struct tkv_sched *s, const char *name, const char *value,
				 struct tk_errbuf *err);

const char *tkv_step_kind_name(enum tkv_step_kind k); /* "add_peer", ... */

#ifdef __cplusplus
}
#endif
#endif
