/* Region snapshot pieces (snap.h): the descriptor, chunk records and their
 * checks, the generator over an engine snapshot, and the atomic apply of
 * staged chunks. */
#include "test_ps_helpers.h" /* first: it sets _GNU_SOURCE */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/keys.h"
#include "engine/raft_keys.h"
#include "raftstore/snap.h"

#define RID 9

static void put(struct eng *e, enum eng_cf cf, const char *k, const char *v)
{
	struct eng_batch *b = eng_batch_new();
	eng_batch_put(b, cf, tk_slice_str(k), tk_slice_str(v));
	ph_write(e, b);
	eng_batch_free(b);
}

/* Put user key k in an MVCC column (ts 7, or no ts for the lock column). */
static void put_mvcc(struct eng *e, enum eng_cf cf, const char *k, const char *v)
{
	struct tk_buf key;
	tk_buf_init(&key);
	if (cf == ENG_CF_LOCK)
		ck_assert(eng_mc_encode(&key, tk_slice_str(k)));
	else
		ck_assert(eng_mvcc_key(&key, tk_slice_str(k), 7));
	struct eng_batch *b = eng_batch_new();
	eng_batch_put(b, cf, tk_buf_slice(&key), tk_slice_str(v));
	ph_write(e, b);
	eng_batch_free(b);
	tk_buf_destroy(&key);
}

static size_t count_cf(struct eng *e, enum eng_cf cf)
{
	struct eng_iter *it = eng_iter_new(e, NULL, cf, tk_slice_of(NULL, 0), tk_slice_of(NULL, 0));
	size_t n = 0;
	for (eng_iter_seek_first(it); eng_iter_valid(it); eng_iter_next(it))
		n++;
	eng_iter_free(it);
	return n;
}

START_TEST(test_the_descriptor_round_trips_and_damage_is_refused)
{
	struct rs_region_state rs, got;
	ph_region(&rs, RID, 3, "b", "m");
	rs_region_state_init(&got);
	struct tk_buf d;
	tk_buf_init(&d);
	ck_assert(rs_snap_desc_encode(42, &rs, &d));
	uint64_t id = 0;
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_snap_desc_decode(d.data, d.len, &id, &got, &eb), TK_OK);
	ck_assert_uint_eq(id, 42);
	ck_assert_uint_eq(got.region.id, RID);
	ck_assert_uint_eq(got.region.n_peers, 3);
	ck_assert_int_eq(rs_snap_desc_decode(d.data, 8, &id, &got, &eb), TK_E_CORRUPTION);
	ck_assert_int_eq(rs_snap_desc_decode(d.data, d.len - 1, &id, &got, &eb), TK_E_CORRUPTION);
	d.data[0] = 2;
	ck_assert_int_eq(rs_snap_desc_decode(d.data, d.len, &id, &got, &eb), TK_E_CORRUPTION);
	tk_buf_destroy(&d);
	rs_region_state_destroy(&rs);
	rs_region_state_destroy(&got);
}
END_TEST

START_TEST(test_chunk_records_are_checked_for_form_column_and_range)
{
	struct rs_region_state rs;
	ph_region(&rs, RID, 1, "b", "m");
	struct tk_buf c, mk;
	tk_buf_init(&c);
	tk_buf_init(&mk);
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_snap_chunk_check(NULL, 0, &rs.region, &eb), TK_OK); /* empty */
	ck_assert(rs_snap_rec_add(&c, ENG_CF_RAW, tk_slice_str("c"), tk_slice_str("1")));
	ck_assert(eng_mvcc_key(&mk, tk_slice_str("l"), 3));
	ck_assert(rs_snap_rec_add(&c, ENG_CF_WRITE, tk_buf_slice(&mk), tk_slice_str("w")));
	ck_assert_int_eq(rs_snap_chunk_check(c.data, c.len, &rs.region, &eb), TK_OK);
	ck_assert_int_eq(rs_snap_chunk_check(c.data, c.len - 1, &rs.region, &eb), TK_E_CORRUPTION);
	/* A key past the end ("m" is excluded), and a column no snapshot has. */
	struct tk_buf bad;
	tk_buf_init(&bad);
	ck_assert(rs_snap_rec_add(&bad, ENG_CF_RAW, tk_slice_str("m"), tk_slice_str("1")));
	ck_assert_int_eq(rs_snap_chunk_check(bad.data, bad.len, &rs.region, &eb), TK_E_CORRUPTION);
	ck_assert_ptr_nonnull(strstr(eb.msg, "outside region"));
	tk_buf_reset(&bad);
	ck_assert(rs_snap_rec_add(&bad, ENG_CF_RAFT, tk_slice_str("c"), tk_slice_str("1")));
	ck_assert_int_eq(rs_snap_chunk_check(bad.data, bad.len, &rs.region, &eb), TK_E_CORRUPTION);
	tk_buf_destroy(&bad);
	tk_buf_destroy(&c);
	tk_buf_destroy(&mk);
	rs_region_state_destroy(&rs);
}
END_TEST

/* The generator sends exactly the range's keys of every data column, from
 * the engine snapshot (later writes do not show), in bounded chunks; the
 * receiver's apply replaces the range's old keys and keeps the others. */
START_TEST(test_a_generated_snapshot_applies_to_exactly_the_range_on_another_engine)
{
	char *d1 = ph_tmpdir(), *d2 = ph_tmpdir();
	struct eng *src = ph_open(d1), *dst = ph_open(d2);
	const char *keys[] = {"a", "b", "c", "d", "l", "m", "z"}; /* range [b, m) */
	char v[64];
	for (int i = 0; i < 7; i++) {
		snprintf(v, sizeof v, "value-of-%s-padded-to-some-length", keys[i]);
		put(src, ENG_CF_RAW, keys[i], v);
		put_mvcc(src, ENG_CF_DEFAULT, keys[i], v);
		put_mvcc(src, ENG_CF_LOCK, keys[i], v);
		put_mvcc(src, ENG_CF_WRITE, keys[i], v);
		/* The receiver holds stale data in and out of the range. */
		put(dst, ENG_CF_RAW, keys[i], "stale");
		put_mvcc(dst, ENG_CF_LOCK, keys[i], "stale");
	}
	put(dst, ENG_CF_RAW, "bb", "deleted-on-the-leader");
	struct rs_region_state rs;
	ph_region(&rs, RID, 1, "b", "m");
	struct rs_snap_gen g;
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_snap_gen_init(&g, src, eng_snapshot(src), &rs, &eb), TK_OK);
	put(src, ENG_CF_RAW, "c", "written-after-the-snapshot");
	put(src, ENG_CF_RAW, "e", "written-after-the-snapshot");
	struct tk_buf chunk;
	tk_buf_init(&chunk);
	bool done = false;
	uint64_t seq = 0;
	ck_assert_int_eq(rs_snap_stage_reset(dst, RID, &eb), TK_OK);
	while (!done) {
		ck_assert_int_eq(rs_snap_gen_next(&g, 100, &chunk, &done, &eb), TK_OK);
		/* Bounded: at most the limit plus one record (< 100 bytes). */
		ck_assert_uint_lt(chunk.len, 200);
		ck_assert_int_eq(rs_snap_chunk_check(chunk.data, chunk.len, &rs.region, &eb),
		                 TK_OK);
		ck_assert_int_eq(rs_snap_stage_chunk(dst, RID, seq++, chunk.data, chunk.len, &eb),
		                 TK_OK);
	}
	ck_assert_uint_eq(g.keys, 4 * 4); /* b c d l in four columns */
	ck_assert_uint_ge(seq, 8);
	rs_snap_gen_destroy(&g);
	/* The final batch carries the caller's record too. */
	struct eng_batch *fin = eng_batch_new();
	eng_batch_put(fin, ENG_CF_META, tk_slice_str("marker"), tk_slice_str("1"));
	ck_assert_int_eq(rs_snap_apply_staged(dst, &rs.region, fin, &eb), TK_OK);
	eng_batch_free(fin);
	struct tk_buf got;
	tk_buf_init(&got);
	bool found;
	for (int i = 0; i < 7; i++) {
		bool in = i >= 1 && i <= 4;
		ck_assert_int_eq(eng_get(dst, ENG_CF_RAW, tk_slice_str(keys[i]), &got, &found, &eb),
		                 TK_OK);
		ck_assert(found);
		snprintf(v, sizeof v, "value-of-%s-padded-to-some-length", keys[i]);
		ck_assert(tk_slice_eq(tk_buf_slice(&got), tk_slice_str(in ? v : "stale")));
	}
	ck_assert_int_eq(eng_get(dst, ENG_CF_RAW, tk_slice_str("bb"), &got, &found, &eb), TK_OK);
	ck_assert(!found);
	ck_assert_int_eq(eng_get(dst, ENG_CF_RAW, tk_slice_str("e"), &got, &found, &eb), TK_OK);
	ck_assert(!found);
	ck_assert_uint_eq(count_cf(dst, ENG_CF_DEFAULT), 4);
	ck_assert_uint_eq(count_cf(dst, ENG_CF_LOCK), 7); /* 4 new + a, m, z stale */
	ck_assert_uint_eq(count_cf(dst, ENG_CF_WRITE), 4);
	ck_assert_int_eq(eng_get(dst, ENG_CF_META, tk_slice_str("marker"), &got, &found, &eb),
	                 TK_OK);
	ck_assert(found);
	/* The staged chunks went with the final batch. */
	struct eng_key k = eng_key_snap_chunk(RID, 0);
	ck_assert_int_eq(eng_get_key(dst, &k, &got, &found, &eb), TK_OK);
	ck_assert(!found);
	tk_buf_destroy(&got);
	tk_buf_destroy(&chunk);
	rs_region_state_destroy(&rs);
	eng_close(src);
	eng_close(dst);
	ph_rmrf(d1);
	ph_rmrf(d2);
}
END_TEST

/* A region APPLYING at restart is finished from its staged chunks; a new
 * stream first clears an older one's chunks. */
START_TEST(test_finishing_an_applying_region_at_restart_writes_its_chunks_and_marks_it_normal)
{
	char *dir = ph_tmpdir();
	struct eng *e = ph_open(dir);
	struct tk_errbuf eb;
	struct tk_buf c;
	tk_buf_init(&c);
	ck_assert(rs_snap_rec_add(&c, ENG_CF_RAW, tk_slice_str("old"), tk_slice_str("x")));
	for (uint64_t s = 0; s < 3; s++) /* an older, longer stream */
		ck_assert_int_eq(rs_snap_stage_chunk(e, RID, s, c.data, c.len, &eb), TK_OK);
	ck_assert_int_eq(rs_snap_stage_reset(e, RID, &eb), TK_OK);
	tk_buf_reset(&c);
	ck_assert(rs_snap_rec_add(&c, ENG_CF_RAW, tk_slice_str("new"), tk_slice_str("y")));
	ck_assert_int_eq(rs_snap_stage_chunk(e, RID, 0, c.data, c.len, &eb), TK_OK);
	put(e, ENG_CF_RAW, "gone", "z");
	struct rs_region_state rs;
	ph_region(&rs, RID, 1, "", "");
	rs.state = RS_PEER_APPLYING;
	ck_assert_int_eq(rs_snap_finish_applying(e, &rs, &eb), TK_OK);
	ck_assert_uint_eq(count_cf(e, ENG_CF_RAW), 1);
	struct tk_buf got;
	tk_buf_init(&got);
	bool found;
	ck_assert_int_eq(eng_get(e, ENG_CF_RAW, tk_slice_str("new"), &got, &found, &eb), TK_OK);
	ck_assert(found);
	struct eng_key k = eng_key_region_state(RID);
	ck_assert_int_eq(eng_get_key(e, &k, &got, &found, &eb), TK_OK);
	ck_assert(found);
	struct rs_region_state back;
	rs_region_state_init(&back);
	ck_assert_int_eq(rs_region_state_decode(tk_buf_slice(&got), &back, &eb), TK_OK);
	ck_assert_uint_eq(back.state, RS_PEER_NORMAL);
	struct eng_key lo = eng_key_snap_chunk(RID, 0), hi = eng_key_snap_chunk_end(RID);
	struct eng_iter *it = eng_iter_new_keys(e, NULL, &lo, &hi);
	eng_iter_seek_first(it);
	ck_assert(!eng_iter_valid(it));
	eng_iter_free(it);
	rs_region_state_destroy(&back);
	rs_region_state_destroy(&rs);
	tk_buf_destroy(&got);
	tk_buf_destroy(&c);
	eng_close(e);
	ph_rmrf(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("raftstore_snap");
	TCase *tc = tcase_create("snap");
	tcase_add_test(tc, test_the_descriptor_round_trips_and_damage_is_refused);
	tcase_add_test(tc, test_chunk_records_are_checked_for_form_column_and_range);
	tcase_add_test(tc,
	               test_a_generated_snapshot_applies_to_exactly_the_range_on_another_engine);
	tcase_add_test(
	    tc, test_finishing_an_applying_region_at_restart_writes_its_chunks_and_marks_it_normal);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
