/* libtinykv: the transaction client (Percolator, proto-spec/txn.md).
 *
 * Snapshot-isolated transactions over tinykvd's kv_* commands with
 * timestamps from tinykv-scheduler's TSO:
 *   begin      start_ts from the TSO;
 *   get, scan  read at start_ts (and see the transaction's own writes);
 *   set, delete buffered in the client until commit;
 *   commit     two-phase: prewrite the primary key (the first key in byte
 *              order), then the secondaries; commit_ts from the TSO; commit
 *              the primary (the commit point), then the secondaries;
 *   rollback   drop the buffer (nothing was written before commit).
 * A lock met on the way is resolved: the fate of its transaction is asked
 * from its primary (kv_check_txn_status, which rolls back expired locks),
 * then its locks are committed or rolled back (kv_resolve_lock); a live lock
 * is waited for with exponential backoff up to a deadline.
 *
 * Errors: TK_E_WRITE_CONFLICT (another transaction committed one of our keys
 * after our start_ts: retry with a new transaction, or use tkv_txn_run),
 * TK_E_TXN_ROLLED_BACK / TK_E_TXN_NOT_FOUND at commit (our locks were
 * resolved away, e.g. after their TTL, so the transaction did not commit),
 * TK_E_KEY_LOCKED / TK_E_TIMEOUT (a lock stayed alive past the backoff
 * deadline), transport and server errors as in tinykv.h.  A transaction that
 * failed is finished: free it.  TK_E_UNKNOWN_OUTCOME from commit: a
 * request of the commit was sent and never answered (tinykv.h, Routing);
 * if it was the primary's commit, whether the transaction committed is
 * unknown until its primary is read (a reader resolves it either way).
 *
 * Routing: every command goes to the leader of its key's region, found
 * through the scheduler (tinykv.h, Routing); a prewrite or commit of keys
 * in several regions is one request per region (the primary alone first,
 * as always), a scan goes region by region, tkv_txn_gc resolves and
 * collects each region in turn.  A scheduler without a cluster (a
 * standalone tinykvd next to it) leaves everything to store_address.
 *
 * Threading: a client and its transactions are used by one thread at a
 * time.  One transaction at a time per client is the simple rule; several
 * are allowed (they share the connections). */
#ifndef TINYKV_TXN_H
#define TINYKV_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tinykv.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tkv_txn_config {
	const char *store_address;     /* tinykvd; default "127.0.0.1:20160" */
	const char *scheduler_address; /* TSO; default "127.0.0.1:2379" */
	unsigned lock_ttl_ms;          /* lifetime of our locks; default 3000 */
	unsigned backoff_max_ms;       /* give up resolving a live lock after; default 10000 */
	unsigned timeout_ms;           /* per request; default 10000 */
	/* Testing only: stop the commit right after the prewrites (1) or right
	 * after committing the primary (2), returning TK_E_INTERNAL, as if the
	 * process had died there.  0 in real use. */
	int crash_point;
};
void tkv_txn_config_default(struct tkv_txn_config *c);

struct tkv_txn_client;
struct tkv_txn;

enum tk_err tkv_txn_client_new(const struct tkv_txn_config *cfg, struct tkv_txn_client **out,
			       struct tk_errbuf *err);
void tkv_txn_client_free(struct tkv_txn_client *c);
/* One timestamp from the TSO (for GC safe points, tests). */
enum tk_err tkv_txn_client_ts(struct tkv_txn_client *c, uint64_t *ts, struct tk_errbuf *err);

enum tk_err tkv_txn_begin(struct tkv_txn_client *c, struct tkv_txn **out, struct tk_errbuf *err);
uint64_t tkv_txn_start_ts(const struct tkv_txn *t);
/* The value visible to the transaction; *value as tkv_get (free with tkv_free). */
enum tk_err tkv_txn_get(struct tkv_txn *t, const void *key, size_t key_len, uint8_t **value,
			size_t *value_len, bool *found, struct tk_errbuf *err);
/* Pairs of [start, end) (end NULL: no end), at most limit (0: 100), in key
 * order, including the transaction's own buffered writes.  Free with
 * tkv_kvs_free. */
enum tk_err tkv_txn_scan(struct tkv_txn *t, const void *start, size_t start_len, const void *end,
			 size_t end_len, uint32_t limit, struct tkv_kv **kvs, size_t *n,
			 struct tk_errbuf *err);
enum tk_err tkv_txn_set(struct tkv_txn *t, const void *key, size_t key_len, const void *value,
			size_t value_len, struct tk_errbuf *err);
enum tk_err tkv_txn_delete(struct tkv_txn *t, const void *key, size_t key_len,
			   struct tk_errbuf *err);
/* Commit; *commit_ts (may be NULL) receives the commit timestamp (0 for a
 * read-only transaction, which commits trivially). */
enum tk_err tkv_txn_commit(struct tkv_txn *t, uint64_t *commit_ts, struct tk_errbuf *err);
enum tk_err tkv_txn_rollback(struct tkv_txn *t, struct tk_errbuf *err);
void tkv_txn_free(struct tkv_txn *t);

/* Run fn in a new transaction and commit it; on a write conflict (or a lock
 * that expired under us) start over, at most max_attempts times.  fn returns
 * TK_E_OK to commit, anything else to roll back and return that. */
typedef enum tk_err (*tkv_txn_fn)(struct tkv_txn *t, void *arg, struct tk_errbuf *err);
enum tk_err tkv_txn_run(struct tkv_txn_client *c, unsigned max_attempts, tkv_txn_fn fn, void *arg,
			struct tk_errbuf *err);

/* Remove MVCC history below safe_point after resolving the locks there
 * (kv_scan_lock, check status, resolve, kv_gc).  *deleted may be NULL. */
enum tk_err tkv_txn_gc(struct tkv_txn_client *c, uint64_t safe_point, uint64_t *deleted,
		       struct tk_errbuf *err);

#ifdef __cplusplus
}
#endif
#endif
