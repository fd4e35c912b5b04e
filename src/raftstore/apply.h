/* Applying commands (cmd.h) to the engine's data columns into a caller
 * batch.  The batch is written only after every committed entry of the pass
 * is staged, so an operation that reads (INCR) must see the earlier
 * operations of the same batch on the raw column: an overlay remembers the
 * value each staged raw operation left under its key.  The overlay points
 * into the committed entries' data, which stay valid until the pass
 * advances the raft node, after rs_apply_reset. */
#ifndef TK_RAFTSTORE_APPLY_H
#define TK_RAFTSTORE_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"

struct rs_apply_ov_ent {
	struct tk_slice key, val; /* into entry data; val unused for a counter */
	bool deleted;
	bool counter; /* val is num (an INCR's result) */
	uint8_t num[8];
};

struct rs_apply_ctx {
	struct eng *e;
	struct eng_batch *b;
	struct rs_apply_ov_ent *ov;
	size_t n, cap;
};

void rs_apply_init(struct rs_apply_ctx *c, struct eng *e, struct eng_batch *b);
/* Forget the overlay (after the batch was written or cleared). */
void rs_apply_reset(struct rs_apply_ctx *c);
void rs_apply_destroy(struct rs_apply_ctx *c);
/* Stage one command (cmd.h encoding).  TK_E_CORRUPTION for a malformed
 * command (nothing of it staged), TK_E_IO etc. from an engine read,
 * TK_E_NOMEM. */
enum tk_err rs_apply_cmd(struct rs_apply_ctx *c, const uint8_t *data, size_t len,
                         struct tk_errbuf *eb);

#endif
