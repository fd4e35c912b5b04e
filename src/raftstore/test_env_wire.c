/* Envelopes through "raft" frames and back (env_wire.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "raftstore/env_wire.h"

/* Encode envs as one frame, decode it, convert message i back. */
static enum tk_err round_trip(const struct rs_envelope *envs, size_t n, uint32_t i,
                              struct rs_envelope *back, struct tk_arena *a, struct tk_buf *frame,
                              struct tk_errbuf *eb)
{
	ck_assert_int_eq(rs_env_encode_frame(envs, n, 7, 9, a, frame), TK_OK);
	struct tk_msg m;
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(frame->data + 4, frame->len - 4), a, &m, eb), TK_OK);
	ck_assert_int_eq(m.type, TK_MSG_raft);
	const struct tk_raft_batch *b = m.body;
	ck_assert_uint_eq(b->msgs.n, n);
	ck_assert_uint_eq(b->from_store, 7);
	ck_assert_uint_eq(b->to_store, 9);
	return rs_env_from_wire(b, i, back, a, eb);
}

START_TEST(raft_message_with_routing)
{
	struct tk_arena a;
	struct tk_buf f;
	struct tk_errbuf eb;
	tk_arena_init(&a);
	tk_buf_init(&f);
	struct raft_entry ent = {.term = 3, .index = 11, .type = 0, .data = (const uint8_t *)"x", .len = 1};
	struct rs_envelope e[2];
	memset(e, 0, sizeof e);
	e[0].region_id = 4;
	e[0].epoch = (struct region_epoch){.conf_ver = 5, .version = 6};
	e[0].start_key = tk_slice_of("a", 1);
	e[0].end_key = tk_slice_of("m", 1);
	e[0].msg = (struct raft_message){.type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 2, .term = 3, .commit = 0};
	e[1].region_id = 8;
	e[1].tombstone = true;
	e[1].msg = (struct raft_message){.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 3,
	                                 .index = 10, .log_term = 3, .entries = &ent, .n_entries = 1};
	struct rs_envelope b;
	ck_assert_int_eq(round_trip(e, 2, 0, &b, &a, &f, &eb), TK_OK);
	ck_assert_uint_eq(b.region_id, 4);
	ck_assert_uint_eq(b.from_store, 7);
	ck_assert_uint_eq(b.to_store, 9);
	ck_assert_uint_eq(b.epoch.conf_ver, 5);
	ck_assert_uint_eq(b.epoch.version, 6);
	ck_assert(b.start_key.n == 1 && b.start_key.p[0] == 'a');
	ck_assert(b.end_key.n == 1 && b.end_key.p[0] == 'm');
	ck_assert(!b.tombstone);
	ck_assert_int_eq(b.msg.type, RAFT_MSG_HEARTBEAT);
	ck_assert_uint_eq(b.msg.term, 3);
	tk_buf_reset(&f);
	ck_assert_int_eq(round_trip(e, 2, 1, &b, &a, &f, &eb), TK_OK);
	ck_assert(b.tombstone);
	ck_assert_uint_eq(b.region_id, 8);
	ck_assert_uint_eq(b.msg.n_entries, 1);
	ck_assert_uint_eq(b.msg.entries[0].index, 11);
	ck_assert(b.start_key.p == NULL && b.end_key.p == NULL);
	tk_buf_destroy(&f);
	tk_arena_destroy(&a);
}
END_TEST

START_TEST(snapshot_chunk_ack_and_last)
{
	struct tk_arena a;
	struct tk_buf f;
	struct tk_errbuf eb;
	tk_arena_init(&a);
	tk_buf_init(&f);
	struct rs_envelope e;
	memset(&e, 0, sizeof e);
	e.region_id = 2;
	e.type = RS_ENV_SNAP_CHUNK;
	e.msg = (struct raft_message){.type = RAFT_MSG_SNAPSHOT, .from = 1, .to = 3, .term = 4};
	e.snap = (struct rs_snap_chunk){.snap_id = 77, .from_store = 7, .seq = 5, .data = (const uint8_t *)"rec", .len = 3};
	struct rs_envelope b;
	ck_assert_int_eq(round_trip(&e, 1, 0, &b, &a, &f, &eb), TK_OK);
	ck_assert_int_eq(b.type, RS_ENV_SNAP_CHUNK);
	ck_assert_uint_eq(b.snap.snap_id, 77);
	ck_assert_uint_eq(b.snap.from_store, 7);
	ck_assert_uint_eq(b.snap.seq, 5);
	ck_assert(!b.snap.last);
	ck_assert(b.snap.len == 3 && memcmp(b.snap.data, "rec", 3) == 0);
	ck_assert_ptr_null(b.msg.snapshot);

	e.type = RS_ENV_SNAP_ACK;
	e.snap = (struct rs_snap_chunk){.snap_id = 77, .seq = 5, .reject = true};
	tk_buf_reset(&f);
	ck_assert_int_eq(round_trip(&e, 1, 0, &b, &a, &f, &eb), TK_OK);
	ck_assert_int_eq(b.type, RS_ENV_SNAP_ACK);
	ck_assert(b.snap.reject);

	struct raft_snapshot sn;
	memset(&sn, 0, sizeof sn);
	sn.meta.index = 20;
	sn.meta.term = 4;
	sn.meta.conf.n_voters = 1;
	sn.meta.conf.voters[0] = 1;
	sn.data = (const uint8_t *)"desc";
	sn.len = 4;
	e.type = RS_ENV_SNAP_CHUNK;
	e.msg.snapshot = &sn;
	e.snap = (struct rs_snap_chunk){.snap_id = 77, .seq = 6, .last = true};
	tk_buf_reset(&f);
	ck_assert_int_eq(round_trip(&e, 1, 0, &b, &a, &f, &eb), TK_OK);
	ck_assert(b.snap.last);
	ck_assert_ptr_nonnull(b.msg.snapshot);
	ck_assert_uint_eq(b.msg.snapshot->meta.index, 20);
	tk_buf_destroy(&f);
	tk_arena_destroy(&a);
}
END_TEST

/* Decode a batch given as JSON-like fields set by hand. */
static enum tk_err convert(struct tk_raft_batch *b, struct tk_errbuf *eb)
{
	struct tk_arena a;
	tk_arena_init(&a);
	struct rs_envelope e;
	enum tk_err rc = rs_env_from_wire(b, 0, &e, &a, eb);
	tk_arena_destroy(&a);
	return rc;
}

START_TEST(refused)
{
	struct tk_raft_msg w;
	struct tk_raft_batch b = {.msgs = {&w, 1}, .from_store = 1, .to_store = 2};
	struct tk_errbuf eb;
	memset(&w, 0, sizeof w);
	w.type = RAFT_MSG_HEARTBEAT;
	w.from = 1;
	w.to = 2;
	w.region = 3;
	ck_assert_int_eq(convert(&b, &eb), TK_OK);
	w.region = 0; /* no region */
	ck_assert_int_eq(convert(&b, &eb), TK_E_BAD_REQUEST);
	w.region = 3;
	b.from_store = 0; /* no sender */
	ck_assert_int_eq(convert(&b, &eb), TK_E_BAD_REQUEST);
	b.from_store = 1;
	w.env_type = 3; /* unknown envelope type */
	ck_assert_int_eq(convert(&b, &eb), TK_E_BAD_REQUEST);
	w.env_type = RS_ENV_RAFT;
	w.seq = 1; /* chunk field on a raft message */
	ck_assert_int_eq(convert(&b, &eb), TK_E_BAD_REQUEST);
	w.seq = 0;
	w.env_type = RS_ENV_SNAP_CHUNK; /* a chunk must be ty 9 */
	ck_assert_int_eq(convert(&b, &eb), TK_E_BAD_REQUEST);
	w.type = RAFT_MSG_SNAPSHOT;
	ck_assert_int_eq(convert(&b, &eb), TK_OK);
	w.seq = (uint64_t)UINT32_MAX + 1;
	ck_assert_int_eq(convert(&b, &eb), TK_E_BAD_REQUEST);
	w.seq = 0;
	w.from = 0;
	ck_assert_int_eq(convert(&b, &eb), TK_E_BAD_REQUEST);
	w.from = 1;
	w.last = true; /* the last chunk needs the snapshot */
	ck_assert_int_eq(convert(&b, &eb), TK_E_BAD_REQUEST);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("env_wire");
	TCase *tc = tcase_create("all");
	tcase_add_test(tc, raft_message_with_routing);
	tcase_add_test(tc, snapshot_chunk_ack_and_last);
	tcase_add_test(tc, refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
