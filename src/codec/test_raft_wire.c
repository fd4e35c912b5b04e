/* Raft messages through the frame codec: seeded random round trips and the
 * checks the schema alone cannot make. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "codec/json.h"
#include "codec/raft_wire.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

static uint8_t pool[4096];

static void random_msg(struct raft_message *m, struct raft_entry *ents, struct raft_snapshot *snap)
{
	memset(m, 0, sizeof *m);
	m->type = (uint8_t)(1 + next() % RAFT_MSG_TYPE_MAX);
	m->from = 1 + next() % 5;
	m->to = 1 + next() % 5;
	m->term = next() % 3 ? next() % 100 : next();
	m->log_term = next() % 100;
	m->index = next() % 2 ? next() % 1000 : 0;
	m->commit = next() % 1000;
	m->reject = next() % 2;
	m->transfer = next() % 2;
	m->reject_hint = next() % 50;
	m->read_seq = next() % 4;
	if (next() % 2) {
		m->context = pool + next() % 100;
		m->context_len = 1 + next() % 40;
	}
	if (m->type == RAFT_MSG_APPEND) {
		m->n_entries = next() % 8;
		for (size_t i = 0; i < m->n_entries; i++) {
			ents[i].term = next() % 100;
			ents[i].index = 1 + next() % 1000;
			ents[i].type = (uint8_t)(next() % 2);
			ents[i].len = next() % 3 ? next() % 300 : 0;
			ents[i].data = ents[i].len ? pool + next() % 1000 : NULL;
		}
		m->entries = ents;
	}
	if (m->type == RAFT_MSG_SNAPSHOT) {
		memset(snap, 0, sizeof *snap);
		snap->meta.index = next() % 1000;
		snap->meta.term = next() % 100;
		snap->meta.conf.n_voters = (uint32_t)(next() % (RAFT_MAX_VOTERS + 1));
		for (uint32_t i = 0; i < snap->meta.conf.n_voters; i++)
			snap->meta.conf.voters[i] = 1 + next() % 1000;
		snap->len = next() % 2000;
		snap->data = snap->len ? pool : NULL;
		m->snapshot = snap;
	}
}

static void assert_same(const struct raft_message *a, const struct raft_message *b)
{
	ck_assert_uint_eq(a->type, b->type);
	ck_assert_uint_eq(a->from, b->from);
	ck_assert_uint_eq(a->to, b->to);
	ck_assert_uint_eq(a->term, b->term);
	ck_assert_uint_eq(a->log_term, b->log_term);
	ck_assert_uint_eq(a->index, b->index);
	ck_assert_uint_eq(a->commit, b->commit);
	ck_assert_int_eq(a->reject, b->reject);
	ck_assert_int_eq(a->transfer, b->transfer);
	ck_assert_uint_eq(a->reject_hint, b->reject_hint);
	ck_assert_uint_eq(a->read_seq, b->read_seq);
	ck_assert_uint_eq(a->context_len, b->context_len);
	ck_assert(a->context_len == 0 || memcmp(a->context, b->context, a->context_len) == 0);
	ck_assert_uint_eq(a->n_entries, b->n_entries);
	for (size_t i = 0; i < a->n_entries; i++) {
		ck_assert_uint_eq(a->entries[i].term, b->entries[i].term);
		ck_assert_uint_eq(a->entries[i].index, b->entries[i].index);
		ck_assert_uint_eq(a->entries[i].type, b->entries[i].type);
		ck_assert_uint_eq(a->entries[i].len, b->entries[i].len);
		ck_assert(a->entries[i].len == 0 ||
			  memcmp(a->entries[i].data, b->entries[i].data, a->entries[i].len) == 0);
	}
	ck_assert_int_eq(a->snapshot != NULL, b->snapshot != NULL);
	if (a->snapshot) {
		const struct raft_snapshot *x = a->snapshot, *y = b->snapshot;
		ck_assert_uint_eq(x->meta.index, y->meta.index);
		ck_assert_uint_eq(x->meta.term, y->meta.term);
		ck_assert_uint_eq(x->meta.conf.n_voters, y->meta.conf.n_voters);
		for (uint32_t i = 0; i < x->meta.conf.n_voters; i++)
			ck_assert_uint_eq(x->meta.conf.voters[i], y->meta.conf.voters[i]);
		ck_assert_uint_eq(x->len, y->len);
		ck_assert(x->len == 0 || memcmp(x->data, y->data, x->len) == 0);
	}
}

START_TEST(test_random_raft_batches_round_trip_through_frames)
{
	for (size_t i = 0; i < sizeof pool; i++)
		pool[i] = (uint8_t)next();
	struct tk_arena a, d;
	tk_arena_init(&a);
	tk_arena_init(&d);
	for (int round = 0; round < 2000; round++) {
		enum { N = 6 };
		struct raft_message msgs[N];
		struct raft_entry ents[N][8];
		struct raft_snapshot snaps[N];
		struct tk_raft_msg wire[N];
		size_t n = 1 + next() % N;
		for (size_t i = 0; i < n; i++) {
			random_msg(&msgs[i], ents[i], &snaps[i]);
			ck_assert_int_eq(tk_raft_msg_to_wire(&msgs[i], &wire[i], &a), TK_OK);
			wire[i].region = round;
		}
		struct tk_raft_batch batch = {.msgs = {wire, (uint32_t)n}};
		struct tk_msg m = {.type = TK_MSG_raft, .id = 0, .kind = TK_REQUEST, .body = &batch};
		struct tk_buf f;
		tk_buf_init(&f);
		ck_assert_int_eq(tk_msg_encode_frame(&f, &m), TK_OK);
		struct tk_msg back;
		struct tk_errbuf eb;
		ck_assert_msg(tk_msg_decode(tk_slice_of(f.data + 4, f.len - 4), &d, &back, &eb) == TK_OK, "%s", eb.msg);
		const struct tk_raft_batch *b = back.body;
		ck_assert_uint_eq(b->msgs.n, n);
		for (size_t i = 0; i < n; i++) {
			struct raft_message out;
			ck_assert_msg(tk_raft_msg_from_wire(&b->msgs.v[i], &out, &d, &eb) == TK_OK, "%s", eb.msg);
			assert_same(&msgs[i], &out);
			ck_assert_uint_eq(b->msgs.v[i].region, (uint64_t)round);
		}
		tk_buf_destroy(&f);
		tk_arena_reset(&a);
		tk_arena_reset(&d);
	}
	tk_arena_destroy(&a);
	tk_arena_destroy(&d);
}
END_TEST

static enum tk_err from_json(const char *json, struct tk_errbuf *eb)
{
	struct tk_buf mp;
	tk_buf_init(&mp);
	size_t used;
	ck_assert_int_eq(tk_json_to_msgpack(tk_slice_str(json), &used, &mp, eb), TK_OK);
	struct tk_arena a;
	tk_arena_init(&a);
	struct tk_raft_msg w;
	enum tk_err e = tk_obj_decode(tk_buf_slice(&mp), &tk_def_raft_msg, &w, &a, eb);
	if (e == TK_OK) {
		struct raft_message m;
		e = tk_raft_msg_from_wire(&w, &m, &a, eb);
	}
	tk_arena_destroy(&a);
	tk_buf_destroy(&mp);
	return e;
}

START_TEST(test_malformed_raft_messages_are_refused_with_a_reason)
{
	struct tk_errbuf eb;
	ck_assert_int_eq(from_json("{\"ty\":7,\"fr\":1,\"to\":2,\"tm\":7}", &eb), TK_OK);
	const char *bad[] = {
		"{\"fr\":1,\"to\":2}",                          /* no type */
		"{\"ty\":0,\"fr\":1,\"to\":2}",                 /* unknown type */
		"{\"ty\":99,\"fr\":1,\"to\":2}",                /* unknown type */
		"{\"ty\":7,\"fr\":0,\"to\":2}",                 /* from 0 */
		"{\"ty\":7,\"fr\":1}",                          /* to missing */
		"{\"ty\":7,\"fr\":1,\"to\":2,\"en\":[{\"ix\":1}]}", /* entries in a heartbeat */
		"{\"ty\":9,\"fr\":1,\"to\":2}",                 /* snapshot without sn */
		"{\"ty\":7,\"fr\":1,\"to\":2,\"sn\":{}}",       /* sn outside SNAPSHOT */
		"{\"ty\":1,\"fr\":1,\"to\":2,\"en\":[{\"ix\":1,\"ty\":5}]}", /* entry type */
		"{\"ty\":1,\"fr\":1,\"to\":2,\"en\":[{\"ix\":0}]}",          /* entry index 0 */
		"{\"ty\":9,\"fr\":1,\"to\":2,\"sn\":{\"vo\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}}",
		"{\"ty\":7,\"fr\":1,\"to\":2,\"tm\":-1}",       /* negative */
		"{\"ty\":7,\"fr\":1,\"to\":2,\"xx\":1}",        /* unknown key */
		"{\"ty\":1,\"fr\":1,\"to\":2,\"en\":{\"ix\":1}}", /* entries not an array */
		"{\"ty\":9,\"fr\":1,\"to\":2,\"sn\":{\"vo\":[\"a\"]}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(from_json(bad[i], &eb) == TK_E_BAD_REQUEST, "accepted: %s", bad[i]);
		ck_assert(eb.msg[0] != 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raft_wire");
	TCase *tc = tcase_create("raft_wire");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_random_raft_batches_round_trip_through_frames);
	tcase_add_test(tc, test_malformed_raft_messages_are_refused_with_a_reason);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
