#include "test_ps_helpers.h" /* first: it sets _GNU_SOURCE */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "raftstore/ps_codec.h"
#include "raftstore/region_state.h"
#include "test_ps_helpers.h"

static void encode(const struct rs_region_state *s, struct tk_buf *out)
{
	tk_buf_init(out);
	ck_assert(rs_region_state_encode(s, out));
}

START_TEST(test_region_state_round_trips_range_epoch_peers_and_state)
{
	struct rs_region_state s, d;
	ph_region(&s, 7, 3, "", "");
	static const uint8_t start[] = {0x00, 0xff, 'a'}, end[] = {0x01};
	ck_assert(rs_region_set_range(&s.region, tk_slice_of(start, 3), tk_slice_of(end, 1)));
	s.region.epoch.conf_ver = 42;
	s.region.epoch.version = 9;
	s.region.peers[2].store_id = 99;
	s.state = RS_PEER_APPLYING;
	struct tk_buf b;
	encode(&s, &b);
	rs_region_state_init(&d);
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_region_state_decode(tk_buf_slice(&b), &d, &eb), TK_OK);
	ck_assert_int_eq(d.state, RS_PEER_APPLYING);
	ck_assert_uint_eq(d.region.id, 7);
	ck_assert_uint_eq(d.region.epoch.conf_ver, 42);
	ck_assert_uint_eq(d.region.epoch.version, 9);
	ck_assert_uint_eq(d.region.n_peers, 3);
	ck_assert_uint_eq(d.region.peers[2].id, 3);
	ck_assert_uint_eq(d.region.peers[2].store_id, 99);
	ck_assert(tk_slice_eq(tk_buf_slice(&d.region.start_key), tk_slice_of(start, 3)));
	ck_assert(tk_slice_eq(tk_buf_slice(&d.region.end_key), tk_slice_of(end, 1)));
	/* Decoding into a used struct replaces its content. */
	ck_assert_int_eq(rs_region_state_decode(tk_buf_slice(&b), &d, &eb), TK_OK);
	ck_assert_uint_eq(d.region.start_key.len, 3);
	tk_buf_destroy(&b);
	rs_region_state_destroy(&s);
	rs_region_state_destroy(&d);
}
END_TEST

START_TEST(test_region_state_with_unbounded_range_and_no_peers_round_trips)
{
	struct rs_region_state s, d;
	ph_region(&s, 1, 0, "", "");
	s.state = RS_PEER_TOMBSTONE;
	struct tk_buf b;
	encode(&s, &b);
	rs_region_state_init(&d);
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_region_state_decode(tk_buf_slice(&b), &d, &eb), TK_OK);
	ck_assert_int_eq(d.state, RS_PEER_TOMBSTONE);
	ck_assert_uint_eq(d.region.n_peers, 0);
	ck_assert_uint_eq(d.region.end_key.len, 0);
	tk_buf_destroy(&b);
	rs_region_state_destroy(&s);
	rs_region_state_destroy(&d);
}
END_TEST

START_TEST(test_every_truncation_and_a_trailing_byte_are_refused_as_corruption)
{
	struct rs_region_state s, d;
	ph_region(&s, 5, 2, "a", "m");
	struct tk_buf b;
	encode(&s, &b);
	rs_region_state_init(&d);
	struct tk_errbuf eb;
	for (size_t n = 0; n < b.len; n++)
		ck_assert_int_eq(rs_region_state_decode(tk_slice_of(b.data, n), &d, &eb),
		                 TK_E_CORRUPTION);
	ck_assert(tk_buf_append_byte(&b, 0));
	ck_assert_int_eq(rs_region_state_decode(tk_buf_slice(&b), &d, &eb), TK_E_CORRUPTION);
	ck_assert_ptr_nonnull(strstr(eb.msg, "trailing"));
	tk_buf_destroy(&b);
	rs_region_state_destroy(&s);
	rs_region_state_destroy(&d);
}
END_TEST

/* Encode s, corrupt one byte at off with v, and expect a refusal. */
static void expect_refused(struct rs_region_state *s, size_t off, uint8_t v, const char *what)
{
	struct tk_buf b;
	encode(s, &b);
	b.data[off] = v;
	struct rs_region_state d;
	rs_region_state_init(&d);
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_region_state_decode(tk_buf_slice(&b), &d, &eb), TK_E_CORRUPTION);
	ck_assert_msg(strstr(eb.msg, what), "message \"%s\" lacks \"%s\"", eb.msg, what);
	tk_buf_destroy(&b);
	rs_region_state_destroy(&d);
}

START_TEST(test_bad_fields_in_a_region_state_are_refused_with_the_rule_named)
{
	struct rs_region_state s;
	ph_region(&s, 5, 2, "a", "m");
	/* Offsets: 0 version, 1 state, 2 id, 10 conf_ver, 18 version, 26 start
	 * len, 30 'a', 31 end len, 35 'm', 36 n_peers, 37 peer 1 id, 45 store. */
	expect_refused(&s, 0, 9, "version");
	expect_refused(&s, 1, 3, "peer state");
	expect_refused(&s, 9, 0, "region id 0"); /* id 5 -> 0 */
	expect_refused(&s, 30, 'z', "start key not below end key");
	expect_refused(&s, 60, 1, "twice");       /* peer 2's id -> 1 */
	expect_refused(&s, 44 + 8, 0, "zero id"); /* peer 1 store id 1 -> 0 */
	expect_refused(&s, 36, RS_REGION_MAX_PEERS + 1, "peers");
	rs_region_state_destroy(&s);
}
END_TEST

START_TEST(test_raft_and_apply_states_round_trip_and_refuse_bad_lengths)
{
	struct rs_raft_state r = {.hs = {.term = 3, .vote = 2, .commit = 17}, .last_index = 20}, r2;
	struct rs_apply_state a = {.applied = 15, .truncated_index = 10, .truncated_term = 2}, a2;
	uint8_t rv[RS_RAFT_STATE_LEN + 1] = {0}, av[RS_APPLY_STATE_LEN + 1] = {0};
	rs_raft_state_encode(&r, rv);
	rs_apply_state_encode(&a, av);
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_raft_state_decode(tk_slice_of(rv, RS_RAFT_STATE_LEN), &r2, &eb), TK_OK);
	ck_assert(memcmp(&r, &r2, sizeof r) == 0);
	ck_assert_int_eq(rs_apply_state_decode(tk_slice_of(av, RS_APPLY_STATE_LEN), &a2, &eb),
	                 TK_OK);
	ck_assert(memcmp(&a, &a2, sizeof a) == 0);
	ck_assert_int_eq(rs_raft_state_decode(tk_slice_of(rv, RS_RAFT_STATE_LEN + 1), &r2, &eb),
	                 TK_E_CORRUPTION);
	ck_assert_int_eq(rs_apply_state_decode(tk_slice_of(av, RS_APPLY_STATE_LEN - 1), &a2, &eb),
	                 TK_E_CORRUPTION);
	rv[0] = 2;
	ck_assert_int_eq(rs_raft_state_decode(tk_slice_of(rv, RS_RAFT_STATE_LEN), &r2, &eb),
	                 TK_E_CORRUPTION);
}
END_TEST

START_TEST(test_entry_values_round_trip_and_refuse_bad_headers)
{
	struct raft_entry e = {.term = 4,
	                       .index = 9,
	                       .type = RAFT_ENTRY_CONF_CHANGE,
	                       .data = (const uint8_t *)"xyz",
	                       .len = 3},
	                  d;
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert(rs_entry_value_encode(&e, &b));
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_entry_value_decode(tk_buf_slice(&b), 9, &d, &eb), TK_OK);
	ck_assert_uint_eq(d.term, 4);
	ck_assert_uint_eq(d.index, 9);
	ck_assert_uint_eq(d.type, RAFT_ENTRY_CONF_CHANGE);
	ck_assert_uint_eq(d.len, 3);
	ck_assert(memcmp(d.data, "xyz", 3) == 0);
	ck_assert_int_eq(rs_entry_value_decode(tk_slice_of(b.data, 9), 9, &d, &eb),
	                 TK_E_CORRUPTION);
	b.data[1] = 7; /* unknown type */
	ck_assert_int_eq(rs_entry_value_decode(tk_buf_slice(&b), 9, &d, &eb), TK_E_CORRUPTION);
	b.data[1] = 0;
	memset(b.data + 2, 0, 8); /* term 0 */
	ck_assert_int_eq(rs_entry_value_decode(tk_buf_slice(&b), 9, &d, &eb), TK_E_CORRUPTION);
	tk_buf_destroy(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("region_state");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, test_region_state_round_trips_range_epoch_peers_and_state);
	tcase_add_test(tc, test_region_state_with_unbounded_range_and_no_peers_round_trips);
	tcase_add_test(tc, test_every_truncation_and_a_trailing_byte_are_refused_as_corruption);
	tcase_add_test(tc, test_bad_fields_in_a_region_state_are_refused_with_the_rule_named);
	tcase_add_test(tc, test_raft_and_apply_states_round_trip_and_refuse_bad_lengths);
	tcase_add_test(tc, test_entry_values_round_trip_and_refuse_bad_headers);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
