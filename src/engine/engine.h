/* The storage engine: one LevelDB per store, column-prefixed keyspaces.
 *
 * Every LevelDB key is <1-byte column prefix><key>.  One LevelDB holds all
 * columns, so one write batch touches several atomically and one WAL orders
 * every write.  This module is the only code that includes leveldb/c.h or
 * knows the prefixes; callers name columns with enum eng_cf and see keys
 * without their prefix.  See DESIGN.md section 3 and README "Storage".
 *
 * Threading: an engine handle may be used from one thread at a time (the
 * reactor).  Errors: functions that act return enum tk_err and fill eb;
 * LevelDB error strings are converted here and never leak as types. */
#ifndef TK_ENGINE_ENGINE_H
#define TK_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/bytes.h"
#include "util/err.h"

/* Column families.  The numeric value is the on-disk prefix byte: never
 * change one (proto-spec does not see them, but every data dir does). */
enum eng_cf {
	ENG_CF_META = 0x01,    /* store identity, store-level records */
	ENG_CF_RAW = 0x02,     /* raw KV API */
	ENG_CF_DEFAULT = 0x03, /* Percolator data: mvcc_key(user_key, start_ts) -> value */
	ENG_CF_LOCK = 0x04,    /* Percolator locks: mvcc_key(user_key) -> lock */
	ENG_CF_WRITE = 0x05,   /* Percolator writes: mvcc_key(user_key, commit_ts) -> write */
	ENG_CF_RAFT = 0x06,    /* raft log, hard state, apply state, region state */
};
#define ENG_CF_FIRST ENG_CF_META
#define ENG_CF_LAST ENG_CF_RAFT
/* Human name of a column ("raw", "lock", ...), for logs and status. */
const char *eng_cf_name(enum eng_cf cf);

struct eng_options {
	const char *path;           /* data directory (LevelDB lives in path/db) */
	bool create_if_missing;     /* create an empty store when path has none */
	size_t block_cache_bytes;   /* LRU block cache; default 64 MiB */
	size_t write_buffer_bytes;  /* memtable size; default 8 MiB: inserts into a
	                             * smaller skip list miss the cache less (PUT
	                             * throughput +20% against 32 MiB in make bench-kv) */
	int bloom_bits_per_key;     /* bloom filter; 0 disables; default 10 */
	bool compression;           /* snappy block compression; default on */
	int max_open_files;         /* default 1000 */
	size_t block_size;          /* default 16 KiB */
	/* Free bytes the data dir's filesystem must have before a degraded engine
	 * (after a failed write) reopens LevelDB and retries.  0 (the default)
	 * means max(2 * write_buffer_bytes + 1 MiB, 4 MiB): reopening replays the
	 * WAL into a new level-0 table (up to one memtable) and writes a new
	 * MANIFEST, and the retried write itself needs room. */
	size_t min_free_bytes;
	/* Verify block checksums on reads; default on.  With compression on,
	 * blocks are verified once when loaded into the block cache.  With
	 * compression off, LevelDB serves table blocks straight from its mmap of
	 * the file without caching them, so verification runs on every read:
	 * measured ~5x slower point reads from tables (8.9 vs 1.9 us). */
	bool verify_checksums;
};
/* Fill o with the documented defaults (path left NULL). */
void eng_options_default(struct eng_options *o);

struct eng;
struct eng_snap;
struct eng_batch;
struct eng_iter;

/* Open (or create) the store's LevelDB in o->path/db.  A database is created
 * only when create_if_missing is set and path/db does not exist at all.
 * Opens with paranoid checks (and verifies block checksums on reads unless
 * o->verify_checksums is off).
 * Refuses a corrupt database (garbage CURRENT, damaged MANIFEST or WAL) with
 * TK_E_CORRUPTION and "data dir X is corrupt: ...; refusing to start; nothing
 * was changed" (never repairs or overwrites; only LevelDB's informational
 * LOG is rotated).  TK_E_DATA_DIR when the directory is unusable (path/db is
 * not a LevelDB, missing without create_if_missing, locked, ...),
 * TK_E_BAD_CONFIG for bad options.  The caller should hold the data dir lock
 * (engine/datadir.h) first. */
enum tk_err eng_open(const struct eng_options *o, struct eng **out, struct tk_errbuf *eb);
/* Precondition: every snapshot and iterator of e has been released/freed. */
void eng_close(struct eng *e);
/* The data directory e was opened on (borrowed, valid until eng_close). */
const char *eng_path(const struct eng *e);

/* Point read of the latest state.  On success *found says whether the key
 * exists; the value is appended to val (which is reset first; val's memory
 * may be replaced by a larger block, so do not keep pointers into it).
 * TK_E_CORRUPTION for a damaged block, TK_E_IO for other read errors and
 * while the database is closed after a failed reopen. */
enum tk_err eng_get(struct eng *e, enum eng_cf cf, struct tk_slice key, struct tk_buf *val,
		    bool *found, struct tk_errbuf *eb);

/* A consistent read view.  Release every snapshot before eng_close; while
 * one is live a degraded engine postpones its reopen.  NULL only when out
 * of memory.  A snapshot taken while the database is closed (after a failed
 * reopen) reads as TK_E_IO. */
struct eng_snap *eng_snapshot(struct eng *e);
void eng_snap_release(struct eng *e, struct eng_snap *s);
enum tk_err eng_snap_get(struct eng *e, const struct eng_snap *s, enum eng_cf cf,
			 struct tk_slice key, struct tk_buf *val, bool *found,
			 struct tk_errbuf *eb);

/* Write batches: any mix of columns, applied atomically by eng_write.  The
 * batch copies keys and values.  eng_batch_new returns NULL when out of
 * memory; a put/delete that cannot be recorded (out of memory, bad column)
 * makes eng_write refuse the batch until eng_batch_clear. */
struct eng_batch *eng_batch_new(void);
void eng_batch_free(struct eng_batch *b);
void eng_batch_put(struct eng_batch *b, enum eng_cf cf, struct tk_slice key, struct tk_slice val);
void eng_batch_delete(struct eng_batch *b, enum eng_cf cf, struct tk_slice key);
void eng_batch_clear(struct eng_batch *b);
/* Append a copy of src's operations to dst (src is unchanged): commands
 * build their own batch, the server merges them into one group commit. */
void eng_batch_append(struct eng_batch *dst, const struct eng_batch *src);
size_t eng_batch_count(const struct eng_batch *b); /* puts + deletes since clear */
/* Visit the batch's operations in order: column, key without its prefix,
 * value (empty for a delete) and whether it is a delete.  The slices are
 * valid during the call only.  A recorded operation error (see above) is
 * returned instead of visiting; TK_E_CORRUPTION for an operation whose key
 * has no valid column prefix (impossible through this interface). */
typedef void (*eng_batch_visit_fn)(void *arg, enum eng_cf cf, struct tk_slice key,
                                   struct tk_slice val, bool is_delete);
enum tk_err eng_batch_iterate(const struct eng_batch *b, eng_batch_visit_fn fn, void *arg);
size_t eng_batch_bytes(const struct eng_batch *b); /* approximate payload bytes */

/* Apply a batch; with sync the WAL is fsynced before return, so the batch
 * survives a crash once this returns TK_OK.  TK_E_NO_SPACE when the disk is
 * full (reads keep working; a later write retries and succeeds once space
 * returns), TK_E_CORRUPTION when LevelDB found damage (writes then stay
 * refused until restart), TK_E_IO for other failures.  After an error the
 * batch may or may not have been applied.
 *
 * Recovery: after a failed write the engine is degraded and never writes to
 * that LevelDB instance again (it may have a sticky background error or a
 * torn WAL tail).  The next eng_write first checks that the data dir's file
 * system has min_free_bytes free (TK_E_NO_SPACE otherwise) and that no
 * snapshot or iterator is live (else it returns the original error), then
 * closes and reopens LevelDB (which replays the WAL) and retries. */
enum tk_err eng_write(struct eng *e, struct eng_batch *b, bool sync, struct tk_errbuf *eb);

/* Testing aid: the write after the next n successful eng_write calls fails
 * with code (TK_E_NO_SPACE or TK_E_IO) without reaching LevelDB, once, and
 * degrades the engine exactly like a real failure (the next write reopens).
 * code TK_OK disarms.  Lets other modules test their write error paths. */
void eng_inject_write_failure(struct eng *e, uint64_t n, enum tk_err code);

/* Iterator over one column, bounded to [lower, upper).  lower.p == NULL means
 * the start of the column, upper.p == NULL its end (an empty non-NULL upper
 * is an empty range).  snap may be NULL (an implicit snapshot is taken at
 * creation).  Keys and values returned are borrowed: valid until the next
 * move or free.  A new iterator is not positioned: seek first.  NULL only
 * when out of memory or cf is not a column.  Free every iterator before
 * eng_close (live iterators also postpone a degraded engine's reopen). */
struct eng_iter *eng_iter_new(struct eng *e, const struct eng_snap *snap, enum eng_cf cf,
			      struct tk_slice lower, struct tk_slice upper);
void eng_iter_free(struct eng_iter *it);
void eng_iter_seek_first(struct eng_iter *it);
void eng_iter_seek_last(struct eng_iter *it);
/* First key >= key (clamped to the bounds). */
void eng_iter_seek(struct eng_iter *it, struct tk_slice key);
/* Last key <= key (clamped to the bounds). */
void eng_iter_seek_for_prev(struct eng_iter *it, struct tk_slice key);
bool eng_iter_valid(const struct eng_iter *it);
/* Moves; no-ops on an invalid iterator. */
void eng_iter_next(struct eng_iter *it);
void eng_iter_prev(struct eng_iter *it);
struct tk_slice eng_iter_key(const struct eng_iter *it);
struct tk_slice eng_iter_value(const struct eng_iter *it);
/* TK_OK, or the error that made the iterator invalid. */
enum tk_err eng_iter_status(const struct eng_iter *it, struct tk_errbuf *eb);

/* Approximate on-disk bytes of [start, end) in a column (LevelDB's estimate;
 * memtable contents are not counted). */
uint64_t eng_approximate_size(struct eng *e, enum eng_cf cf, struct tk_slice start,
			      struct tk_slice end);

struct eng_stats {
	uint64_t writes;        /* eng_write calls that succeeded */
	uint64_t synced_writes; /* of which with sync (= WAL fsyncs) */
	uint64_t write_errors;
	uint64_t reopens;       /* recoveries after a write error */
	bool degraded;          /* last write failed; writes are being refused */
	uint64_t read_errors;   /* eng_get/eng_snap_get/iterator errors */
	uint64_t live_handles;  /* snapshots + iterators outstanding now */
};
void eng_get_stats(const struct eng *e, struct eng_stats *out);
/* A LevelDB property ("leveldb.stats", ...) into out; false if unknown. */
bool eng_property(struct eng *e, const char *name, struct tk_buf *out);

#endif
