/* libFuzzer target: the body of a "raft" frame (a batch of raft messages),
 * decoded by the schema and then checked and converted message by message
 * (tk_raft_msg_from_wire) as a store does.  Every message that converts must
 * convert back (tk_raft_msg_to_wire), encode, decode and convert to the same
 * raft_message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/fuzz_check.h"
#include "codec/raft_wire.h"

static bool same_entries(const struct raft_message *a, const struct raft_message *b)
{
	if (a->n_entries != b->n_entries)
		return false;
	for (size_t i = 0; i < a->n_entries; i++) {
		const struct raft_entry *x = &a->entries[i], *y = &b->entries[i];
		if (x->term != y->term || x->index != y->index || x->type != y->type ||
		    x->len != y->len || (x->len && memcmp(x->data, y->data, x->len) != 0))
			return false;
	}
	return true;
}

static bool same_snapshot(const struct raft_snapshot *a, const struct raft_snapshot *b)
{
	if (!a || !b)
		return a == b;
	return a->meta.index == b->meta.index && a->meta.term == b->meta.term &&
	       a->meta.conf.n_voters == b->meta.conf.n_voters &&
	       memcmp(a->meta.conf.voters, b->meta.conf.voters,
	              sizeof a->meta.conf.voters[0] * a->meta.conf.n_voters) == 0 &&
	       a->len == b->len && (!a->len || memcmp(a->data, b->data, a->len) == 0);
}

static bool same(const struct raft_message *a, const struct raft_message *b)
{
	return a->type == b->type && a->from == b->from && a->to == b->to && a->term == b->term &&
	       a->log_term == b->log_term && a->index == b->index && a->commit == b->commit &&
	       a->reject == b->reject && a->transfer == b->transfer &&
	       a->reject_hint == b->reject_hint && a->read_seq == b->read_seq &&
	       a->context_len == b->context_len &&
	       (!a->context_len || memcmp(a->context, b->context, a->context_len) == 0) &&
	       same_entries(a, b) && same_snapshot(a->snapshot, b->snapshot);
}

/* raft_message -> wire -> frame -> wire -> raft_message gives m again. */
static void check_back_and_forth(const struct raft_message *m)
{
	struct tk_arena a;
	struct tk_errbuf eb;
	struct tk_buf frame;
	tk_arena_init(&a);
	tk_buf_init(&frame);
	struct tk_raft_msg w;
	struct tk_raft_batch batch = {.msgs = {&w, 1}};
	struct tk_msg out = {.type = TK_MSG_raft, .kind = TK_REQUEST, .id = 1, .body = &batch};
	struct tk_msg in;
	struct raft_message back;
	if (tk_raft_msg_to_wire(m, &w, &a) != TK_OK || tk_msg_encode_frame(&frame, &out) != TK_OK ||
	    tk_msg_decode(tk_slice_of(frame.data + 4, frame.len - 4), &a, &in, &eb) != TK_OK) {
		fprintf(stderr, "fuzz: a converted raft message does not go back to the wire\n");
		abort();
	}
	const struct tk_raft_batch *b = in.body;
	if (b->msgs.n != 1 || tk_raft_msg_from_wire(&b->msgs.v[0], &back, &a, &eb) != TK_OK ||
	    !same(m, &back)) {
		fprintf(stderr, "fuzz: a raft message changed on its way through the wire\n");
		abort();
	}
	tk_buf_destroy(&frame);
	tk_arena_destroy(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_arena *arena = fuzz_arena();
	struct tk_errbuf eb;
	struct tk_raft_batch batch;
	if (tk_obj_decode(tk_slice_of(data, size), &tk_def_raft_batch, &batch, arena, &eb) != TK_OK)
		return 0;
	for (uint32_t i = 0; i < batch.msgs.n; i++) {
		struct raft_message m;
		if (tk_raft_msg_from_wire(&batch.msgs.v[i], &m, arena, &eb) == TK_OK)
			check_back_and_forth(&m);
	}
	return 0;
}
