/* Applying commands (cmd.h) to the engine's data columns into a caller
 * batch.  The batch is written only after every committed entry of the pass
 * is staged, so an operation that reads (INCR, CAS) must see the earlier
 * operations of the same batch on the raw column.  Every staged raw write is
 * remembered cheaply (slices into the committed entries' data, which stay
 * valid until the pass advances the raft node, after rs_apply_reset); the
 * first read of a pass indexes them into a hash overlay (overlay.h), which
 * the later writes of the pass then keep up to date: a pass of plain writes
 * pays no hashing at all.
 *
 * Operations that answer something (CAS: swapped, previous value) append
 * an output; the outputs of one command are a contiguous run, valid until
 * rs_apply_reset, which the proposal's callback receives (peer.h). */
#ifndef TK_RAFTSTORE_APPLY_H
#define TK_RAFTSTORE_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"
#include "raftstore/overlay.h"

struct rs_apply_staged {
	struct tk_slice key, val; /* into entry data */
	bool deleted;
};

/* The outcome of one CAS. */
struct rs_cas_output {
	bool swapped;
	bool prev_present;
	struct tk_slice prev; /* the value before, when present */
};

/* A command's outputs, in the order of its answering operations. */
struct rs_cmd_output {
	const struct rs_cas_output *cas;
	size_t n;
};

struct rs_apply_ctx {
	struct eng *e;
	struct eng_batch *b;
	struct rs_apply_staged *staged; /* raw writes of the pass, until indexed */
	size_t n, cap;
	bool indexed;          /* ov holds every raw write of the pass */
	struct rs_overlay ov;
	struct tk_buf val;     /* engine reads */
	struct rs_cas_output *outs;
	size_t n_outs, cap_outs;
	struct tk_buf out_bytes; /* previous values, referenced by offset until finished */
	size_t *out_off;
};

void rs_apply_init(struct rs_apply_ctx *c, struct eng *e, struct eng_batch *b);
/* Forget the staged writes and outputs (after the batch was written or
 * cleared and the callbacks fired). */
void rs_apply_reset(struct rs_apply_ctx *c);
void rs_apply_destroy(struct rs_apply_ctx *c);
/* Stage one command (cmd.h encoding).  TK_E_CORRUPTION for a malformed
 * command (nothing of it staged), TK_E_IO etc. from an engine read,
 * TK_E_NOMEM. */
enum tk_err rs_apply_cmd(struct rs_apply_ctx *c, const uint8_t *data, size_t len,
                         struct tk_errbuf *eb);
/* Outputs so far (a command's run is [before, after) of its apply). */
size_t rs_apply_n_outputs(const struct rs_apply_ctx *c);
/* The run [start, start + n) as a command output (valid until reset). */
struct rs_cmd_output rs_apply_outputs(struct rs_apply_ctx *c, size_t start, size_t n);

#endif
