/* Unit tests of the MVCC layer (mvcc.h): record encodings, point reads,
 * the write-record lookups and the scanner, over a real engine. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/keys.h"
#include "txn/mvcc.h"
#include "txn/test_support.h"

static bool read_eq(struct tk_slice key, uint64_t ts, struct tk_slice want)
{
	struct tk_buf v;
	tk_buf_init(&v);
	bool found = ts_read(key, ts, &v);
	bool ok = found && tk_slice_eq(tk_buf_slice(&v), want);
	tk_buf_destroy(&v);
	return ok;
}

static bool read_none(struct tk_slice key, uint64_t ts)
{
	struct tk_buf v;
	tk_buf_init(&v);
	bool found = ts_read(key, ts, &v);
	tk_buf_destroy(&v);
	return !found;
}

/* ---- records ---- */

START_TEST(test_lock_record_round_trips)
{
	struct mvcc_lock l = {.kind = MVCC_LOCK_DELETE, .start_ts = 0x0102030405060708ULL,
			      .ttl_ms = 3000, .min_commit_ts = 77, .primary = K(16, 0, 255)};
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert(mvcc_lock_encode(&l, &b));
	ck_assert_uint_eq(b.data[0], MVCC_LOCK_VERSION);
	struct mvcc_lock d;
	struct tk_errbuf eb;
	ck_assert_int_eq(mvcc_lock_decode(tk_buf_slice(&b), &d, &eb), TK_OK);
	ck_assert_int_eq(d.kind, l.kind);
	ck_assert_uint_eq(d.start_ts, l.start_ts);
	ck_assert_uint_eq(d.ttl_ms, 3000);
	ck_assert_uint_eq(d.min_commit_ts, 77);
	ck_assert(tk_slice_eq(d.primary, l.primary));
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_lock_record_with_empty_primary_round_trips)
{
	struct mvcc_lock l = {.kind = MVCC_LOCK_LOCK, .start_ts = 5, .primary = tk_slice_of("", 0)};
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert(mvcc_lock_encode(&l, &b));
	struct mvcc_lock d;
	struct tk_errbuf eb;
	ck_assert_int_eq(mvcc_lock_decode(tk_buf_slice(&b), &d, &eb), TK_OK);
	ck_assert_uint_eq(d.primary.n, 0);
	ck_assert_int_eq(d.kind, MVCC_LOCK_LOCK);
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_lock_record_decoding_rejects_every_malformed_input)
{
	struct mvcc_lock l = {.kind = MVCC_LOCK_PUT, .start_ts = 9, .ttl_ms = 1, .primary = K(1, 2)};
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert(mvcc_lock_encode(&l, &b));
	struct mvcc_lock d;
	struct tk_errbuf eb;
	/* Every truncation fails cleanly. */
	for (size_t n = 0; n < b.len; n++)
		ck_assert_int_eq(mvcc_lock_decode(tk_slice_of(b.data, n), &d, &eb),
				 TK_E_CORRUPTION);
	/* A trailing byte, an unknown version, an unknown kind. */
	uint8_t buf[64];
	memcpy(buf, b.data, b.len);
	buf[b.len] = 0;
	ck_assert_int_eq(mvcc_lock_decode(tk_slice_of(buf, b.len + 1), &d, &eb), TK_E_CORRUPTION);
	buf[0] = 2;
	ck_assert_int_eq(mvcc_lock_decode(tk_slice_of(buf, b.len), &d, &eb), TK_E_CORRUPTION);
	buf[0] = MVCC_LOCK_VERSION;
	buf[1] = 0;
	ck_assert_int_eq(mvcc_lock_decode(tk_slice_of(buf, b.len), &d, &eb), TK_E_CORRUPTION);
	buf[1] = 4;
	ck_assert_int_eq(mvcc_lock_decode(tk_slice_of(buf, b.len), &d, &eb), TK_E_CORRUPTION);
	/* A primary length pointing past the end. */
	buf[1] = MVCC_LOCK_PUT;
	buf[29] = 200;
	ck_assert_int_eq(mvcc_lock_decode(tk_slice_of(buf, b.len), &d, &eb), TK_E_CORRUPTION);
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_write_record_round_trips_every_kind)
{
	for (int k = MVCC_WRITE_PUT; k <= MVCC_WRITE_LOCK; k++) {
		for (int f = 0; f < 2; f++) {
			struct mvcc_write w = {.kind = (enum mvcc_write_kind)k,
					       .start_ts = 0xfedcba9876543210ULL,
					       .overlapped_rollback = f};
			struct tk_buf b;
			tk_buf_init(&b);
			ck_assert(mvcc_write_encode(&w, &b));
			ck_assert_uint_eq(b.len, MVCC_WRITE_RECORD_LEN);
			struct mvcc_write d;
			struct tk_errbuf eb;
			ck_assert_int_eq(mvcc_write_decode(tk_buf_slice(&b), &d, &eb), TK_OK);
			ck_assert_int_eq(d.kind, k);
			ck_assert_uint_eq(d.start_ts, w.start_ts);
			ck_assert_int_eq(d.overlapped_rollback, f);
			tk_buf_destroy(&b);
		}
	}
}
END_TEST

START_TEST(test_write_record_decoding_rejects_every_malformed_input)
{
	struct mvcc_write w = {.kind = MVCC_WRITE_PUT, .start_ts = 1};
	struct tk_buf b;
	tk_buf_init(&b);
	ck_assert(mvcc_write_encode(&w, &b));
	struct mvcc_write d;
	struct tk_errbuf eb;
	for (size_t n = 0; n < b.len; n++)
		ck_assert_int_eq(mvcc_write_decode(tk_slice_of(b.data, n), &d, &eb),
				 TK_E_CORRUPTION);
	uint8_t buf[16];
	memcpy(buf, b.data, b.len);
	buf[b.len] = 0;
	ck_assert_int_eq(mvcc_write_decode(tk_slice_of(buf, b.len + 1), &d, &eb), TK_E_CORRUPTION);
	buf[0] = 9;
	ck_assert_int_eq(mvcc_write_decode(tk_slice_of(buf, b.len), &d, &eb), TK_E_CORRUPTION);
	buf[0] = MVCC_WRITE_VERSION;
	buf[1] = 5;
	ck_assert_int_eq(mvcc_write_decode(tk_slice_of(buf, b.len), &d, &eb), TK_E_CORRUPTION);
	buf[1] = MVCC_WRITE_PUT;
	buf[2] = 0x80;
	ck_assert_int_eq(mvcc_write_decode(tk_slice_of(buf, b.len), &d, &eb), TK_E_CORRUPTION);
	tk_buf_destroy(&b);
}
END_TEST

START_TEST(test_timestamp_physical_part_is_the_high_bits)
{
	uint64_t ts = mvcc_ts_compose(1000, 5);
	ck_assert_uint_eq(ts, (1000ULL << 18) | 5);
	ck_assert_uint_eq(mvcc_ts_physical_ms(ts), 1000);
}
END_TEST

/* ---- point reads ---- */

static void single_entry(void)
{
	ts_put_committed(K(16, 240), 40, 42, K(1, 2, 3));
}

static void two_entries(void)
{
	single_entry();
	ts_put_committed(K(16, 240), 50, 52, K(255, 0, 255));
}

static void deleted_entry(void)
{
	single_entry();
	ts_put_write(K(16, 240), 52, MVCC_WRITE_DELETE, 50);
}

START_TEST(test_get_value_returns_the_committed_value)
{
	single_entry();
	ck_assert(read_eq(K(16, 240), 43, K(1, 2, 3)));
	ck_assert(read_eq(K(16, 240), 42, K(1, 2, 3))); /* commit_ts itself is visible */
}
END_TEST

START_TEST(test_get_value_of_a_missing_key_is_absent)
{
	single_entry();
	ck_assert(read_none(K(16, 241), 43));
	ck_assert(read_none(K(16), 43)); /* a prefix is another key */
	ck_assert(read_none(K(16, 240, 0), 43));
}
END_TEST

START_TEST(test_get_value_before_the_commit_is_absent)
{
	single_entry();
	ck_assert(read_none(K(16, 240), 41));
	ck_assert(read_none(K(16, 240), 40)); /* start_ts is not commit_ts */
}
END_TEST

START_TEST(test_get_value_sees_the_newest_version_at_or_below_ts)
{
	two_entries();
	ck_assert(read_eq(K(16, 240), 52, K(255, 0, 255)));
	ck_assert(read_eq(K(16, 240), 51, K(1, 2, 3)));
	ck_assert(read_eq(K(16, 240), 50, K(1, 2, 3)));
	ck_assert(read_eq(K(16, 240), MVCC_TS_MAX, K(255, 0, 255)));
}
END_TEST

START_TEST(test_get_value_after_a_delete_is_absent_and_before_it_present)
{
	deleted_entry();
	ck_assert(read_none(K(16, 240), 500));
	ck_assert(read_eq(K(16, 240), 45, K(1, 2, 3)));
}
END_TEST

START_TEST(test_get_value_skips_rollback_and_lock_records)
{
	single_entry();
	ts_put_write(K(16, 240), 60, MVCC_WRITE_ROLLBACK, 60);
	ts_put_write(K(16, 240), 65, MVCC_WRITE_LOCK, 62);
	ck_assert(read_eq(K(16, 240), 100, K(1, 2, 3)));
}
END_TEST

START_TEST(test_get_value_ignores_locks)
{
	single_entry();
	ts_put_lock(K(16, 240), K(16, 240), 45, 10, MVCC_LOCK_PUT);
	ts_put_value(K(16, 240), 45, K(9));
	ck_assert(read_eq(K(16, 240), 100, K(1, 2, 3)));
}
END_TEST

START_TEST(test_get_value_reports_a_missing_default_value_as_corruption)
{
	ts_put_write(K(7), 20, MVCC_WRITE_PUT, 10);
	struct tk_buf v;
	tk_buf_init(&v);
	bool found;
	ck_assert_int_eq(mvcc_get_value(&E->view, K(7), 30, &v, &found, &E->eb), TK_E_CORRUPTION);
	tk_buf_destroy(&v);
}
END_TEST

START_TEST(test_get_value_reports_a_garbled_write_record_as_corruption)
{
	struct tk_buf k, v;
	tk_buf_init(&k);
	tk_buf_init(&v);
	ts_put_committed(K(7), 10, 20, K(1));
	/* Overwrite the record with garbage. */
	ck_assert(eng_mvcc_key(&k, K(7), 20));
	ts_put_raw(ENG_CF_WRITE, tk_buf_slice(&k), K(1, 2, 3));
	bool found;
	ck_assert_int_eq(mvcc_get_value(&E->view, K(7), 30, &v, &found, &E->eb), TK_E_CORRUPTION);
	tk_buf_destroy(&k);
	tk_buf_destroy(&v);
}
END_TEST

START_TEST(test_get_value_through_a_snapshot_ignores_later_writes)
{
	single_entry();
	struct eng_snap *snap = eng_snapshot(E->eng);
	ts_put_committed(K(16, 240), 50, 52, K(9));
	struct mvcc_view sv = {E->eng, snap};
	struct tk_buf v;
	tk_buf_init(&v);
	bool found;
	ck_assert_int_eq(mvcc_get_value(&sv, K(16, 240), 100, &v, &found, &E->eb), TK_OK);
	ck_assert(found && tk_slice_eq(tk_buf_slice(&v), K(1, 2, 3)));
	tk_buf_destroy(&v);
	eng_snap_release(E->eng, snap);
	ck_assert(read_eq(K(16, 240), 100, K(9)));
}
END_TEST

START_TEST(test_get_lock_returns_the_stored_lock_or_nothing)
{
	struct mvcc_lock l;
	ck_assert(!ts_get_lock(K(1), &l));
	ts_put_lock(K(1), K(16), 100, 100000, MVCC_LOCK_DELETE);
	ck_assert(ts_get_lock(K(1), &l));
	ck_assert_int_eq(l.kind, MVCC_LOCK_DELETE);
	ck_assert_uint_eq(l.start_ts, 100);
	ck_assert_uint_eq(l.ttl_ms, 100000);
	ck_assert(tk_slice_eq(l.primary, K(16)));
	ck_assert(!ts_get_lock(K(1, 0), &l));
}
END_TEST

START_TEST(test_get_lock_reports_a_garbled_lock_as_corruption)
{
	struct tk_buf k, raw;
	tk_buf_init(&k);
	tk_buf_init(&raw);
	ck_assert(eng_mc_encode(&k, K(1)));
	ts_put_raw(ENG_CF_LOCK, tk_buf_slice(&k), K(1, 1, 0));
	struct mvcc_lock l;
	bool found;
	ck_assert_int_eq(mvcc_get_lock(&E->view, K(1), &raw, &l, &found, &E->eb), TK_E_CORRUPTION);
	/* The scanner meets it too. */
	struct mvcc_scanner *s;
	ck_assert_int_eq(mvcc_scanner_new(&E->view, K(0), tk_slice_of(NULL, 0), 10, false, true, &s,
					  &E->eb),
			 TK_OK);
	struct mvcc_scan_entry e;
	bool done;
	ck_assert_int_eq(mvcc_scanner_next(s, &e, &done, &E->eb), TK_E_CORRUPTION);
	mvcc_scanner_free(s);
	tk_buf_destroy(&k);
	tk_buf_destroy(&raw);
}
END_TEST

START_TEST(test_scanner_reports_a_garbled_write_key_as_corruption)
{
	/* 5 bytes cannot be a memcomparable key plus a timestamp. */
	ts_put_raw(ENG_CF_WRITE, K(1, 2, 3, 4, 5), K(0));
	struct mvcc_scanner *s;
	ck_assert_int_eq(mvcc_scanner_new(&E->view, tk_slice_of("", 0), tk_slice_of(NULL, 0), 10,
					  false, false, &s, &E->eb),
			 TK_OK);
	struct mvcc_scan_entry e;
	bool done;
	ck_assert_int_eq(mvcc_scanner_next(s, &e, &done, &E->eb), TK_E_CORRUPTION);
	mvcc_scanner_free(s);
}
END_TEST

/* ---- write lookups ---- */

START_TEST(test_txn_write_finds_the_record_of_a_start_ts)
{
	two_entries();
	struct mvcc_write w;
	uint64_t cts = 0;
	bool found;
	ck_assert_int_eq(mvcc_txn_write(&E->view, K(16, 240), 50, &w, &cts, &found, &E->eb), TK_OK);
	ck_assert(found);
	ck_assert_uint_eq(w.start_ts, 50);
	ck_assert_int_eq(w.kind, MVCC_WRITE_PUT);
	ck_assert_uint_eq(cts, 52);
	ck_assert_int_eq(mvcc_txn_write(&E->view, K(16, 240), 40, &w, &cts, &found, &E->eb), TK_OK);
	ck_assert(found);
	ck_assert_uint_eq(cts, 42);
	ck_assert_int_eq(mvcc_txn_write(&E->view, K(16, 240), 41, &w, &cts, &found, &E->eb), TK_OK);
	ck_assert(!found);
}
END_TEST

START_TEST(test_txn_write_finds_a_rollback_record)
{
	ts_put_write(K(3), 70, MVCC_WRITE_ROLLBACK, 70);
	struct mvcc_write w;
	uint64_t cts;
	bool found;
	ck_assert_int_eq(mvcc_txn_write(&E->view, K(3), 70, &w, &cts, &found, &E->eb), TK_OK);
	ck_assert(found);
	ck_assert_int_eq(w.kind, MVCC_WRITE_ROLLBACK);
}
END_TEST

START_TEST(test_txn_write_reports_an_overlapped_rollback_as_rollback)
{
	struct eng_batch *b = eng_batch_new();
	struct mvcc_write ow = {.kind = MVCC_WRITE_PUT, .start_ts = 60, .overlapped_rollback = true};
	ck_assert_int_eq(mvcc_put_write(b, K(3), 70, &ow), TK_OK);
	ck_assert_int_eq(eng_write(E->eng, b, false, &E->eb), TK_OK);
	eng_batch_free(b);
	struct mvcc_write w;
	uint64_t cts;
	bool found;
	ck_assert_int_eq(mvcc_txn_write(&E->view, K(3), 70, &w, &cts, &found, &E->eb), TK_OK);
	ck_assert(found);
	ck_assert_int_eq(w.kind, MVCC_WRITE_ROLLBACK);
	/* The commit of txn 60 is still found as a commit. */
	ck_assert_int_eq(mvcc_txn_write(&E->view, K(3), 60, &w, &cts, &found, &E->eb), TK_OK);
	ck_assert(found);
	ck_assert_int_eq(w.kind, MVCC_WRITE_PUT);
}
END_TEST

START_TEST(test_latest_write_is_the_newest_of_any_kind_whatever_the_ts)
{
	struct mvcc_write w;
	uint64_t cts;
	bool found = true;
	ck_assert_int_eq(mvcc_latest_write(&E->view, K(16, 240), &w, &cts, &found, &E->eb), TK_OK);
	ck_assert(!found);
	two_entries();
	ck_assert_int_eq(mvcc_latest_write(&E->view, K(16, 240), &w, &cts, &found, &E->eb), TK_OK);
	ck_assert(found);
	ck_assert_uint_eq(w.start_ts, 50);
	ck_assert_uint_eq(cts, 52);
	ck_assert_int_eq(mvcc_latest_write(&E->view, K(16), &w, &cts, &found, &E->eb), TK_OK);
	ck_assert(!found);
	ts_put_write(K(16, 240), 90, MVCC_WRITE_ROLLBACK, 90);
	ck_assert_int_eq(mvcc_latest_write(&E->view, K(16, 240), &w, &cts, &found, &E->eb), TK_OK);
	ck_assert_int_eq(w.kind, MVCC_WRITE_ROLLBACK);
	ck_assert_uint_eq(cts, 90);
}
END_TEST

START_TEST(test_latest_write_of_a_deleted_key_is_the_delete)
{
	deleted_entry();
	struct mvcc_write w;
	uint64_t cts;
	bool found;
	ck_assert_int_eq(mvcc_latest_write(&E->view, K(16, 240), &w, &cts, &found, &E->eb), TK_OK);
	ck_assert(found);
	ck_assert_int_eq(w.kind, MVCC_WRITE_DELETE);
	ck_assert_uint_eq(cts, 52);
}
END_TEST

START_TEST(test_batch_writers_stage_nothing_until_applied)
{
	struct eng_batch *b = eng_batch_new();
	struct mvcc_lock l = {.kind = MVCC_LOCK_PUT, .start_ts = 5, .primary = K(1)};
	ck_assert_int_eq(mvcc_put_lock(b, K(1), &l), TK_OK);
	ck_assert_int_eq(mvcc_put_value(b, K(1), 5, K(42)), TK_OK);
	ts_assert_lens(0, 0, 0);
	ck_assert_int_eq(eng_write(E->eng, b, false, &E->eb), TK_OK);
	ts_assert_lens(1, 1, 0);
	eng_batch_clear(b);
	ck_assert_int_eq(mvcc_del_lock(b, K(1)), TK_OK);
	ck_assert_int_eq(mvcc_del_value(b, K(1), 5), TK_OK);
	ck_assert_int_eq(eng_write(E->eng, b, false, &E->eb), TK_OK);
	ts_assert_lens(0, 0, 0);
	eng_batch_free(b);
}
END_TEST

/* ---- scanner ---- */

struct got {
	size_t n;
	struct {
		uint8_t key[32];
		size_t kn;
		uint8_t val[16];
		size_t vn;
		bool locked;
		uint64_t lock_ts;
	} e[64];
};

static void scan_all(struct tk_slice start, struct tk_slice end, uint64_t ts, bool key_only,
		     bool check_locks, struct got *g)
{
	struct mvcc_scanner *s = NULL;
	memset(g, 0, sizeof(*g));
	ck_assert_int_eq(mvcc_scanner_new(&E->view, start, end, ts, key_only, check_locks, &s,
					  &E->eb),
			 TK_OK);
	for (;;) {
		struct mvcc_scan_entry e;
		bool done;
		enum tk_err rc = mvcc_scanner_next(s, &e, &done, &E->eb);
		ck_assert_msg(rc == TK_OK, "scan: %s", E->eb.msg);
		if (done)
			break;
		ck_assert_uint_lt(g->n, 64);
		ck_assert_uint_le(e.key.n, sizeof(g->e[0].key));
		ck_assert_uint_le(e.value.n, sizeof(g->e[0].val));
		memcpy(g->e[g->n].key, e.key.p, e.key.n);
		g->e[g->n].kn = e.key.n;
		if (e.value.n)
			memcpy(g->e[g->n].val, e.value.p, e.value.n);
		g->e[g->n].vn = e.value.n;
		g->e[g->n].locked = e.locked;
		g->e[g->n].lock_ts = e.locked ? e.lock.start_ts : 0;
		g->n++;
	}
	mvcc_scanner_free(s);
}

static bool got_key(const struct got *g, size_t i, struct tk_slice k)
{
	return i < g->n && tk_slice_eq(tk_slice_of(g->e[i].key, g->e[i].kn), k);
}

static bool got_val(const struct got *g, size_t i, struct tk_slice v)
{
	return i < g->n && tk_slice_eq(tk_slice_of(g->e[i].val, g->e[i].vn), v);
}

START_TEST(test_scanner_yields_visible_values_in_key_order)
{
	ts_put_committed(K(3), 10, 11, K(30));
	ts_put_committed(K(1), 10, 11, K(10));
	ts_put_committed(K(2), 10, 11, K(20));
	ts_put_committed(K(2), 20, 21, K(21));
	ts_put_committed(K(1, 0), 10, 11, K(15)); /* between 1 and 2 */
	struct got g;
	scan_all(K(0), tk_slice_of(NULL, 0), 15, false, true, &g);
	ck_assert_uint_eq(g.n, 4);
	ck_assert(got_key(&g, 0, K(1)) && got_val(&g, 0, K(10)));
	ck_assert(got_key(&g, 1, K(1, 0)) && got_val(&g, 1, K(15)));
	ck_assert(got_key(&g, 2, K(2)) && got_val(&g, 2, K(20)));
	ck_assert(got_key(&g, 3, K(3)) && got_val(&g, 3, K(30)));
	scan_all(K(0), tk_slice_of(NULL, 0), 100, false, true, &g);
	ck_assert(got_key(&g, 2, K(2)) && got_val(&g, 2, K(21)));
}
END_TEST

START_TEST(test_scanner_respects_the_range_bounds)
{
	for (uint8_t i = 1; i <= 9; i++)
		ts_put_committed(K(i), 10, 11, K(i));
	ts_put_committed(K(4, 4), 10, 11, K(44));
	struct got g;
	scan_all(K(4), K(7), 20, false, true, &g);
	ck_assert_uint_eq(g.n, 4);
	ck_assert(got_key(&g, 0, K(4)));
	ck_assert(got_key(&g, 1, K(4, 4)));
	ck_assert(got_key(&g, 3, K(6)));
	scan_all(K(4, 4), K(5), 20, false, true, &g);
	ck_assert_uint_eq(g.n, 1);
	scan_all(K(10), tk_slice_of(NULL, 0), 20, false, true, &g);
	ck_assert_uint_eq(g.n, 0);
}
END_TEST

START_TEST(test_scanner_skips_deleted_rolled_back_and_future_keys)
{
	ts_put_committed(K(1), 10, 11, K(1));
	ts_put_write(K(1), 15, MVCC_WRITE_DELETE, 14);         /* deleted */
	ts_put_write(K(2), 12, MVCC_WRITE_ROLLBACK, 12);       /* only a rollback */
	ts_put_committed(K(3), 30, 31, K(3));                  /* after ts */
	ts_put_committed(K(4), 10, 11, K(4));
	ts_put_write(K(4), 13, MVCC_WRITE_LOCK, 12);           /* lock record on top */
	struct got g;
	scan_all(K(0), tk_slice_of(NULL, 0), 20, false, true, &g);
	ck_assert_uint_eq(g.n, 1);
	ck_assert(got_key(&g, 0, K(4)) && got_val(&g, 0, K(4)));
}
END_TEST

START_TEST(test_scanner_reports_blocking_locks_once_per_key)
{
	ts_put_committed(K(1), 10, 11, K(1));
	ts_put_lock(K(1), K(1), 15, 100, MVCC_LOCK_PUT);   /* blocks at 20 */
	ts_put_lock(K(2), K(1), 15, 100, MVCC_LOCK_DELETE); /* no write at all */
	ts_put_committed(K(3), 10, 11, K(3));
	ts_put_lock(K(3), K(1), 25, 100, MVCC_LOCK_PUT);   /* newer than the reader */
	ts_put_committed(K(4), 10, 11, K(4));
	ts_put_lock(K(4), K(1), 15, 100, MVCC_LOCK_LOCK);  /* read lock: no block */
	struct got g;
	scan_all(K(0), tk_slice_of(NULL, 0), 20, false, true, &g);
	ck_assert_uint_eq(g.n, 4);
	ck_assert(got_key(&g, 0, K(1)) && g.e[0].locked && g.e[0].lock_ts == 15);
	ck_assert(got_key(&g, 1, K(2)) && g.e[1].locked);
	ck_assert(got_key(&g, 2, K(3)) && !g.e[2].locked && got_val(&g, 2, K(3)));
	ck_assert(got_key(&g, 3, K(4)) && !g.e[3].locked);
	/* Without lock checks the locks are invisible. */
	scan_all(K(0), tk_slice_of(NULL, 0), 20, false, false, &g);
	ck_assert_uint_eq(g.n, 3);
}
END_TEST

START_TEST(test_scanner_key_only_returns_no_values)
{
	ts_put_committed(K(1), 10, 11, K(1, 1));
	struct got g;
	scan_all(K(0), tk_slice_of(NULL, 0), 20, true, true, &g);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(g.e[0].vn, 0);
}
END_TEST

START_TEST(test_scanner_handles_long_keys_spanning_encoding_groups)
{
	const char *a = "user-key-0000000001", *b = "user-key-0000000001-x", *c = "user-key-0000000002";
	ts_put_committed(S(b), 10, 11, S("B"));
	ts_put_committed(S(a), 10, 11, S("A"));
	ts_put_committed(S(c), 10, 11, S("C"));
	ts_put_committed(S(a), 12, 13, S("A2"));
	struct got g;
	scan_all(S("user"), tk_slice_of(NULL, 0), 100, false, true, &g);
	ck_assert_uint_eq(g.n, 3);
	ck_assert(got_key(&g, 0, S(a)) && got_val(&g, 0, S("A2")));
	ck_assert(got_key(&g, 1, S(b)) && got_val(&g, 1, S("B")));
	ck_assert(got_key(&g, 2, S(c)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mvcc");
	TCase *rec = tcase_create("records");
	tcase_add_test(rec, test_lock_record_round_trips);
	tcase_add_test(rec, test_lock_record_with_empty_primary_round_trips);
	tcase_add_test(rec, test_lock_record_decoding_rejects_every_malformed_input);
	tcase_add_test(rec, test_write_record_round_trips_every_kind);
	tcase_add_test(rec, test_write_record_decoding_rejects_every_malformed_input);
	tcase_add_test(rec, test_timestamp_physical_part_is_the_high_bits);
	suite_add_tcase(s, rec);

	TCase *tc = tcase_create("engine");
	tcase_add_checked_fixture(tc, ts_setup, ts_teardown);
	tcase_add_test(tc, test_get_value_returns_the_committed_value);
	tcase_add_test(tc, test_get_value_of_a_missing_key_is_absent);
	tcase_add_test(tc, test_get_value_before_the_commit_is_absent);
	tcase_add_test(tc, test_get_value_sees_the_newest_version_at_or_below_ts);
	tcase_add_test(tc, test_get_value_after_a_delete_is_absent_and_before_it_present);
	tcase_add_test(tc, test_get_value_skips_rollback_and_lock_records);
	tcase_add_test(tc, test_get_value_ignores_locks);
	tcase_add_test(tc, test_get_value_reports_a_missing_default_value_as_corruption);
	tcase_add_test(tc, test_get_value_reports_a_garbled_write_record_as_corruption);
	tcase_add_test(tc, test_get_value_through_a_snapshot_ignores_later_writes);
	tcase_add_test(tc, test_get_lock_returns_the_stored_lock_or_nothing);
	tcase_add_test(tc, test_get_lock_reports_a_garbled_lock_as_corruption);
	tcase_add_test(tc, test_scanner_reports_a_garbled_write_key_as_corruption);
	tcase_add_test(tc, test_txn_write_finds_the_record_of_a_start_ts);
	tcase_add_test(tc, test_txn_write_finds_a_rollback_record);
	tcase_add_test(tc, test_txn_write_reports_an_overlapped_rollback_as_rollback);
	tcase_add_test(tc, test_latest_write_is_the_newest_of_any_kind_whatever_the_ts);
	tcase_add_test(tc, test_latest_write_of_a_deleted_key_is_the_delete);
	tcase_add_test(tc, test_batch_writers_stage_nothing_until_applied);
	tcase_add_test(tc, test_scanner_yields_visible_values_in_key_order);
	tcase_add_test(tc, test_scanner_respects_the_range_bounds);
	tcase_add_test(tc, test_scanner_skips_deleted_rolled_back_and_future_keys);
	tcase_add_test(tc, test_scanner_reports_blocking_locks_once_per_key);
	tcase_add_test(tc, test_scanner_key_only_returns_no_values);
	tcase_add_test(tc, test_scanner_handles_long_keys_spanning_encoding_groups);
	suite_add_tcase(s, tc);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
