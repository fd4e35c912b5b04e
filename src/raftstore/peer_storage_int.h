/* Private state of a peer storage, shared by peer_storage.c (staging and
 * reads) and peer_storage_load.c (open and checks).  Not a public header. */
#ifndef TK_RAFTSTORE_PEER_STORAGE_INT_H
#define TK_RAFTSTORE_PEER_STORAGE_INT_H

#include "raftstore/entry_cache.h"
#include "raftstore/peer_storage.h"

struct rs_peer_storage {
	struct eng *eng; /* borrowed */
	uint64_t region_id;

	/* Persisted: what the raft library reads. */
	struct rs_raft_state raft;
	struct rs_apply_state apply;
	bool has_region;
	struct rs_region_state region;
	/* Log GC: entries [gc_lo, gc_hi] (all at or below the truncated
	 * index) may still be stored and are deleted by rs_ps_gc_log; none
	 * pending when gc_lo > gc_hi. */
	raft_index gc_lo, gc_hi;

	/* Staged into the caller's unwritten batch (valid while staged):
	 * s_raft / s_apply are the states the batch will leave on disk,
	 * s_ents the entries it appends in order (copies, for the cache),
	 * s_reset that a snapshot replaced the whole log first. */
	bool staged;
	struct rs_raft_state s_raft;
	struct rs_apply_state s_apply;
	raft_index s_gc_lo, s_gc_hi;
	bool s_region_set;
	struct rs_region_state s_region;
	bool s_reset;
	struct raft_entbuf s_ents;

	struct rs_ecache cache;
	uint64_t cache_hits, disk_entries;
	rs_ps_snapshot_fn snap_fn;
	void *snap_arg;
	struct tk_buf val;    /* scratch for values */
	struct tk_errbuf err; /* last read error, for rs_ps_last_error */
};

#endif
