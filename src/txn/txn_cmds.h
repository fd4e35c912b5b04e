/* Server side of Percolator transactions (DESIGN.md section 7): the
 * commands a store runs for the transactional client, independent of how
 * storage is replicated.
 *
 * Every command reads through a view (struct mvcc_view: engine plus
 * snapshot) and appends its mutations to a write batch b that the caller
 * applies: eng_write in standalone mode, a raft proposal in a region.  The
 * caller must hold the per-key latches of the command's keys (latches.h)
 * from before the read until the batch is applied, so that no two commands
 * on one key interleave.  Contract for b: it is empty on entry; when the
 * command returns anything but TK_OK it is left empty (nothing to apply).
 * Every command is idempotent: running it again after its batch was applied
 * returns the same answer and writes nothing new that matters.
 *
 * Responses are plain structs; every key, value and primary they point to is
 * allocated from the arena a (the caller resets it after encoding the
 * response).  Return value: TK_OK; a transaction outcome (KEY_LOCKED,
 * WRITE_CONFLICT, TXN_NOT_FOUND, TXN_COMMITTED, TXN_ROLLED_BACK) with its
 * detail in the response; TK_E_BAD_REQUEST for an invalid request; or an
 * engine error (IO, CORRUPTION, NOMEM) with detail in eb. */
#ifndef TK_TXN_TXN_CMDS_H
#define TK_TXN_TXN_CMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "txn/mvcc.h"
#include "util/arena.h"
#include "util/bytes.h"
#include "util/err.h"

/* A lock as shown to clients (KEY_LOCKED and check-txn-status). */
struct txn_lock_info {
	struct tk_slice key;
	struct tk_slice primary;
	uint64_t start_ts;
	uint64_t ttl_ms;
	enum mvcc_lock_kind kind;
};

/* Why one key failed.  code is the tk_err; the fields that apply to it:
 *   KEY_LOCKED       lock (another txn's lock on key)
 *   WRITE_CONFLICT   conflict_start_ts/conflict_commit_ts (the newest write
 *                    committed at or after our start_ts), primary (ours)
 *   TXN_NOT_FOUND    lock, if another txn's lock sits where ours should be
 *   TXN_COMMITTED    commit_ts
 *   TXN_ROLLED_BACK  nothing more */
struct txn_key_error {
	enum tk_err code;
	struct tk_slice key;
	struct txn_lock_info lock;
	bool has_lock;
	struct tk_slice primary;
	uint64_t start_ts;
	uint64_t conflict_start_ts;
	uint64_t conflict_commit_ts;
	uint64_t commit_ts;
};

/* ---- get ---- */

struct txn_get_req {
	struct tk_slice key;
	uint64_t version; /* the reader's start_ts */
};
struct txn_get_resp {
	bool found;
	struct tk_slice value;
	struct txn_key_error err; /* KEY_LOCKED */
};
/* The value of key committed at or before version.  KEY_LOCKED when a
 * PUT/DELETE lock with start_ts <= version sits on the key (its txn may
 * commit below version); LOCK-kind locks never block.  Writes nothing. */
enum tk_err txn_get(const struct mvcc_view *v, const struct txn_get_req *req,
		    struct txn_get_resp *resp, struct tk_arena *a, struct tk_errbuf *eb);

/* ---- prewrite ---- */

enum txn_op {
	TXN_OP_PUT = 1,
	TXN_OP_DEL = 2,
	TXN_OP_LOCK = 3, /* lock the key without changing it (read-write check) */
};
struct txn_mutation {
	enum txn_op op;
	struct tk_slice key;
	struct tk_slice value; /* PUT only */
};
struct txn_prewrite_req {
	const struct txn_mutation *muts;
	size_t n_muts;
	struct tk_slice primary;
	uint64_t start_ts;
	uint64_t lock_ttl_ms;
	uint64_t min_commit_ts; /* stored in the locks; 0: none */
};
struct txn_prewrite_resp {
	struct txn_key_error *errors; /* one per failed mutation */
	size_t n_errors;
};
/* Lock every mutation's key for the txn and stage its value.  Per key:
 * another txn's lock -> KEY_LOCKED; a write (other than another txn's
 * rollback) committed at or after start_ts -> WRITE_CONFLICT; our own
 * rollback record -> TXN_ROLLED_BACK; already locked by us, or already
 * committed by us -> ok, nothing rewritten.  All keys are checked; if any
 * fails nothing is written and the first failure's code is returned, all of
 * them listed in resp->errors.  Later mutations of a duplicated key win. */
enum tk_err txn_prewrite(const struct mvcc_view *v, struct eng_batch *b,
			 const struct txn_prewrite_req *req, struct txn_prewrite_resp *resp,
			 struct tk_arena *a, struct tk_errbuf *eb);

/* ---- commit ---- */

struct txn_commit_req {
	const struct tk_slice *keys;
	size_t n_keys;
	uint64_t start_ts;
	uint64_t commit_ts; /* > start_ts */
};
struct txn_commit_resp {
	struct txn_key_error err;
};
/* Turn the txn's locks on keys into commit records at commit_ts.  Per key:
 * our lock -> committed; already committed by us -> ok; rolled back ->
 * TXN_ROLLED_BACK; no lock of ours and no record -> TXN_NOT_FOUND (the lock
 * was resolved away or never written).  Stops at the first failure and then
 * writes nothing. */
enum tk_err txn_commit(const struct mvcc_view *v, struct eng_batch *b,
		       const struct txn_commit_req *req, struct txn_commit_resp *resp,
		       struct tk_arena *a, struct tk_errbuf *eb);

/* ---- scan ---- */

struct txn_scan_req {
	struct tk_slice start; /* inclusive */
	struct tk_slice end;   /* exclusive; p == NULL: no bound */
	size_t limit;          /* max pairs; 0 returns none */
	uint64_t version;
	bool key_only;
};
struct txn_kv_pair {
	struct tk_slice key;
	struct tk_slice value;    /* empty when key_only or locked */
	struct txn_key_error err; /* code TK_OK, or KEY_LOCKED with lock */
};
struct txn_scan_resp {
	struct txn_kv_pair *pairs;
	size_t n_pairs;
};
/* Up to limit keys of [start, end) visible at version, in key order.  A key
 * with a blocking lock (as for get) appears as a pair whose err is
 * KEY_LOCKED and the scan goes on, so the client can resolve every lock it
 * met at once; the command then returns TK_E_KEY_LOCKED (pairs still
 * valid).  Writes nothing. */
enum tk_err txn_scan(const struct mvcc_view *v, const struct txn_scan_req *req,
		     struct txn_scan_resp *resp, struct tk_arena *a, struct tk_errbuf *eb);

/* ---- check-txn-status ---- */

enum txn_status {
	TXN_STATUS_LOCKED = 1,
	TXN_STATUS_COMMITTED = 2,
	TXN_STATUS_ROLLED_BACK = 3,
};
enum txn_action {
	TXN_ACTION_NONE = 0,
	TXN_ACTION_TTL_EXPIRE_ROLLBACK = 1,     /* the primary lock expired */
	TXN_ACTION_LOCK_NOT_EXIST_ROLLBACK = 2, /* no lock, no record: rolled back */
};
struct txn_check_status_req {
	struct tk_slice primary;
	uint64_t lock_ts;    /* the txn's start_ts */
	uint64_t current_ts; /* the caller's now, a TSO timestamp */
};
struct txn_check_status_resp {
	enum txn_status status;
	enum txn_action action;
	uint64_t commit_ts;        /* COMMITTED */
	struct txn_lock_info lock; /* LOCKED: the live primary lock (ttl_ms) */
};
/* Decide the fate of txn lock_ts from its primary key: committed (with
 * commit_ts), rolled back, or still locked.  A primary lock whose TTL has
 * run out (physical(lock_ts) + ttl_ms < physical(current_ts)) is rolled
 * back; with neither lock nor record a rollback record is written, so a
 * prewrite that arrives later fails.  Returns TK_OK (the outcome is data). */
enum tk_err txn_check_txn_status(const struct mvcc_view *v, struct eng_batch *b,
				 const struct txn_check_status_req *req,
				 struct txn_check_status_resp *resp, struct tk_arena *a,
				 struct tk_errbuf *eb);

/* ---- heart beat ---- */

struct txn_heart_beat_req {
	struct tk_slice primary;
	uint64_t start_ts;
	uint64_t advise_ttl_ms;
};
struct txn_heart_beat_resp {
	uint64_t ttl_ms;          /* the lock's TTL after the call */
	struct txn_key_error err; /* TXN_NOT_FOUND */
};
/* Keep a long transaction alive: raise the TTL of its primary lock to
 * advise_ttl_ms (never lowers it).  TXN_NOT_FOUND when the primary lock is
 * gone (committed, rolled back, or never written). */
enum tk_err txn_heart_beat(const struct mvcc_view *v, struct eng_batch *b,
			   const struct txn_heart_beat_req *req, struct txn_heart_beat_resp *resp,
			   struct tk_arena *a, struct tk_errbuf *eb);

/* ---- batch rollback ---- */

struct txn_rollback_req {
	const struct tk_slice *keys;
	size_t n_keys;
	uint64_t start_ts;
};
struct txn_rollback_resp {
	struct txn_key_error err; /* TXN_COMMITTED with commit_ts */
};
/* Roll the txn back on keys: remove its lock and staged value and leave a
 * rollback record (also where nothing was prewritten yet, so a late
 * prewrite fails).  Already rolled back -> ok.  A key the txn committed ->
 * TXN_COMMITTED and nothing is written. */
enum tk_err txn_batch_rollback(const struct mvcc_view *v, struct eng_batch *b,
			       const struct txn_rollback_req *req, struct txn_rollback_resp *resp,
			       struct tk_arena *a, struct tk_errbuf *eb);

/* ---- resolve lock ---- */

struct txn_resolve_req {
	uint64_t start_ts;
	uint64_t commit_ts;    /* 0: roll back; else commit at it (> start_ts) */
	struct tk_slice start; /* lock column range to scan (a region's) */
	struct tk_slice end;   /* p == NULL: no bound */
	size_t limit;          /* max locks resolved per call; 0: no limit */
};
struct txn_resolve_resp {
	size_t n_resolved;
	bool more; /* limit reached: apply the batch and call again */
};
/* Commit or roll back every lock of txn start_ts in [start, end) of the lock
 * column.  Resolved locks vanish, so calling again after applying the batch
 * continues where it stopped. */
enum tk_err txn_resolve_lock(const struct mvcc_view *v, struct eng_batch *b,
			     const struct txn_resolve_req *req, struct txn_resolve_resp *resp,
			     struct tk_errbuf *eb);

/* ---- scan lock ---- */

struct txn_scan_lock_req {
	uint64_t max_ts;       /* locks with start_ts <= max_ts */
	struct tk_slice start; /* user key range; end.p == NULL: no bound */
	struct tk_slice end;
	size_t limit; /* max locks returned; 0: no limit */
};
struct txn_scan_lock_resp {
	struct txn_lock_info *locks;
	size_t n_locks;
	bool more; /* limit reached: continue after the last key */
};
/* The locks of [start, end) with start_ts <= max_ts, in key order: what a GC
 * worker resolves (check-txn-status on each primary, then resolve-lock)
 * before it runs txn_gc at a safe point of max_ts.  Writes nothing. */
enum tk_err txn_scan_lock(const struct mvcc_view *v, const struct txn_scan_lock_req *req,
			  struct txn_scan_lock_resp *resp, struct tk_arena *a, struct tk_errbuf *eb);

/* ---- garbage collection ---- */

struct txn_gc_req {
	uint64_t safe_point;
	struct tk_slice start; /* user key range; end.p == NULL: no bound */
	struct tk_slice end;
	size_t limit; /* max user keys visited per call; 0: no limit */
};
struct txn_gc_resp {
	size_t n_keys;            /* user keys visited */
	size_t n_deleted;         /* write records removed */
	bool more;                /* limit reached */
	struct tk_slice next_key; /* when more: start of the next call */
};
/* Remove history no reader at or above safe_point can see: for each key,
 * the newest PUT committed at or before safe_point stays (with everything
 * newer); older versions and their values go, as do all ROLLBACK and LOCK
 * records at or below safe_point; a newest-below-safe-point DELETE goes too,
 * since nothing older remains for it to hide.  Locks are left alone.
 *
 * Precondition: no lock with start_ts <= safe_point remains in the range
 * (find them with txn_scan_lock and resolve them first).  The commit record
 * on a primary is what tells the fate of its txn's secondaries; GC may
 * remove it, after which check-txn-status would roll the txn back. */
enum tk_err txn_gc(const struct mvcc_view *v, struct eng_batch *b, const struct txn_gc_req *req,
		   struct txn_gc_resp *resp, struct tk_arena *a, struct tk_errbuf *eb);

#endif
