/* Internals shared by the engine's .c files (engine.c, iter.c).  Nothing
 * outside src/engine includes this. */
#ifndef TK_ENGINE_ENGINE_INT_H
#define TK_ENGINE_ENGINE_INT_H

#include <leveldb/c.h>

#include "engine/engine.h"

/* Keys up to this size are prefixed on the stack; longer ones use the
 * engine's scratch buffer, so no call allocates per key. */
#define ENG_STACK_KEY 256

struct eng {
	char *path;   /* data dir (owned) */
	char *dbpath; /* path/db (owned) */
	struct eng_options opts;
	leveldb_t *db; /* NULL only after a failed reopen */
	leveldb_options_t *lopts;
	leveldb_cache_t *cache;
	leveldb_filterpolicy_t *filter;
	/* Created once at open: reads of the latest state, reads at a snapshot
	 * (the snapshot is set and cleared around each call; LevelDB copies the
	 * options when a read or an iterator starts), plain and synced writes. */
	leveldb_readoptions_t *ropts;
	leveldb_readoptions_t *ropts_snap;
	leveldb_writeoptions_t *wopts;
	leveldb_writeoptions_t *wopts_sync;
	struct tk_buf scratch; /* long keys; used within one call only */
	struct eng_stats st;   /* st.live_handles counts snapshots + iterators */
	uint64_t inject_after; /* eng_inject_write_failure: writes to let pass */
	enum tk_err inject_code; /* TK_OK: no failure armed */
	enum tk_err degraded_code;
	char degraded_msg[256];
};

static inline bool eng_cf_valid(enum eng_cf cf)
{
	return cf >= ENG_CF_FIRST && cf <= ENG_CF_LAST;
}

/* The LevelDB key <cf><key>: in stack (of ENG_STACK_KEY bytes) when it fits,
 * else in scratch.  Returns NULL on allocation failure. */
const uint8_t *eng_prefix_key(struct tk_buf *scratch, uint8_t *stack, enum eng_cf cf,
			      struct tk_slice key);
/* The LevelDB snapshot behind s; NULL when s was taken while the db was
 * closed (reads through it fail with TK_E_IO). */
const leveldb_snapshot_t *eng_snap_leveldb(const struct eng_snap *s);
/* mkdir -p path; TK_E_DATA_DIR when it cannot be created or is not a
 * directory, TK_E_BAD_CONFIG when the path is too long.  (datadir.c) */
enum tk_err eng_mkdir_p(const char *path, struct tk_errbuf *eb);
/* Map a LevelDB error string to our code: NO_SPACE, CORRUPTION or IO. */
enum tk_err eng_map_leveldb_error(const char *msg);

#endif
