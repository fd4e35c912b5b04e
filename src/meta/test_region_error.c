/* Region errors: the encoder a store uses gives exactly the golden frames of
 * proto-spec/errors.md, and its messages carry the hint. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta/region_error.h"

static struct tk_arena arena;
static struct tk_errbuf eb;

static void setup(void)
{
	tk_arena_init(&arena);
	tk_err_clear(&eb);
}
static void teardown(void)
{
	tk_arena_destroy(&arena);
}

/* Regions 2 ["", m) and 8 [m, +inf) after a split, peers on stores 1-3
 * (the regions of the golden vectors). */
static const struct region_peer peers2[] = {{4, 1}, {5, 2}, {6, 3}};
static const struct region_peer peers8[] = {{9, 1}, {10, 2}, {11, 3}};
static struct region halves[2];

static void make_halves(void)
{
	memset(halves, 0, sizeof halves);
	halves[0] = (struct region){.id = 2,
	                            .end_key = (const uint8_t *)"m",
	                            .end_len = 1,
	                            .epoch = {1, 2},
	                            .peers = peers2,
	                            .n_peers = 3};
	halves[1] = (struct region){.id = 8,
	                            .start_key = (const uint8_t *)"m",
	                            .start_len = 1,
	                            .epoch = {1, 2},
	                            .peers = peers8,
	                            .n_peers = 3};
}

/* The frame of proto-spec/golden/NAME.hex. */
static struct tk_buf golden(const char *name)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s.hex", TK_GOLDEN_DIR, name);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	struct tk_buf b;
	tk_buf_init(&b);
	unsigned v;
	while (fscanf(f, "%2x", &v) == 1)
		tk_buf_append_byte(&b, (uint8_t)v);
	fclose(f);
	return b;
}

static void check_golden(const char *name, enum tk_msg_type type, uint64_t id,
                         const struct region_error *re)
{
	struct tk_buf want = golden(name);
	struct tk_buf got;
	tk_buf_init(&got);
	ck_assert_int_eq(region_error_encode_frame(&got, type, tk_slice_of(NULL, 0), id, re, NULL),
	                 TK_OK);
	ck_assert_msg(got.len == want.len && memcmp(got.data, want.data, got.len) == 0,
	              "%s: the encoder does not give the golden frame", name);
	tk_buf_destroy(&got);
	tk_buf_destroy(&want);
}

START_TEST(test_encoder_gives_the_golden_frame_of_every_region_error)
{
	make_halves();
	struct region_error nl = {.code = TK_E_NOT_LEADER,
	                          .region_id = 2,
	                          .leader = {6, 3},
	                          .leader_addr = "127.0.0.1:20162"};
	check_golden("error_not_leader", TK_MSG_raw_put, 5, &nl);
	struct region_error enm = {
	    .code = TK_E_EPOCH_NOT_MATCH, .region_id = 2, .regions = halves, .n_regions = 2};
	check_golden("error_epoch_not_match", TK_MSG_raw_get, 6, &enm);
	struct region_error rnf = {.code = TK_E_REGION_NOT_FOUND, .region_id = 9};
	check_golden("error_region_not_found", TK_MSG_kv_get, 7, &rnf);
	struct region_error knir = {.code = TK_E_KEY_NOT_IN_REGION,
	                            .region_id = 2,
	                            .regions = halves,
	                            .n_regions = 1,
	                            .key = tk_slice_str("zebra")};
	check_golden("error_key_not_in_region", TK_MSG_raw_put, 8, &knir);
	struct region_error sc = {.code = TK_E_STALE_COMMAND, .region_id = 2};
	check_golden("error_stale_command", TK_MSG_kv_prewrite, 9, &sc);
	struct region_error busy = {.code = TK_E_SERVER_IS_BUSY,
	                            .region_id = 2,
	                            .reason = REGION_BUSY_PROPOSALS,
	                            .backoff_ms = 20};
	check_golden("error_server_is_busy", TK_MSG_raw_put, 10, &busy);
}
END_TEST

/* What the store sends is what a reader gets back: code, leader, regions
 * with their ranges, epochs and peers. */
START_TEST(test_region_error_survives_encode_and_decode)
{
	make_halves();
	struct region_error re = {.code = TK_E_EPOCH_NOT_MATCH,
	                          .region_id = 2,
	                          .regions = halves,
	                          .n_regions = 2,
	                          .leader = {5, 2},
	                          .leader_addr = "h:1",
	                          .key = tk_slice_str(""),
	                          .reason = "r",
	                          .backoff_ms = 3};
	struct tk_buf f;
	tk_buf_init(&f);
	ck_assert_int_eq(region_error_encode_frame(&f, TK_MSG_raw_scan, tk_slice_of(NULL, 0), 77,
	                                           &re, "custom message"),
	                 TK_OK);
	struct tk_msg m;
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(f.data + 4, f.len - 4), &arena, &m, &eb), TK_OK);
	ck_assert_int_eq(m.kind, TK_ERROR);
	ck_assert_uint_eq(m.id, 77);
	const struct tk_error *w = m.body;
	ck_assert(tk_slice_eq(w->msg, tk_slice_str("custom message")));
	struct region_error back;
	ck_assert_int_eq(region_error_from_wire(&arena, w, &back, &eb), TK_OK);
	ck_assert_int_eq(back.code, TK_E_EPOCH_NOT_MATCH);
	ck_assert_uint_eq(back.region_id, 2);
	ck_assert_uint_eq(back.leader.id, 5);
	ck_assert_uint_eq(back.leader.store_id, 2);
	ck_assert_str_eq(back.leader_addr, "h:1");
	ck_assert_str_eq(back.reason, "r");
	ck_assert_uint_eq(back.backoff_ms, 3);
	ck_assert_ptr_nonnull(back.key.p); /* an empty key is present, not absent */
	ck_assert_uint_eq(back.key.n, 0);
	ck_assert_uint_eq(back.n_regions, 2);
	ck_assert(region_meta_equal(&back.regions[0], &halves[0]));
	ck_assert(region_meta_equal(&back.regions[1], &halves[1]));
	tk_buf_destroy(&f);
}
END_TEST

static const char *describe(const struct region_error *re)
{
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert(region_error_describe(&b, re));
	char *s = tk_arena_dup(&arena, b.data, b.len + 1);
	tk_buf_destroy(&b);
	return s;
}

START_TEST(test_messages_say_the_hint_or_that_none_is_known)
{
	struct region_error nl = {.code = TK_E_NOT_LEADER, .region_id = 2};
	ck_assert_str_eq(describe(&nl), "region 2: not leader; the leader is not known");
	nl.leader = (struct region_peer){0, 3};
	ck_assert_str_eq(describe(&nl), "region 2: not leader; the leader is store 3");
	struct region_error enm = {.code = TK_E_EPOCH_NOT_MATCH, .region_id = 2};
	ck_assert_str_eq(describe(&enm), "region 2: epoch does not match");
	struct region_error busy = {.code = TK_E_SERVER_IS_BUSY};
	ck_assert_str_eq(describe(&busy), "server is busy");
	struct region_error knir = {
	    .code = TK_E_KEY_NOT_IN_REGION, .region_id = 4, .key = tk_slice_of("a b", 3)};
	ck_assert_str_eq(describe(&knir), "key \"a b\" is not in region 4");
	struct region_error other = {.code = TK_E_STORE_NOT_MATCH};
	ck_assert_str_eq(describe(&other), "request sent to the wrong store");
}
END_TEST

/* A message stays one readable line: long keys are cut, and past four
 * regions only their number is said (the fields carry everything). */
START_TEST(test_messages_cut_long_keys_and_many_regions)
{
	char key[200];
	memset(key, 'k', sizeof key);
	struct region rs[6];
	for (int i = 0; i < 6; i++)
		rs[i] = (struct region){.id = (uint64_t)i + 1,
		                        .start_key = (const uint8_t *)key,
		                        .start_len = sizeof key};
	struct region_error re = {
	    .code = TK_E_EPOCH_NOT_MATCH, .region_id = 1, .regions = rs, .n_regions = 6};
	const char *m = describe(&re);
	ck_assert_ptr_nonnull(strstr(m, "region 4 ["));
	ck_assert_ptr_null(strstr(m, "region 5 ["));
	ck_assert_ptr_nonnull(strstr(m, " and 2 more"));
	ck_assert_ptr_nonnull(strstr(m, "kkk..., +inf)"));
	ck_assert_uint_lt(strlen(m), 600);
}
END_TEST

/* Regions too large for any frame are left out rather than failing the
 * reply: the client still learns the code and asks the scheduler. */
START_TEST(test_regions_too_large_for_a_frame_are_left_out)
{
	size_t n = TK_MAX_FRAME_LIMIT / (2 * 8192) + 8;
	uint8_t *key = malloc(8192);
	struct region *rs = calloc(n, sizeof *rs);
	ck_assert(key && rs);
	memset(key, 'x', 8192);
	for (size_t i = 0; i < n; i++)
		rs[i] = (struct region){.id = i + 1,
		                        .start_key = key,
		                        .start_len = 8192,
		                        .end_key = key,
		                        .end_len = 8192};
	struct region_error re = {
	    .code = TK_E_EPOCH_NOT_MATCH, .region_id = 1, .regions = rs, .n_regions = n};
	struct tk_buf f;
	tk_buf_init(&f);
	ck_assert_int_eq(
	    region_error_encode_frame(&f, TK_MSG_raw_get, tk_slice_of(NULL, 0), 1, &re, NULL),
	    TK_OK);
	struct tk_msg m;
	ck_assert_int_eq(tk_msg_decode(tk_slice_of(f.data + 4, f.len - 4), &arena, &m, &eb), TK_OK);
	const struct tk_error *w = m.body;
	ck_assert(tk_slice_eq(w->code, tk_slice_str("EPOCH_NOT_MATCH")));
	ck_assert_uint_eq(w->regions.n, 0);
	ck_assert_uint_eq(w->region, 1);
	tk_buf_destroy(&f);
	free(rs);
	free(key);
}
END_TEST

/* A reader of another store's reply checks the regions it is handed. */
START_TEST(test_invalid_regions_from_the_wire_are_refused)
{
	struct tk_sched_region bad = {.id = 0, .start = tk_slice_str(""), .end = tk_slice_str("")};
	struct tk_error w = {.code = tk_slice_str("EPOCH_NOT_MATCH"),
	                     .msg = tk_slice_str("m"),
	                     .regions = {&bad, 1}};
	struct region_error re;
	ck_assert_int_eq(region_error_from_wire(&arena, &w, &re, &eb), TK_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(eb.msg, "EPOCH_NOT_MATCH"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("region_error");
	TCase *tc = tcase_create("region_error");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_encoder_gives_the_golden_frame_of_every_region_error);
	tcase_add_test(tc, test_region_error_survives_encode_and_decode);
	tcase_add_test(tc, test_messages_say_the_hint_or_that_none_is_known);
	tcase_add_test(tc, test_messages_cut_long_keys_and_many_regions);
	tcase_add_test(tc, test_regions_too_large_for_a_frame_are_left_out);
	tcase_add_test(tc, test_invalid_regions_from_the_wire_are_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
