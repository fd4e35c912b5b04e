/* tinykvd's store service: the command table (raw and transactional
 * commands, framed and inline alike) and the group commit, on the protocol
 * core of src/net.
 *
 * Request flow: net decodes a request and calls store_execute, which looks
 * the type up in the command table.  A read runs at once, unless its
 * connection still waits for its own writes: then it is held (NET_HOLD)
 * until the group commit made them durable, so it sees them and the
 * iteration's batch is never written early for it.  A write adds to the
 * store's pending batch and defers its reply (net_defer); a raw_cas reads
 * the batch's raw writes through an overlay before it decides; the group commit
 * (group_commit.c), the store's end-of-iteration work, writes the batch once
 * (with fsync when sync is on), completes the replies, releases
 * transactional latches and resumes the held connections. */
#ifndef TK_STORE_STORE_H
#define TK_STORE_STORE_H

#include "net/net.h"
#include "raftstore/overlay.h"

/* Keys longer than this are refused (TOO_LARGE): they bloat every index
 * block they land in, and no sane schema needs them. */
#define STORE_MAX_KEY TK_MAX_KEY

/* Values longer than this are refused (TOO_LARGE): see TK_MAX_VALUE. */
enum tk_err store_check_value(struct tk_slice v, struct tk_errbuf *eb);

/* Transactional state of the store (txn_cmds.c). */
struct store_txn {
	struct txn_latches *latches;
	struct eng_batch *batch; /* one command's writes, before they join the group */
	uint64_t next_cmd;
	uint64_t *held; /* commands whose latches wait for the commit */
	size_t n_held, cap_held;
	bool exclusive; /* a resolve/gc of this iteration: commit before the next writer */
};

struct store {
	struct net_server net; /* first: the process root of tinykvd */
	/* group commit */
	struct eng_batch *batch;
	/* the raw column's writes in batch, readable (raw_cas compares with
	 * them); recorded with every raw write, cleared with the batch */
	struct rs_overlay raw_ov;
	struct net_slot **pending; /* replies of the writes in batch */
	size_t npending, cap_pending;
	struct net_conn **held_conns; /* reads waiting for the commit */
	size_t nheld, cap_held;
	struct tk_buf val; /* scratch for point reads */
	struct store_txn txn;
};

static inline struct store *store_of(struct net_server *s)
{
	return (struct store *)s;
}

/* A command handler: reads fill resp (valid until the next request on the
 * connection) and return TK_OK; writes add to s->batch and set *deferred
 * (the reply comes from the group commit).  Errors fill eb. */
typedef enum tk_err (*store_handler)(struct store *s, struct net_conn *c, const void *req,
                                     void *resp, bool *deferred, struct tk_errbuf *eb);

/* ---- commands.c: the one command table ---- */
extern const struct net_service store_service;

/* ---- raw_cmds.c ---- */
enum tk_err store_raw_get(struct store *, struct net_conn *, const void *, void *, bool *,
                          struct tk_errbuf *);
enum tk_err store_raw_put(struct store *, struct net_conn *, const void *, void *, bool *,
                          struct tk_errbuf *);
enum tk_err store_raw_delete(struct store *, struct net_conn *, const void *, void *, bool *,
                             struct tk_errbuf *);
enum tk_err store_raw_scan(struct store *, struct net_conn *, const void *, void *, bool *,
                           struct tk_errbuf *);
enum tk_err store_raw_batch_get(struct store *, struct net_conn *, const void *, void *, bool *,
                                struct tk_errbuf *);
enum tk_err store_raw_batch_put(struct store *, struct net_conn *, const void *, void *, bool *,
                                struct tk_errbuf *);
enum tk_err store_raw_batch_delete(struct store *, struct net_conn *, const void *, void *, bool *,
                                   struct tk_errbuf *);
/* Compare-and-swap: decided against the raw column as the batch leaves it
 * (overlay first, then the engine), the write staged in the same batch;
 * deferred when it wrote or compared with a pending write. */
enum tk_err store_raw_cas(struct store *, struct net_conn *, const void *, void *, bool *,
                          struct tk_errbuf *);
enum tk_err store_check_key(struct tk_slice k, struct tk_errbuf *eb);
/* Scan bounds obey the key length limit (TOO_LARGE); empty ones are fine. */
enum tk_err store_check_bounds(struct tk_slice start, struct tk_slice end, struct tk_errbuf *eb);

/* ---- txn_cmds.c: Percolator commands ---- */
enum tk_err store_kv_get(struct store *, struct net_conn *, const void *, void *, bool *,
                         struct tk_errbuf *);
enum tk_err store_kv_scan(struct store *, struct net_conn *, const void *, void *, bool *,
                          struct tk_errbuf *);
enum tk_err store_kv_prewrite(struct store *, struct net_conn *, const void *, void *, bool *,
                              struct tk_errbuf *);
enum tk_err store_kv_commit(struct store *, struct net_conn *, const void *, void *, bool *,
                            struct tk_errbuf *);
enum tk_err store_kv_rollback(struct store *, struct net_conn *, const void *, void *, bool *,
                              struct tk_errbuf *);
enum tk_err store_kv_check_status(struct store *, struct net_conn *, const void *, void *, bool *,
                                  struct tk_errbuf *);
enum tk_err store_kv_resolve(struct store *, struct net_conn *, const void *, void *, bool *,
                             struct tk_errbuf *);
enum tk_err store_kv_scan_lock(struct store *, struct net_conn *, const void *, void *, bool *,
                               struct tk_errbuf *);
enum tk_err store_kv_gc(struct store *, struct net_conn *, const void *, void *, bool *,
                        struct tk_errbuf *);
/* Called by the group commit once the batch is durable (or failed). */
void store_txn_release_latches(struct store *s);
enum tk_err store_txn_init(struct store *s);
void store_txn_destroy(struct store *s);

/* ---- group_commit.c ---- */
/* Queue a write's reply until the batch is committed; resp is the success
 * reply, encoded now.  TK_E_NOMEM. */
enum tk_err store_defer_write(struct store *s, const struct net_req *r, const void *resp);
/* Hold c's input until the next commit (a read behind its own writes). */
enum tk_err store_hold(struct store *s, struct net_conn *c);
/* Write the pending batch now (fsync when sync is on), answer every
 * pending write, release latches, resume held connections.  A no-op when
 * nothing is pending. */
void store_commit(struct store *s);
/* The end-of-iteration hook of the service. */
void store_iteration_end(struct net_server *ns);
void store_group_commit_destroy(struct store *s);

#endif
