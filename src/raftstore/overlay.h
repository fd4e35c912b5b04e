/* A write overlay: the state each staged but not yet written write leaves
 * under its key, so that a command that reads before it writes (a CAS) sees
 * the writes staged before it in the same batch.
 *
 * A LevelDB write batch cannot be read, and the batch of one group commit
 * (tinykvd's standalone store today, a raft apply pass tomorrow) holds many
 * commands: a CAS after a PUT of the same key in the same batch must compare
 * with that PUT's value, not with the engine's older one.  The writer records
 * every write of one column here as well as in the batch, and clears both
 * together once the batch is written (or dropped).
 *
 * One hash table (open addressing, linear probing) over a byte buffer that
 * holds the keys and values: a write costs a hash and a copy, a lookup a
 * hash and a compare.  Newer writes of a key replace older ones (the old
 * bytes stay in the buffer until rs_overlay_clear).
 *
 * Out of memory is remembered, not hidden: once a write could not be
 * recorded, lookups answer RS_OV_UNKNOWN until the next clear, and the
 * caller must write its batch out before reading (the engine is then the
 * truth again). */
#ifndef TK_RAFTSTORE_OVERLAY_H
#define TK_RAFTSTORE_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"

struct rs_overlay_ent; /* overlay.c */

struct rs_overlay {
	struct rs_overlay_ent *tab; /* cap slots, a power of two (or NULL) */
	size_t cap, n;
	struct tk_buf bytes; /* keys and values of the entries */
	bool lost;           /* a write was not recorded: lookups are unknown */
};

enum rs_overlay_hit {
	RS_OV_MISS,    /* no staged write of the key: read the engine */
	RS_OV_HIT,     /* the key's newest staged write: *present, *val */
	RS_OV_UNKNOWN, /* a write was lost to out of memory: write the batch first */
};

void rs_overlay_init(struct rs_overlay *o);
void rs_overlay_destroy(struct rs_overlay *o);
/* Forget every entry (the batch was written or dropped); keeps a modest
 * amount of memory for the next batch and clears the lost mark. */
void rs_overlay_clear(struct rs_overlay *o);
/* Record a put (val may be empty) or a delete of key.  Copies the bytes.
 * Out of memory marks the overlay lost (see above). */
void rs_overlay_put(struct rs_overlay *o, struct tk_slice key, struct tk_slice val);
void rs_overlay_delete(struct rs_overlay *o, struct tk_slice key);
/* The newest staged write of key.  On RS_OV_HIT, *present says whether it
 * was a put, and *val (a put's value) is borrowed until the next put,
 * delete or clear. */
enum rs_overlay_hit rs_overlay_get(const struct rs_overlay *o, struct tk_slice key, bool *present,
                                   struct tk_slice *val);
/* Entries recorded since the last clear (distinct keys). */
size_t rs_overlay_count(const struct rs_overlay *o);

#endif
