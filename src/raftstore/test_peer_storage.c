#include "test_ps_helpers.h" /* first: it sets _GNU_SOURCE */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/raft_keys.h"
#include "raftstore/peer_storage.h"
#include "test_ps_helpers.h"

#define RID 7

/* A fixture: one engine in a temp dir, region RID bootstrapped (log at
 * index 5, term 5) with three peers, opened with the given cache bounds. */
struct fx {
	char *dir;
	struct eng *e;
	struct eng_batch *b;
	struct rs_peer_storage *ps;
	struct rs_ps_options o;
	struct raft_storage st;
	struct tk_errbuf eb;
};

static void fx_reopen(struct fx *f)
{
	rs_ps_free(f->ps);
	f->ps = NULL;
	enum tk_err rc = rs_ps_open(f->e, RID, &f->o, &f->ps, &f->eb);
	ck_assert_msg(rc == TK_OK, "rs_ps_open: %s", f->eb.msg);
	f->st = rs_ps_storage(f->ps);
}

static void fx_init(struct fx *f, size_t cache_entries, size_t cache_bytes)
{
	memset(f, 0, sizeof *f);
	f->dir = ph_tmpdir();
	f->e = ph_open(f->dir);
	f->b = eng_batch_new();
	rs_ps_options_default(&f->o);
	f->o.cache_max_entries = cache_entries;
	f->o.cache_max_bytes = cache_bytes;
	struct rs_region_state rs;
	ph_region(&rs, RID, 3, "", "");
	ck_assert_int_eq(rs_ps_bootstrap(f->e, f->b, &rs, &f->eb), TK_OK);
	rs_region_state_destroy(&rs);
	ph_write(f->e, f->b);
	fx_reopen(f);
}

static void fx_destroy(struct fx *f)
{
	rs_ps_free(f->ps);
	eng_batch_free(f->b);
	eng_close(f->e);
	ph_rmrf(f->dir);
}

/* Write the batch and report it persisted. */
static void fx_commit(struct fx *f)
{
	ph_write(f->e, f->b);
	rs_ps_persisted(f->ps);
}

/* Entry data: "e<index>t<term>" padded to 10 bytes. */
static void edata(char *buf, raft_index i, raft_term t)
{
	snprintf(buf, 11, "e%04llut%03llu", (unsigned long long)i % 10000,
	         (unsigned long long)t % 1000);
}

/* Stage and persist entries [lo, hi) of term t. */
static void fx_append(struct fx *f, raft_index lo, raft_index hi, raft_term t)
{
	struct raft_entry ents[64];
	char data[64][11];
	ck_assert_uint_le(hi - lo, 64);
	for (raft_index i = lo; i < hi; i++) {
		edata(data[i - lo], i, t);
		ents[i - lo] = (struct raft_entry){.term = t,
		                                   .index = i,
		                                   .type = RAFT_ENTRY_NORMAL,
		                                   .data = (const uint8_t *)data[i - lo],
		                                   .len = 10};
	}
	enum tk_err rc = rs_ps_append(f->ps, f->b, ents, (size_t)(hi - lo), &f->eb);
	ck_assert_msg(rc == TK_OK, "append: %s", f->eb.msg);
	/* As raft does, the hard state's term covers every entry's term. */
	struct rs_raft_state r;
	rs_ps_raft_state(f->ps, &r);
	if (r.hs.term < t) {
		r.hs.term = t;
		rs_ps_set_hard_state(f->ps, f->b, &r.hs);
	}
	fx_commit(f);
}

static raft_term term_of(struct fx *f, raft_index i, enum tk_err want)
{
	raft_term t = 0;
	ck_assert_int_eq(f->st.ops->term(f->st.ctx, i, &t), want);
	return t;
}

/* Check entries [lo, hi) read back with term t (and data to match). */
static void expect_entries(struct fx *f, raft_index lo, raft_index hi, raft_term t)
{
	struct raft_entbuf out;
	raft_entbuf_init(&out);
	enum tk_err rc = f->st.ops->entries(f->st.ctx, lo, hi, SIZE_MAX, &out);
	ck_assert_msg(rc == TK_OK, "entries: %s", rs_ps_last_error(f->ps));
	ck_assert_uint_eq(out.n, hi - lo);
	for (size_t k = 0; k < out.n; k++) {
		char d[11];
		edata(d, lo + k, t);
		ck_assert_uint_eq(out.ents[k].index, lo + k);
		ck_assert_uint_eq(out.ents[k].term, t);
		ck_assert_uint_eq(out.ents[k].len, 10);
		ck_assert(memcmp(out.ents[k].data, d, 10) == 0);
	}
	raft_entbuf_destroy(&out);
}

static bool on_disk(struct fx *f, raft_index i)
{
	struct eng_key k = eng_key_raft_log(RID, i);
	struct tk_buf v;
	tk_buf_init(&v);
	bool found = false;
	ck_assert_int_eq(eng_get_key(f->e, &k, &v, &found, &f->eb), TK_OK);
	tk_buf_destroy(&v);
	return found;
}

START_TEST(test_a_region_without_stored_state_opens_empty_and_uninitialized)
{
	char *dir = ph_tmpdir();
	struct eng *e = ph_open(dir);
	struct rs_peer_storage *ps;
	struct tk_errbuf eb;
	ck_assert_int_eq(rs_ps_open(e, 9, NULL, &ps, &eb), TK_OK);
	ck_assert_ptr_null(rs_ps_region_state(ps));
	ck_assert_uint_eq(rs_ps_first_index(ps), 1);
	ck_assert_uint_eq(rs_ps_last_index(ps), 0);
	struct raft_storage st = rs_ps_storage(ps);
	struct raft_hard_state hs;
	struct raft_conf_state cs;
	ck_assert_int_eq(st.ops->initial_state(st.ctx, &hs, &cs), TK_OK);
	ck_assert_uint_eq(hs.term, 0);
	ck_assert_uint_eq(cs.n_voters, 0);
	raft_term t = 1;
	ck_assert_int_eq(st.ops->term(st.ctx, 0, &t), TK_OK);
	ck_assert_uint_eq(t, 0);
	ck_assert_int_eq(st.ops->term(st.ctx, 1, &t), TK_E_LOG_UNAVAILABLE);
	struct rs_peer_storage *none;
	ck_assert_int_eq(rs_ps_open(e, 0, NULL, &none, &eb), TK_E_BAD_REQUEST);
	ck_assert_ptr_null(none);
	rs_ps_free(ps);
	eng_close(e);
	ph_rmrf(dir);
}
END_TEST

START_TEST(test_bootstrap_starts_the_log_at_index_five_with_the_region_voters)
{
	struct fx f;
	fx_init(&f, 16, 1 << 20);
	ck_assert_uint_eq(rs_ps_first_index(f.ps), RS_INIT_LOG_INDEX + 1);
	ck_assert_uint_eq(rs_ps_last_index(f.ps), RS_INIT_LOG_INDEX);
	ck_assert_uint_eq(term_of(&f, RS_INIT_LOG_INDEX, TK_OK), RS_INIT_LOG_TERM);
	term_of(&f, RS_INIT_LOG_INDEX - 1, TK_E_COMPACTED);
	struct raft_hard_state hs;
	struct raft_conf_state cs;
	ck_assert_int_eq(f.st.ops->initial_state(f.st.ctx, &hs, &cs), TK_OK);
	ck_assert_uint_eq(hs.term, RS_INIT_LOG_TERM);
	ck_assert_uint_eq(hs.commit, RS_INIT_LOG_INDEX);
	ck_assert_uint_eq(cs.n_voters, 3);
	ck_assert_uint_eq(cs.voters[2], 3);
	/* A second bootstrap of the same region is refused. */
	struct rs_region_state rs;
	ph_region(&rs, RID, 1, "", "");
	ck_assert_int_eq(rs_ps_bootstrap(f.e, f.b, &rs, &f.eb), TK_E_BAD_REQUEST);
	ck_assert_uint_eq(eng_batch_count(f.b), 0);
	rs_region_state_destroy(&rs);
	fx_destroy(&f);
}
END_TEST

START_TEST(test_staged_entries_stay_invisible_until_the_batch_is_persisted)
{
	struct fx f;
	fx_init(&f, 16, 1 << 20);
	struct raft_entry e = {.term = 6, .index = 6, .data = (const uint8_t *)"x", .len = 1};
	ck_assert_int_eq(rs_ps_append(f.ps, f.b, &e, 1, &f.eb), TK_OK);
	ck_assert(rs_ps_has_staged(f.ps));
	ck_assert_uint_eq(rs_ps_last_index(f.ps), 5);
	term_of(&f, 6, TK_E_LOG_UNAVAILABLE);
	ph_write(f.e, f.b);
	/* Written but not reported: still invisible. */
	ck_assert_uint_eq(rs_ps_last_index(f.ps), 5);
	rs_ps_persisted(f.ps);
	ck_assert(!rs_ps_has_staged(f.ps));
	ck_assert_uint_eq(rs_ps_last_index(f.ps), 6);
	ck_assert_uint_eq(term_of(&f, 6, TK_OK), 6);
	fx_destroy(&f);
}
END_TEST

START_TEST(test_append_overwriting_a_suffix_deletes_the_conflicting_entries)
{
	struct fx f;
	fx_init(&f, 16, 1 << 20);
	fx_append(&f, 6, 16, 6); /* 6..15 term 6 */
	ck_assert(on_disk(&f, 15));
	fx_append(&f, 10, 12, 7); /* replaces 10..15 by 10..11 term 7 */
	ck_assert_uint_eq(rs_ps_last_index(f.ps), 11);
	expect_entries(&f, 6, 10, 6);
	expect_entries(&f, 10, 12, 7);
	term_of(&f, 12, TK_E_LOG_UNAVAILABLE);
	for (raft_index i = 12; i <= 15; i++)
		ck_assert(!on_disk(&f, i));
	/* The same holds after a restart (from disk, no cache). */
	fx_reopen(&f);
	ck_assert_uint_eq(rs_ps_last_index(f.ps), 11);
	expect_entries(&f, 6, 10, 6);
	expect_entries(&f, 10, 12, 7);
	fx_destroy(&f);
}
END_TEST

START_TEST(test_two_appends_in_one_batch_leave_the_later_one_in_log_and_cache)
{
	struct fx f;
	fx_init(&f, 16, 1 << 20);
	struct raft_entry a[3] = {
	    {.term = 6, .index = 6}, {.term = 6, .index = 7}, {.term = 6, .index = 8}};
	struct raft_entry b[1] = {{.term = 7, .index = 7}};
	ck_assert_int_eq(rs_ps_append(f.ps, f.b, a, 3, &f.eb), TK_OK);
	ck_assert_int_eq(rs_ps_append(f.ps, f.b, b, 1, &f.eb), TK_OK);
	struct raft_hard_state hs = {.term = 7, .commit = 5};
	rs_ps_set_hard_state(f.ps, f.b, &hs);
	fx_commit(&f);
	ck_assert_uint_eq(rs_ps_last_index(f.ps), 7);
	ck_assert_uint_eq(term_of(&f, 7, TK_OK), 7);
	ck_assert(!on_disk(&f, 8));
	struct rs_ps_stats s;
	rs_ps_get_stats(f.ps, &s);
	ck_assert_uint_eq(s.cache_entries, 2);
	ck_assert_uint_eq(s.cache_first, 6);
	fx_reopen(&f);
	ck_assert_uint_eq(term_of(&f, 7, TK_OK), 7);
	fx_destroy(&f);
}
END_TEST

START_TEST(test_append_refuses_a_gap_a_compacted_index_and_malformed_entries)
{
	struct fx f;
	fx_init(&f, 16, 1 << 20);
	struct raft_entry e = {.term = 6, .index = 7};
	ck_assert_int_eq(rs_ps_append(f.ps, f.b, &e, 1, &f.eb), TK_E_BAD_REQUEST);
	e.index = 5;
	ck_assert_int_eq(rs_ps_append(f.ps, f.b, &e, 1, &f.eb), TK_E_BAD_REQUEST);
	struct raft_entry two[2] = {{.term = 6, .index = 6}, {.term = 6, .index = 8}};
	ck_assert_int_eq(rs_ps_append(f.ps, f.b, two, 2, &f.eb), TK_E_BAD_REQUEST);
	two[1].index = 7;
	two[1].term = 5; /* terms go down */
	ck_assert_int_eq(rs_ps_append(f.ps, f.b, two, 2, &f.eb), TK_E_BAD_REQUEST);
	ck_assert_uint_eq(eng_batch_count(f.b), 0);
	ck_assert(!rs_ps_has_staged(f.ps));
	fx_destroy(&f);
}
END_TEST

START_TEST(test_entries_are_served_across_disk_and_the_bounded_cache)
{
	struct fx f;
	fx_init(&f, 4, 1 << 20); /* the cache keeps the last 4 entries */
	fx_append(&f, 6, 26, 6);
	struct rs_ps_stats s;
	rs_ps_get_stats(f.ps, &s);
	ck_assert_uint_eq(s.cache_entries, 4);
	ck_assert_uint_eq(s.cache_first, 22);
	ck_assert_uint_eq(s.cache_bytes, 40);
	expect_entries(&f, 6, 26, 6); /* 16 from disk, 4 from the cache */
	struct rs_ps_stats s2;
	rs_ps_get_stats(f.ps, &s2);
	ck_assert_uint_eq(s2.disk_entries - s.disk_entries, 16);
	ck_assert_uint_eq(s2.cache_hits - s.cache_hits, 4);
	expect_entries(&f, 23, 25, 6); /* only the cache */
	rs_ps_get_stats(f.ps, &s);
	ck_assert_uint_eq(s.disk_entries, s2.disk_entries);
	ck_assert_uint_eq(term_of(&f, 10, TK_OK), 6); /* term from disk */
	ck_assert_uint_eq(term_of(&f, 25, TK_OK), 6); /* term from the cache */
	fx_destroy(&f);
}
END_TEST

START_TEST(test_the_cache_byte_bound_evicts_the_oldest_entries)
{
	struct fx f;
	fx_init(&f, 100, 35); /* entries are 10 bytes: 3 fit */
	fx_append(&f, 6, 16, 6);
	struct rs_ps_stats s;
	rs_ps_get_stats(f.ps, &s);
	ck_assert_uint_eq(s.cache_entries, 3);
	ck_assert_uint_eq(s.cache_first, 13);
	expect_entries(&f, 6, 16, 6);
	fx_destroy(&f);
}
END_TEST

START_TEST(test_the_cache_grows_wraps_and_truncates_as_the_log_does)
{
	struct fx f;
	fx_init(&f, 20, 1 << 20);
	for (raft_index lo = 6; lo < 46; lo += 7)
		fx_append(&f, lo, lo + 7 < 46 ? lo + 7 : 46, 6);
	struct rs_ps_stats s;
	rs_ps_get_stats(f.ps, &s);
	ck_assert_uint_eq(s.cache_entries, 20);
	ck_assert_uint_eq(s.cache_first, 26);
	expect_entries(&f, 6, 46, 6);
	fx_append(&f, 40, 43, 7); /* replace 40..45 inside the wrapped ring */
	rs_ps_get_stats(f.ps, &s);
	ck_assert_uint_eq(s.cache_entries, 17);
	ck_assert_uint_eq(s.cache_first, 26);
	expect_entries(&f, 6, 40, 6);
	expect_entries(&f, 40, 43, 7);
	term_of(&f, 43, TK_E_LOG_UNAVAILABLE);
	fx_append(&f, 20, 22, 8); /* replace below the cache: it restarts */
	rs_ps_get_stats(f.ps, &s);
	ck_assert_uint_eq(s.cache_entries, 2);
	ck_assert_uint_eq(s.cache_first, 20);
	expect_entries(&f, 20, 22, 8);
	fx_destroy(&f);
}
END_TEST

/* entries(lo, hi, max) must return n entries. */
static void expect_count(struct fx *f, raft_index lo, raft_index hi, size_t max, size_t n)
{
	struct raft_entbuf out;
	raft_entbuf_init(&out);
	ck_assert_int_eq(f->st.ops->entries(f->st.ctx, lo, hi, max, &out), TK_OK);
	ck_assert_uint_eq(out.n, n);
	for (size_t k = 0; k < out.n; k++)
		ck_assert_uint_eq(out.ents[k].index, lo + k);
	raft_entbuf_destroy(&out);
}

START_TEST(test_entries_stop_at_max_bytes_but_return_at_least_one)
{
	struct fx f;
	fx_init(&f, 4, 1 << 20);
	fx_append(&f, 6, 26, 6);         /* disk 6..21, cache 22..25; 10 bytes each */
	expect_count(&f, 6, 26, 25, 2);  /* disk only */
	expect_count(&f, 6, 26, 5, 1);   /* below one entry: still one */
	expect_count(&f, 20, 26, 35, 3); /* 20, 21 from disk, 22 from the cache */
	expect_count(&f, 22, 26, 1, 1);  /* cache only, one at least */
	expect_count(&f, 22, 26, 30, 3);
	expect_count(&f, 6, 26, 200, 20); /* exactly everything */
	expect_count(&f, 6, 26, 199, 19);
	fx_destroy(&f);
}
END_TEST

START_TEST(test_compacted_and_unavailable_ranges_answer_as_raft_defines)
{
	struct fx f;
	fx_init(&f, 4, 1 << 20);
	fx_append(&f, 6, 26, 6);
	struct raft_hard_state hs = {.term = 6, .commit = 25};
	rs_ps_set_hard_state(f.ps, f.b, &hs);
	ck_assert_int_eq(rs_ps_set_applied(f.ps, f.b, 20, &f.eb), TK_OK);
	ck_assert_int_eq(rs_ps_compact(f.ps, f.b, 10, &f.eb), TK_OK);
	fx_commit(&f);
	ck_assert_uint_eq(rs_ps_first_index(f.ps), 11);
	struct raft_entbuf out;
	raft_entbuf_init(&out);
	ck_assert_int_eq(f.st.ops->entries(f.st.ctx, 10, 12, SIZE_MAX, &out), TK_E_COMPACTED);
	ck_assert_int_eq(f.st.ops->entries(f.st.ctx, 11, 27, SIZE_MAX, &out), TK_E_LOG_UNAVAILABLE);
	raft_entbuf_destroy(&out);
	term_of(&f, 9, TK_E_COMPACTED);
	ck_assert_uint_eq(term_of(&f, 10, TK_OK), 6); /* the truncated term */
	term_of(&f, 26, TK_E_LOG_UNAVAILABLE);
	expect_entries(&f, 11, 26, 6);
	for (raft_index i = 6; i <= 10; i++)
		ck_assert(!on_disk(&f, i));
	ck_assert(on_disk(&f, 11));
	fx_destroy(&f);
}
END_TEST

START_TEST(test_compaction_checks_its_bounds_and_trims_the_cache)
{
	struct fx f;
	fx_init(&f, 8, 1 << 20);
	fx_append(&f, 6, 16, 6);
	struct raft_hard_state hs = {.term = 6, .commit = 15};
	rs_ps_set_hard_state(f.ps, f.b, &hs);
	ck_assert_int_eq(rs_ps_set_applied(f.ps, f.b, 12, &f.eb), TK_OK);
	fx_commit(&f);
	ck_assert_int_eq(rs_ps_compact(f.ps, f.b, 5, &f.eb), TK_E_COMPACTED);
	ck_assert_int_eq(rs_ps_compact(f.ps, f.b, 16, &f.eb), TK_E_LOG_UNAVAILABLE);
	ck_assert_int_eq(rs_ps_compact(f.ps, f.b, 13, &f.eb), TK_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(f.eb.msg, "applied"));
	ck_assert_uint_eq(eng_batch_count(f.b), 0);
	ck_assert_int_eq(rs_ps_compact(f.ps, f.b, 12, &f.eb), TK_OK);
	fx_commit(&f);
	struct rs_apply_state a;
	rs_ps_apply_state(f.ps, &a);
	ck_assert_uint_eq(a.truncated_index, 12);
	ck_assert_uint_eq(a.truncated_term, 6);
	struct rs_ps_stats s;
	rs_ps_get_stats(f.ps, &s);
	ck_assert_uint_eq(s.cache_first, 13);
	ck_assert_uint_eq(s.cache_entries, 3);
	ck_assert_int_eq(rs_ps_compact(f.ps, f.b, 12, &f.eb), TK_E_COMPACTED);
	/* Applied cannot go backwards nor pass commit. */
	ck_assert_int_eq(rs_ps_set_applied(f.ps, f.b, 11, &f.eb), TK_E_BAD_REQUEST);
	ck_assert_int_eq(rs_ps_set_applied(f.ps, f.b, 16, &f.eb), TK_E_BAD_REQUEST);
	fx_reopen(&f);
	ck_assert_uint_eq(rs_ps_first_index(f.ps), 13);
	expect_entries(&f, 13, 16, 6);
	fx_destroy(&f);
}
END_TEST

START_TEST(test_hard_state_and_apply_state_survive_a_restart)
{
	struct fx f;
	fx_init(&f, 16, 1 << 20);
	fx_append(&f, 6, 9, 6);
	struct raft_hard_state hs = {.term = 9, .vote = 3, .commit = 8};
	rs_ps_set_hard_state(f.ps, f.b, &hs);
	ck_assert_int_eq(rs_ps_set_applied(f.ps, f.b, 7, &f.eb), TK_OK);
	fx_commit(&f);
	fx_reopen(&f);
	struct rs_raft_state r;
	struct rs_apply_state a;
	rs_ps_raft_state(f.ps, &r);
	rs_ps_apply_state(f.ps, &a);
	ck_assert_uint_eq(r.hs.term, 9);
	ck_assert_uint_eq(r.hs.vote, 3);
	ck_assert_uint_eq(r.hs.commit, 8);
	ck_assert_uint_eq(r.last_index, 8);
	ck_assert_uint_eq(a.applied, 7);
	ck_assert_uint_eq(a.truncated_index, 5);
	ck_assert_uint_eq(a.truncated_term, 5);
	struct raft_hard_state hs2;
	struct raft_conf_state cs;
	ck_assert_int_eq(f.st.ops->initial_state(f.st.ctx, &hs2, &cs), TK_OK);
	ck_assert(memcmp(&hs, &hs2, sizeof hs) == 0);
	expect_entries(&f, 6, 9, 6);
	fx_destroy(&f);
}
END_TEST

START_TEST(test_a_discarded_or_failed_batch_changes_nothing)
{
	struct fx f;
	fx_init(&f, 16, 1 << 20);
	fx_append(&f, 6, 9, 6);
	struct raft_entry e = {.term = 7, .index = 7, .data = (const uint8_t *)"y", .len = 1};
	ck_assert_int_eq(rs_ps_append(f.ps, f.b, &e, 1, &f.eb), TK_OK);
	eng_inject_write_failure(f.e, 0, TK_E_IO);
	ck_assert_int_eq(eng_write(f.e, f.b, true, &f.eb), TK_E_IO);
	rs_ps_discard_staged(f.ps);
	eng_batch_clear(f.b);
	ck_assert_uint_eq(rs_ps_last_index(f.ps), 8);
	expect_entries(&f, 6, 9, 6);
	/* The next batch stages from the persisted state again. */
	fx_append(&f, 9, 11, 6);
	ck_assert_uint_eq(rs_ps_last_index(f.ps), 10);
	fx_reopen(&f);
	expect_entries(&f, 6, 11, 6);
	fx_destroy(&f);
}
END_TEST

START_TEST(test_several_regions_stage_into_one_batch_written_with_one_sync)
{
	struct fx f;
	fx_init(&f, 16, 1 << 20);
	struct rs_region_state rs;
	ph_region(&rs, RID + 1, 3, "", "");
	ck_assert_int_eq(rs_ps_bootstrap(f.e, f.b, &rs, &f.eb), TK_OK);
	rs_region_state_destroy(&rs);
	ph_write(f.e, f.b);
	struct rs_peer_storage *p2;
	enum tk_err rc = rs_ps_open(f.e, RID + 1, &f.o, &p2, &f.eb);
	ck_assert_msg(rc == TK_OK, "open: %s", f.eb.msg);
	struct eng_stats before, after;
	eng_get_stats(f.e, &before);
	struct raft_entry e1 = {.term = 6, .index = 6}, e2 = {.term = 8, .index = 6};
	struct raft_hard_state h1 = {.term = 6, .commit = 5},
	                       h2 = {.term = 8, .vote = 2, .commit = 5};
	ck_assert_int_eq(rs_ps_append(f.ps, f.b, &e1, 1, &f.eb), TK_OK);
	rs_ps_set_hard_state(f.ps, f.b, &h1);
	ck_assert_int_eq(rs_ps_append(p2, f.b, &e2, 1, &f.eb), TK_OK);
	rs_ps_set_hard_state(p2, f.b, &h2);
	ck_assert_int_eq(eng_write(f.e, f.b, true, &f.eb), TK_OK);
	rs_ps_persisted(f.ps);
	rs_ps_persisted(p2);
	eng_get_stats(f.e, &after);
	ck_assert_uint_eq(after.synced_writes - before.synced_writes, 1);
	rs_ps_free(p2);
	rc = rs_ps_open(f.e, RID + 1, &f.o, &p2, &f.eb);
	ck_assert_msg(rc == TK_OK, "reopen: %s", f.eb.msg);
	struct rs_raft_state r;
	rs_ps_raft_state(p2, &r);
	ck_assert_uint_eq(r.hs.term, 8);
	ck_assert_uint_eq(r.hs.vote, 2);
	ck_assert_uint_eq(r.last_index, 6);
	fx_reopen(&f);
	ck_assert_uint_eq(term_of(&f, 6, TK_OK), 6);
	rs_ps_free(p2);
	fx_destroy(&f);
}
END_TEST

START_TEST(test_applying_a_snapshot_replaces_log_states_and_region)
{
	struct fx f;
	fx_init(&f, 16, 1 << 20);
	fx_append(&f, 6, 16, 6);
	struct raft_snapshot_meta meta = {.index = 30, .term = 8};
	struct rs_region_state rs;
	ph_region(&rs, RID, 2, "a", "z");
	rs.region.epoch.conf_ver = 4;
	/* Not another region's state. */
	rs.region.id = RID + 1;
	ck_assert_int_eq(rs_ps_apply_snapshot(f.ps, f.b, &meta, &rs, &f.eb), TK_E_BAD_REQUEST);
	rs.region.id = RID;
	ck_assert_int_eq(rs_ps_apply_snapshot(f.ps, f.b, &meta, &rs, &f.eb), TK_OK);
	struct raft_hard_state hs = {.term = 8, .commit = 30};
	rs_ps_set_hard_state(f.ps, f.b, &hs);
	fx_commit(&f);
	ck_assert_uint_eq(rs_ps_first_index(f.ps), 31);
	ck_assert_uint_eq(rs_ps_last_index(f.ps), 30);
	ck_assert_uint_eq(term_of(&f, 30, TK_OK), 8);
	term_of(&f, 15, TK_E_COMPACTED);
	for (raft_index i = 6; i <= 15; i++)
		ck_assert(!on_disk(&f, i));
	struct rs_ps_stats s;
	rs_ps_get_stats(f.ps, &s);
	ck_assert_uint_eq(s.cache_entries, 0);
	fx_reopen(&f);
	const struct rs_region_state *got = rs_ps_region_state(f.ps);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got->region.epoch.conf_ver, 4);
	ck_assert_uint_eq(got->region.n_peers, 2);
	struct rs_apply_state a;
	rs_ps_apply_state(f.ps, &a);
	ck_assert_uint_eq(a.applied, 30);
	ck_assert_uint_eq(a.truncated_index, 30);
	ck_assert_uint_eq(a.truncated_term, 8);
	/* A snapshot older than the truncated index is stale. */
	meta.index = 20;
	ck_assert_int_eq(rs_ps_apply_snapshot(f.ps, f.b, &meta, &rs, &f.eb), TK_E_COMPACTED);
	/* Appending continues after the snapshot. */
	fx_append(&f, 31, 33, 8);
	expect_entries(&f, 31, 33, 8);
	rs_region_state_destroy(&rs);
	fx_destroy(&f);
}
END_TEST

START_TEST(test_a_new_region_state_shows_after_persisted_and_a_tombstone_still_opens)
{
	struct fx f;
	fx_init(&f, 16, 1 << 20);
	fx_append(&f, 6, 9, 6);
	struct rs_region_state rs;
	ph_region(&rs, RID, 2, "", "");
	rs.region.epoch.conf_ver = 2;
	ck_assert_int_eq(rs_ps_set_region_state(f.ps, f.b, &rs, &f.eb), TK_OK);
	struct raft_hard_state hs;
	struct raft_conf_state cs;
	ck_assert_int_eq(f.st.ops->initial_state(f.st.ctx, &hs, &cs), TK_OK);
	ck_assert_uint_eq(cs.n_voters, 3); /* staged only */
	fx_commit(&f);
	ck_assert_int_eq(f.st.ops->initial_state(f.st.ctx, &hs, &cs), TK_OK);
	ck_assert_uint_eq(cs.n_voters, 2);
	ck_assert_uint_eq(rs_ps_region_state(f.ps)->region.epoch.conf_ver, 2);
	/* Tombstone first; the log is deleted later (here: a stale entry is
	 * left below the first index, which a live region would refuse). */
	rs.state = RS_PEER_TOMBSTONE;
	ck_assert_int_eq(rs_ps_set_region_state(f.ps, f.b, &rs, &f.eb), TK_OK);
	struct raft_entry e = {.term = 5, .index = 5};
	struct tk_buf v;
	tk_buf_init(&v);
	ck_assert(rs_entry_value_encode(&e, &v));
	struct eng_key k = eng_key_raft_log(RID, 5);
	eng_batch_put_key(f.b, &k, tk_buf_slice(&v));
	fx_commit(&f);
	fx_reopen(&f);
	ck_assert_int_eq(rs_ps_region_state(f.ps)->state, RS_PEER_TOMBSTONE);
	ck_assert_int_eq(f.st.ops->initial_state(f.st.ctx, &hs, &cs), TK_OK);
	ck_assert_uint_eq(cs.n_voters, 0);
	/* Another region's state is refused. */
	rs.region.id = RID + 1;
	ck_assert_int_eq(rs_ps_set_region_state(f.ps, f.b, &rs, &f.eb), TK_E_BAD_REQUEST);
	ck_assert_uint_eq(eng_batch_count(f.b), 0);
	tk_buf_destroy(&v);
	rs_region_state_destroy(&rs);
	fx_destroy(&f);
}
END_TEST

/* Put raw bytes under a key, then expect rs_ps_open to refuse the state with
 * TK_E_CORRUPTION and a message containing what. */
static void expect_open_refused(struct fx *f, const char *what)
{
	rs_ps_free(f->ps);
	f->ps = NULL;
	struct rs_peer_storage *ps = NULL;
	struct tk_errbuf eb;
	enum tk_err rc = rs_ps_open(f->e, RID, &f->o, &ps, &eb);
	ck_assert_msg(rc == TK_E_CORRUPTION, "open gave %d (%s)", rc, rc ? eb.msg : "ok");
	ck_assert_ptr_null(ps);
	ck_assert_msg(strstr(eb.msg, what), "message \"%s\" lacks \"%s\"", eb.msg, what);
	ck_assert_msg(strstr(eb.msg, "region 7"), "message \"%s\" lacks the region", eb.msg);
}

static void put_raw(struct fx *f, struct eng_key k, const void *v, size_t n)
{
	eng_batch_put_key(f->b, &k, tk_slice_of(v, n));
	ph_write(f->e, f->b);
}

static void del_raw(struct fx *f, struct eng_key k)
{
	eng_batch_delete_key(f->b, &k);
	ph_write(f->e, f->b);
}

static void put_states(struct fx *f, struct rs_raft_state r, struct rs_apply_state a)
{
	uint8_t rv[RS_RAFT_STATE_LEN], av[RS_APPLY_STATE_LEN];
	rs_raft_state_encode(&r, rv);
	rs_apply_state_encode(&a, av);
	put_raw(f, eng_key_raft_state(RID), rv, sizeof rv);
	put_raw(f, eng_key_apply_state(RID), av, sizeof av);
}

START_TEST(test_corrupt_or_inconsistent_stored_state_is_refused_at_open)
{
	struct fx f;
	fx_init(&f, 16, 1 << 20);
	fx_append(&f, 6, 11, 6); /* log 6..10 term 6 */
	struct rs_raft_state r = {.hs = {.term = 6, .commit = 9}, .last_index = 10};
	struct rs_apply_state a = {.applied = 8, .truncated_index = 5, .truncated_term = 5};
	put_states(&f, r, a);
	fx_reopen(&f); /* the consistent state opens */

	put_raw(&f, eng_key_raft_state(RID), "garbage", 7);
	expect_open_refused(&f, "raft state has 7 bytes");
	put_states(&f, r, a);
	put_raw(&f, eng_key_region_state(RID), "\x01", 1);
	expect_open_refused(&f, "region state: truncated");
	struct rs_region_state rs;
	ph_region(&rs, RID + 1, 3, "", "");
	struct tk_buf v;
	tk_buf_init(&v);
	ck_assert(rs_region_state_encode(&rs, &v));
	put_raw(&f, eng_key_region_state(RID), v.data, v.len);
	expect_open_refused(&f, "names region 8");
	rs.region.id = RID;
	tk_buf_reset(&v);
	ck_assert(rs_region_state_encode(&rs, &v));
	put_raw(&f, eng_key_region_state(RID), v.data, v.len);
	fx_reopen(&f);

	struct rs_raft_state bad = r;
	bad.hs.commit = 11;
	put_states(&f, bad, a);
	expect_open_refused(&f, "commit index above last index");
	struct rs_apply_state bada = a;
	bada.applied = 10;
	put_states(&f, r, bada);
	expect_open_refused(&f, "applied index above commit index");
	bada = a;
	bada.truncated_index = 9;
	put_states(&f, r, bada);
	expect_open_refused(&f, "truncated index above applied index");
	bad = r;
	bad.last_index = 12;
	bad.hs.commit = 9;
	put_states(&f, bad, a);
	expect_open_refused(&f, "last log entry is not at the last index");
	bad.last_index = 9;
	put_states(&f, bad, a);
	expect_open_refused(&f, "last log entry is not at the last index");
	bad = r;
	bad.hs.term = 5; /* the last entry has term 6 */
	put_states(&f, bad, a);
	expect_open_refused(&f, "last entry's term");
	put_states(&f, r, a);
	fx_reopen(&f);

	/* An entry below the first index is a log GC cut short (pending,
	 * never read); a missing first entry is refused, also with one. */
	struct raft_entry e = {.term = 5, .index = 5};
	ck_assert(rs_entry_value_encode(&e, &v));
	put_raw(&f, eng_key_raft_log(RID, 5), v.data, v.len);
	fx_reopen(&f);
	ck_assert(rs_ps_gc_pending(f.ps));
	ck_assert_uint_eq(rs_ps_first_index(f.ps), 6);
	del_raw(&f, eng_key_raft_log(RID, 6));
	expect_open_refused(&f, "first log entry missing");
	del_raw(&f, eng_key_raft_log(RID, 5));
	expect_open_refused(&f, "first log entry missing");
	/* Records that cannot stand alone. */
	del_raw(&f, eng_key_apply_state(RID));
	expect_open_refused(&f, "initialized region without apply state");
	del_raw(&f, eng_key_raft_state(RID));
	expect_open_refused(&f, "initialized region without raft state");
	del_raw(&f, eng_key_region_state(RID));
	uint8_t av[RS_APPLY_STATE_LEN];
	rs_apply_state_encode(&a, av);
	put_raw(&f, eng_key_apply_state(RID), av, sizeof av);
	expect_open_refused(&f, "apply state without raft state");
	tk_buf_destroy(&v);
	rs_region_state_destroy(&rs);
	fx_destroy(&f);
}
END_TEST

START_TEST(test_a_damaged_entry_in_the_middle_is_reported_when_read)
{
	struct fx f;
	fx_init(&f, 0, 0); /* no cache: every read goes to disk */
	fx_append(&f, 6, 11, 6);
	put_raw(&f, eng_key_raft_log(RID, 8), "\x01\x00", 2);
	fx_reopen(&f);
	struct raft_entbuf out;
	raft_entbuf_init(&out);
	ck_assert_int_eq(f.st.ops->entries(f.st.ctx, 6, 11, SIZE_MAX, &out), TK_E_CORRUPTION);
	ck_assert_ptr_nonnull(strstr(rs_ps_last_error(f.ps), "log entry 8"));
	term_of(&f, 8, TK_E_CORRUPTION);
	del_raw(&f, eng_key_raft_log(RID, 8));
	raft_entbuf_reset(&out);
	ck_assert_int_eq(f.st.ops->entries(f.st.ctx, 6, 11, SIZE_MAX, &out), TK_E_CORRUPTION);
	ck_assert_ptr_nonnull(strstr(rs_ps_last_error(f.ps), "entry 8 is missing"));
	term_of(&f, 8, TK_E_CORRUPTION);
	raft_entbuf_destroy(&out);
	fx_destroy(&f);
}
END_TEST

/* Log GC in two writes: the compaction is applied (apply state only), the
 * entries deleted by a later batch; a restart in between loads fine and
 * still deletes them; nothing the live log needs is touched. */
START_TEST(test_log_gc_marks_truncated_first_and_deletes_the_entries_after_even_across_a_restart)
{
	struct fx f;
	fx_init(&f, 8, 1 << 20);
	fx_append(&f, 6, 26, 6);
	struct raft_hard_state hs = {.term = 6, .commit = 22};
	rs_ps_set_hard_state(f.ps, f.b, &hs);
	ck_assert_int_eq(rs_ps_set_applied(f.ps, f.b, 21, &f.eb), TK_OK);
	fx_commit(&f);
	ck_assert(!rs_ps_gc_pending(f.ps));
	ck_assert_int_eq(rs_ps_set_truncated(f.ps, f.b, 5, &f.eb), TK_E_COMPACTED);
	ck_assert_int_eq(rs_ps_set_truncated(f.ps, f.b, 23, &f.eb), TK_E_BAD_REQUEST);
	ck_assert_uint_eq(eng_batch_count(f.b), 0);
	/* Step one: the apply batch marks 6..12 compacted, deletes nothing. */
	ck_assert_int_eq(rs_ps_set_truncated(f.ps, f.b, 12, &f.eb), TK_OK);
	fx_commit(&f);
	ck_assert_uint_eq(rs_ps_first_index(f.ps), 13);
	ck_assert_uint_eq(term_of(&f, 12, TK_OK), 6);
	ck_assert(rs_ps_gc_pending(f.ps));
	ck_assert(on_disk(&f, 6) && on_disk(&f, 12));
	struct rs_ps_stats st;
	rs_ps_get_stats(f.ps, &st);
	ck_assert_uint_eq(st.gc_pending, 7);
	ck_assert_uint_eq(st.cache_first, 18); /* the cache leaves at once */
	/* A restart between the two steps. */
	fx_reopen(&f);
	ck_assert(rs_ps_gc_pending(f.ps));
	ck_assert_uint_eq(rs_ps_first_index(f.ps), 13);
	expect_entries(&f, 13, 26, 6);
	/* A second compaction joins the run still to delete. */
	hs.commit = 25;
	rs_ps_set_hard_state(f.ps, f.b, &hs);
	ck_assert_int_eq(rs_ps_set_truncated(f.ps, f.b, 15, &f.eb), TK_OK);
	fx_commit(&f);
	/* Step two, bounded: 4 deletes per call. */
	ck_assert_uint_eq(rs_ps_gc_log(f.ps, f.b, 4), 4);
	fx_commit(&f);
	ck_assert(!on_disk(&f, 9) && on_disk(&f, 10));
	ck_assert(rs_ps_gc_pending(f.ps));
	ck_assert_uint_eq(rs_ps_gc_log(f.ps, f.b, 4), 4);
	ck_assert_uint_eq(rs_ps_gc_log(f.ps, f.b, 4), 2); /* two calls, one batch */
	fx_commit(&f);
	ck_assert(!rs_ps_gc_pending(f.ps));
	ck_assert_uint_eq(rs_ps_gc_log(f.ps, f.b, 4), 0);
	for (raft_index i = 6; i <= 15; i++)
		ck_assert(!on_disk(&f, i));
	ck_assert(on_disk(&f, 16));
	fx_reopen(&f);
	ck_assert(!rs_ps_gc_pending(f.ps));
	expect_entries(&f, 16, 26, 6);
	fx_destroy(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("peer_storage");
	TCase *tc = tcase_create("storage");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_a_region_without_stored_state_opens_empty_and_uninitialized);
	tcase_add_test(tc, test_bootstrap_starts_the_log_at_index_five_with_the_region_voters);
	tcase_add_test(tc, test_staged_entries_stay_invisible_until_the_batch_is_persisted);
	tcase_add_test(tc, test_append_overwriting_a_suffix_deletes_the_conflicting_entries);
	tcase_add_test(tc, test_two_appends_in_one_batch_leave_the_later_one_in_log_and_cache);
	tcase_add_test(tc, test_append_refuses_a_gap_a_compacted_index_and_malformed_entries);
	tcase_add_test(tc, test_entries_are_served_across_disk_and_the_bounded_cache);
	tcase_add_test(tc, test_the_cache_byte_bound_evicts_the_oldest_entries);
	tcase_add_test(tc, test_the_cache_grows_wraps_and_truncates_as_the_log_does);
	tcase_add_test(tc, test_entries_stop_at_max_bytes_but_return_at_least_one);
	tcase_add_test(tc, test_compacted_and_unavailable_ranges_answer_as_raft_defines);
	tcase_add_test(tc, test_compaction_checks_its_bounds_and_trims_the_cache);
	tcase_add_test(
	    tc,
	    test_log_gc_marks_truncated_first_and_deletes_the_entries_after_even_across_a_restart);
	tcase_add_test(tc, test_hard_state_and_apply_state_survive_a_restart);
	tcase_add_test(tc, test_a_discarded_or_failed_batch_changes_nothing);
	tcase_add_test(tc, test_several_regions_stage_into_one_batch_written_with_one_sync);
	tcase_add_test(tc, test_applying_a_snapshot_replaces_log_states_and_region);
	tcase_add_test(tc,
	               test_a_new_region_state_shows_after_persisted_and_a_tombstone_still_opens);
	tcase_add_test(tc, test_corrupt_or_inconsistent_stored_state_is_refused_at_open);
	tcase_add_test(tc, test_a_damaged_entry_in_the_middle_is_reported_when_read);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
