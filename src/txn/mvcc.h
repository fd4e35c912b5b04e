/* MVCC over the engine's lock, default and write columns (DESIGN.md sections
 * 3 and 7, Percolator).
 *
 * Layout (keys are built by engine/keys.h):
 *   lock    memcomparable(key)              -> lock record (at most one per key)
 *   default mvcc_key(key, start_ts)         -> value written by the txn started at start_ts
 *   write   mvcc_key(key, commit_ts)        -> write record {kind, start_ts}
 * mvcc_key appends ~ts, so for one key the newest version sorts first.  A
 * rollback record lives at mvcc_key(key, start_ts) with kind ROLLBACK.
 *
 * Values are always stored in the default column, never inline in the write
 * record: one read path, and write records stay fixed-size (11 bytes).  A
 * later version may add inline short values under a new record version.
 *
 * Record encodings are versioned (first byte) and decoding checks every
 * length, so a corrupt or truncated record is TK_E_CORRUPTION, never a crash.
 *
 * Nothing here writes to the engine: readers go through a view (engine plus
 * optional snapshot) and mutations are appended to a caller's eng_batch, so
 * the same code serves standalone mode (caller eng_writes the batch) and raft
 * mode (caller proposes it). */
#ifndef TK_TXN_MVCC_H
#define TK_TXN_MVCC_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/bytes.h"
#include "util/err.h"

#define MVCC_TS_MAX UINT64_MAX
/* Timestamps are physical milliseconds << 18 | logical (DESIGN.md 6). */
#define MVCC_TS_LOGICAL_BITS 18
static inline uint64_t mvcc_ts_physical_ms(uint64_t ts)
{
	return ts >> MVCC_TS_LOGICAL_BITS;
}
static inline uint64_t mvcc_ts_compose(uint64_t physical_ms, uint64_t logical)
{
	return (physical_ms << MVCC_TS_LOGICAL_BITS) | logical;
}

/* ---- records ---- */

enum mvcc_lock_kind {
	MVCC_LOCK_PUT = 1,
	MVCC_LOCK_DELETE = 2,
	MVCC_LOCK_LOCK = 3, /* read lock from a LOCK mutation: no data change */
};

struct mvcc_lock {
	enum mvcc_lock_kind kind;
	uint64_t start_ts;
	uint64_t ttl_ms;        /* lifetime from start_ts's physical time */
	uint64_t min_commit_ts; /* 0: none; commit_ts must be >= it otherwise */
	struct tk_slice primary; /* borrowed from the decoded buffer */
};

enum mvcc_write_kind {
	MVCC_WRITE_PUT = 1,
	MVCC_WRITE_DELETE = 2,
	MVCC_WRITE_ROLLBACK = 3,
	MVCC_WRITE_LOCK = 4, /* committed LOCK mutation: no data change */
};

struct mvcc_write {
	enum mvcc_write_kind kind;
	uint64_t start_ts;
	/* A commit record whose commit_ts equals the start_ts of another,
	 * rolled-back txn: the rollback record would share its key, so the
	 * rollback is kept as this flag instead of overwriting the commit. */
	bool overlapped_rollback;
};

#define MVCC_LOCK_VERSION 1
#define MVCC_WRITE_VERSION 1
#define MVCC_WRITE_RECORD_LEN 11

/* Append the encoding to out.  false on allocation failure. */
bool mvcc_lock_encode(const struct mvcc_lock *l, struct tk_buf *out);
/* Decode a lock record; out->primary borrows from in.  TK_E_CORRUPTION on a
 * truncated, oversized, unknown-version or unknown-kind record. */
enum tk_err mvcc_lock_decode(struct tk_slice in, struct mvcc_lock *out, struct tk_errbuf *eb);
bool mvcc_write_encode(const struct mvcc_write *w, struct tk_buf *out);
enum tk_err mvcc_write_decode(struct tk_slice in, struct mvcc_write *out, struct tk_errbuf *eb);

/* ---- reading ---- */

/* What commands read through: the engine and a snapshot (NULL: the engine's
 * latest state).  Plain value struct, borrowed by every call. */
struct mvcc_view {
	struct eng *eng;
	const struct eng_snap *snap;
};

/* The lock on key.  raw receives the encoded record (reset first) and
 * out->primary borrows raw.  *found false when the key has no lock. */
enum tk_err mvcc_get_lock(const struct mvcc_view *v, struct tk_slice key, struct tk_buf *raw,
			  struct mvcc_lock *out, bool *found, struct tk_errbuf *eb);

/* The value of key committed at or before ts: the newest PUT or DELETE write
 * with commit_ts <= ts (ROLLBACK and LOCK records are skipped).  Locks are
 * NOT consulted (the caller checks them).  On success *found says whether a
 * value exists (false for no version or a DELETE); it is copied to val
 * (reset first).  TK_E_CORRUPTION when a PUT's value is missing. */
enum tk_err mvcc_get_value(const struct mvcc_view *v, struct tk_slice key, uint64_t ts,
			   struct tk_buf *val, bool *found, struct tk_errbuf *eb);

/* The newest write record of key, of any kind. */
enum tk_err mvcc_latest_write(const struct mvcc_view *v, struct tk_slice key,
			      struct mvcc_write *w, uint64_t *commit_ts, bool *found,
			      struct tk_errbuf *eb);

/* The write record of the transaction start_ts on key: its commit record
 * (any commit_ts >= start_ts) or its rollback (a ROLLBACK at start_ts, or a
 * commit of another txn at commit_ts == start_ts carrying
 * overlapped_rollback, reported as kind ROLLBACK).  Scans the key's versions
 * down to start_ts. */
enum tk_err mvcc_txn_write(const struct mvcc_view *v, struct tk_slice key, uint64_t start_ts,
			   struct mvcc_write *w, uint64_t *commit_ts, bool *found,
			   struct tk_errbuf *eb);

/* ---- writing (into a batch; nothing touches the engine) ---- */
/* Each returns TK_E_NOMEM when encoding the key or record fails. */

enum tk_err mvcc_put_lock(struct eng_batch *b, struct tk_slice key, const struct mvcc_lock *l);
enum tk_err mvcc_del_lock(struct eng_batch *b, struct tk_slice key);
enum tk_err mvcc_put_value(struct eng_batch *b, struct tk_slice key, uint64_t start_ts,
			   struct tk_slice value);
enum tk_err mvcc_del_value(struct eng_batch *b, struct tk_slice key, uint64_t start_ts);
enum tk_err mvcc_put_write(struct eng_batch *b, struct tk_slice key, uint64_t commit_ts,
			   const struct mvcc_write *w);
enum tk_err mvcc_del_write(struct eng_batch *b, struct tk_slice key, uint64_t commit_ts);

/* ---- scanning ---- */

/* Iterates the user keys of [start, end) in order (end.p == NULL: no upper
 * bound) as of ts, yielding for each either its visible value (DELETEd and
 * never-written keys are skipped) or, when check_locks is set, a lock that
 * blocks a read at ts (kind PUT/DELETE with start_ts <= ts; LOCK-kind locks
 * never block reads).  A key with a blocking lock is yielded once, as locked.
 * The scanner reads one consistent view: pass a snapshot in v for that. */
struct mvcc_scanner;

struct mvcc_scan_entry {
	struct tk_slice key;   /* user key; borrowed until the next call */
	struct tk_slice value; /* empty when key_only or locked */
	bool locked;
	struct mvcc_lock lock; /* when locked; primary borrowed likewise */
};

enum tk_err mvcc_scanner_new(const struct mvcc_view *v, struct tk_slice start, struct tk_slice end,
			     uint64_t ts, bool key_only, bool check_locks,
			     struct mvcc_scanner **out, struct tk_errbuf *eb);
/* Next entry; *done true (and e untouched) at the end. */
enum tk_err mvcc_scanner_next(struct mvcc_scanner *s, struct mvcc_scan_entry *e, bool *done,
			      struct tk_errbuf *eb);
void mvcc_scanner_free(struct mvcc_scanner *s);

#endif
