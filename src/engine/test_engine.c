#include "engine/test_helpers.h"

#include <signal.h>
#include <sys/wait.h>

#include "engine/datadir.h"
#include "engine/ident.h"

static char *dir;
static struct eng *e;

static void setup(void)
{
	dir = th_tmpdir();
	e = th_open(dir, NULL);
}

static void teardown(void)
{
	eng_close(e);
	e = NULL;
	th_rmrf(dir);
	dir = NULL;
}

/* A fresh path inside the fixture's dir (removed with it, even when a test
 * fails half-way and its own cleanup does not run). */
static char *subdir(const char *name)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	char *d = strdup(p);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(mkdir(d, 0755), 0);
	return d;
}

static struct tk_slice none(void)
{
	return tk_slice_of(NULL, 0);
}

/* Collect an iterator's keys, forward or backward, as "k1,k2,...". */
static const char *walk(struct eng_iter *it, bool forward)
{
	static char out[4096];
	size_t n = 0;
	bool first = true;
	out[0] = '\0';
	if (forward)
		eng_iter_seek_first(it);
	else
		eng_iter_seek_last(it);
	for (; eng_iter_valid(it); forward ? eng_iter_next(it) : eng_iter_prev(it)) {
		struct tk_slice k = eng_iter_key(it);
		ck_assert_uint_lt(n + k.n + 2, sizeof out);
		if (!first)
			out[n++] = ',';
		first = false;
		memcpy(out + n, k.p, k.n);
		n += k.n;
		out[n] = '\0';
	}
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_iter_status(it, &eb), TK_OK);
	return out;
}

static const char *scan(enum eng_cf cf, struct tk_slice lo, struct tk_slice hi, bool forward)
{
	struct eng_iter *it = eng_iter_new(e, NULL, cf, lo, hi);
	ck_assert_ptr_nonnull(it);
	const char *r = walk(it, forward);
	eng_iter_free(it);
	return r;
}

START_TEST(test_columns_keep_the_same_key_apart)
{
	for (int cf = ENG_CF_FIRST; cf <= ENG_CF_LAST; cf++) {
		char v[16];
		snprintf(v, sizeof v, "v%d", cf);
		th_put(e, (enum eng_cf)cf, "k", v);
	}
	for (int cf = ENG_CF_FIRST; cf <= ENG_CF_LAST; cf++) {
		char v[16];
		snprintf(v, sizeof v, "v%d", cf);
		ck_assert_str_eq(th_get(e, (enum eng_cf)cf, "k"), v);
	}
	struct eng_batch *b = eng_batch_new();
	eng_batch_delete(b, ENG_CF_LOCK, th_s("k"));
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_write(e, b, false, &eb), TK_OK);
	eng_batch_free(b);
	ck_assert_ptr_null(th_get(e, ENG_CF_LOCK, "k"));
	ck_assert_str_eq(th_get(e, ENG_CF_WRITE, "k"), "v5");
	ck_assert_str_eq(th_get(e, ENG_CF_DEFAULT, "k"), "v3");
	ck_assert_str_eq(eng_cf_name(ENG_CF_RAW), "raw");
	/* a put to a column that does not exist spoils the batch until clear */
	b = eng_batch_new();
	eng_batch_put(b, (enum eng_cf)0x07, th_s("k"), th_s("x"));
	eng_batch_put(b, ENG_CF_RAW, th_s("k"), th_s("x"));
	ck_assert_int_eq(eng_write(e, b, false, &eb), TK_E_INTERNAL);
	ck_assert_str_eq(th_get(e, ENG_CF_RAW, "k"), "v2");
	eng_batch_clear(b);
	eng_batch_put(b, ENG_CF_RAW, th_s("k"), th_s("x"));
	ck_assert_int_eq(eng_write(e, b, false, &eb), TK_OK);
	ck_assert_str_eq(th_get(e, ENG_CF_RAW, "k"), "x");
	eng_batch_free(b);
	bool found;
	struct tk_buf v;
	tk_buf_init(&v);
	ck_assert_int_eq(eng_get(e, (enum eng_cf)0, th_s("k"), &v, &found, &eb), TK_E_INTERNAL);
	tk_buf_destroy(&v);
}
END_TEST

START_TEST(test_iterator_never_leaves_its_column_at_the_boundaries)
{
	/* Keys at both edges of each neighbouring column: the empty key and
	 * 0xFF bytes, which as LevelDB keys sit right next to the prefixes. */
	th_put(e, ENG_CF_META, "\xff\xff", "m");
	th_put(e, ENG_CF_META, "", "m");
	th_put(e, ENG_CF_RAW, "", "r0");
	th_put(e, ENG_CF_RAW, "b", "r1");
	th_put(e, ENG_CF_RAW, "\xff", "r2");
	th_put(e, ENG_CF_DEFAULT, "", "d");
	th_put(e, ENG_CF_DEFAULT, "a", "d");
	ck_assert_str_eq(scan(ENG_CF_RAW, none(), none(), true), ",b,\xff");
	ck_assert_str_eq(scan(ENG_CF_RAW, none(), none(), false), "\xff,b,");
	/* empty (non-NULL) lower bound is the column start */
	ck_assert_str_eq(scan(ENG_CF_RAW, tk_slice_of("", 0), none(), true), ",b,\xff");
	/* empty upper bound is an empty range */
	ck_assert_str_eq(scan(ENG_CF_RAW, none(), tk_slice_of("", 0), true), "");
	ck_assert_str_eq(scan(ENG_CF_RAW, none(), tk_slice_of("", 0), false), "");
	/* the last column and an empty one */
	ck_assert_str_eq(scan(ENG_CF_RAFT, none(), none(), true), "");
	ck_assert_str_eq(scan(ENG_CF_RAFT, none(), none(), false), "");
	ck_assert_str_eq(scan(ENG_CF_LOCK, none(), none(), false), "");
	ck_assert_str_eq(scan(ENG_CF_META, none(), none(), false), "\xff\xff,");
	/* seeks past the column's end stay inside it */
	struct eng_iter *it = eng_iter_new(e, NULL, ENG_CF_RAW, none(), none());
	eng_iter_seek(it, th_s("\xff\xff"));
	ck_assert(!eng_iter_valid(it));
	eng_iter_seek_for_prev(it, th_s("\xff\xff\xff"));
	ck_assert(eng_iter_valid(it));
	ck_assert(tk_slice_eq(eng_iter_key(it), th_s("\xff")));
	ck_assert(tk_slice_eq(eng_iter_value(it), th_s("r2")));
	eng_iter_next(it);
	ck_assert(!eng_iter_valid(it));
	eng_iter_seek_for_prev(it, tk_slice_of("", 0));
	ck_assert(eng_iter_valid(it));
	ck_assert_uint_eq(eng_iter_key(it).n, 0);
	eng_iter_prev(it);
	ck_assert(!eng_iter_valid(it));
	eng_iter_free(it);
}
END_TEST

START_TEST(test_iterator_bounds_clamp_seeks_and_reverse_iteration)
{
	const char *keys[] = {"a", "b", "c", "d", "e", "f"};
	for (int i = 0; i < 6; i++)
		th_put(e, ENG_CF_WRITE, keys[i], keys[i]);
	ck_assert_str_eq(scan(ENG_CF_WRITE, th_s("b"), th_s("e"), true), "b,c,d");
	ck_assert_str_eq(scan(ENG_CF_WRITE, th_s("b"), th_s("e"), false), "d,c,b");
	ck_assert_str_eq(scan(ENG_CF_WRITE, th_s("bb"), th_s("dd"), false), "d,c");
	ck_assert_str_eq(scan(ENG_CF_WRITE, th_s("c"), th_s("c"), true), "");

	struct eng_iter *it = eng_iter_new(e, NULL, ENG_CF_WRITE, th_s("b"), th_s("e"));
	eng_iter_seek(it, th_s("a")); /* below lower: clamps to it */
	ck_assert(tk_slice_eq(eng_iter_key(it), th_s("b")));
	eng_iter_prev(it); /* "a" exists but is out of range */
	ck_assert(!eng_iter_valid(it));
	eng_iter_seek(it, th_s("cc"));
	ck_assert(tk_slice_eq(eng_iter_key(it), th_s("d")));
	eng_iter_next(it); /* "e" is the exclusive upper bound */
	ck_assert(!eng_iter_valid(it));
	eng_iter_seek(it, th_s("e"));
	ck_assert(!eng_iter_valid(it));
	eng_iter_seek_for_prev(it, th_s("z")); /* above upper: the last in range */
	ck_assert(tk_slice_eq(eng_iter_key(it), th_s("d")));
	eng_iter_seek_for_prev(it, th_s("c"));
	ck_assert(tk_slice_eq(eng_iter_key(it), th_s("c")));
	eng_iter_seek_for_prev(it, th_s("cc"));
	ck_assert(tk_slice_eq(eng_iter_key(it), th_s("c")));
	eng_iter_seek_for_prev(it, th_s("ab")); /* below lower */
	ck_assert(!eng_iter_valid(it));
	eng_iter_seek_for_prev(it, th_s("b"));
	ck_assert(tk_slice_eq(eng_iter_key(it), th_s("b")));
	eng_iter_next(it);
	eng_iter_prev(it);
	ck_assert(tk_slice_eq(eng_iter_key(it), th_s("b")));
	eng_iter_free(it);
}
END_TEST

START_TEST(test_iterator_handles_keys_longer_than_the_stack_buffer)
{
	char k1[1000], k2[1000];
	memset(k1, 'x', sizeof k1 - 1);
	k1[sizeof k1 - 1] = '\0';
	memcpy(k2, k1, sizeof k2);
	k2[998] = 'y';
	th_put(e, ENG_CF_RAW, k1, "1");
	th_put(e, ENG_CF_RAW, k2, "2");
	ck_assert_str_eq(th_get(e, ENG_CF_RAW, k1), "1");
	ck_assert_str_eq(th_get(e, ENG_CF_RAW, k2), "2");
	struct eng_iter *it = eng_iter_new(e, NULL, ENG_CF_RAW, th_s(k1), none());
	eng_iter_seek(it, th_s(k2));
	ck_assert(tk_slice_eq(eng_iter_value(it), th_s("2")));
	eng_iter_seek_for_prev(it, th_s(k2));
	ck_assert(tk_slice_eq(eng_iter_value(it), th_s("2")));
	eng_iter_prev(it);
	ck_assert(tk_slice_eq(eng_iter_key(it), th_s(k1)));
	eng_iter_free(it);
}
END_TEST

START_TEST(test_batch_across_columns_is_applied_at_once)
{
	struct eng_snap *before = eng_snapshot(e);
	struct eng_batch *b = eng_batch_new();
	eng_batch_put(b, ENG_CF_DEFAULT, th_s("k"), th_s("data"));
	eng_batch_put(b, ENG_CF_LOCK, th_s("k"), th_s("lock"));
	eng_batch_put(b, ENG_CF_WRITE, th_s("k"), th_s("write"));
	eng_batch_put(b, ENG_CF_RAFT, th_s("r"), th_s("state"));
	eng_batch_delete(b, ENG_CF_RAW, th_s("gone"));
	ck_assert_uint_eq(eng_batch_count(b), 5);
	ck_assert_uint_eq(eng_batch_bytes(b), 2 + 4 + 2 + 4 + 2 + 5 + 2 + 5 + 5);
	/* nothing is visible before the write */
	ck_assert_ptr_null(th_get(e, ENG_CF_LOCK, "k"));
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_write(e, b, true, &eb), TK_OK);
	ck_assert_str_eq(th_get(e, ENG_CF_DEFAULT, "k"), "data");
	ck_assert_str_eq(th_get(e, ENG_CF_LOCK, "k"), "lock");
	ck_assert_str_eq(th_get(e, ENG_CF_WRITE, "k"), "write");
	ck_assert_str_eq(th_get(e, ENG_CF_RAFT, "r"), "state");
	struct tk_buf v;
	tk_buf_init(&v);
	bool found = true;
	ck_assert_int_eq(eng_snap_get(e, before, ENG_CF_WRITE, th_s("k"), &v, &found, &eb), TK_OK);
	ck_assert(!found);
	tk_buf_destroy(&v);
	eng_snap_release(e, before);
	eng_batch_clear(b);
	ck_assert_uint_eq(eng_batch_count(b), 0);
	ck_assert_uint_eq(eng_batch_bytes(b), 0);
	eng_batch_free(b);
}
END_TEST


START_TEST(test_batch_append_merges_operations_in_order)
{
	struct eng_batch *a = eng_batch_new(), *b = eng_batch_new();
	eng_batch_put(a, ENG_CF_RAW, th_s("k1"), th_s("a"));
	eng_batch_put(b, ENG_CF_RAW, th_s("k1"), th_s("b"));
	eng_batch_put(b, ENG_CF_LOCK, th_s("k2"), th_s("l"));
	eng_batch_append(a, b);
	ck_assert_uint_eq(eng_batch_count(a), 3);
	ck_assert_uint_eq(eng_batch_count(b), 2);
	ck_assert_uint_eq(eng_batch_bytes(a), 3 * (1 + 2 + 1)); /* prefix + key + value */
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_write(e, a, false, &eb), TK_OK);
	/* the appended put comes later, so it wins */
	ck_assert_str_eq(th_get(e, ENG_CF_RAW, "k1"), "b");
	ck_assert_str_eq(th_get(e, ENG_CF_LOCK, "k2"), "l");
	eng_batch_free(a);
	eng_batch_free(b);
}
END_TEST

/* A child writes multi-column batches without sync as fast as it can and is
 * killed; after reopening, every batch is either wholly there or absent, and
 * what is there is a prefix of the write order. */
START_TEST(test_batches_survive_a_kill_all_or_nothing)
{
	eng_close(e);
	e = NULL;
	/* the child says when it has written 100 batches: on a loaded machine
	 * a fixed delay could kill it before its first */
	int ready[2];
	ck_assert_int_eq(pipe(ready), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(ready[0]);
		struct eng *ce = th_open(dir, NULL);
		struct eng_batch *b = eng_batch_new();
		char key[32], val[200];
		memset(val, 'v', sizeof val);
		for (unsigned i = 0;; i++) {
			snprintf(key, sizeof key, "%08u", i);
			eng_batch_clear(b);
			for (int cf = ENG_CF_RAW; cf <= ENG_CF_WRITE; cf++)
				eng_batch_put(b, (enum eng_cf)cf, th_s(key), tk_slice_of(val, sizeof val));
			struct tk_errbuf eb;
			if (eng_write(ce, b, false, &eb) != TK_OK)
				_exit(3);
			if (i == 100 && write(ready[1], "r", 1) != 1)
				_exit(4);
		}
	}
	close(ready[1]);
	char r;
	ck_assert_int_eq(read(ready[0], &r, 1), 1); /* blocks until the 100th batch */
	close(ready[0]);
	usleep(50 * 1000); /* and kill it in the middle of later ones */
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
	ck_assert(WIFSIGNALED(status));
	e = th_open(dir, NULL);
	unsigned n[ENG_CF_WRITE + 1] = {0};
	for (int cf = ENG_CF_RAW; cf <= ENG_CF_WRITE; cf++) {
		struct eng_iter *it = eng_iter_new(e, NULL, (enum eng_cf)cf, none(), none());
		for (eng_iter_seek_first(it); eng_iter_valid(it); eng_iter_next(it)) {
			char want[32];
			snprintf(want, sizeof want, "%08u", n[cf]);
			ck_assert(tk_slice_eq(eng_iter_key(it), th_s(want)));
			n[cf]++;
		}
		eng_iter_free(it);
	}
	ck_assert_uint_gt(n[ENG_CF_RAW], 0);
	for (int cf = ENG_CF_DEFAULT; cf <= ENG_CF_WRITE; cf++)
		ck_assert_uint_eq(n[cf], n[ENG_CF_RAW]);
}
END_TEST

START_TEST(test_snapshot_isolates_reads_and_iterators_from_later_writes)
{
	th_put(e, ENG_CF_RAW, "a", "1");
	th_put(e, ENG_CF_RAW, "b", "1");
	struct eng_snap *s = eng_snapshot(e);
	ck_assert_ptr_nonnull(s);
	th_put(e, ENG_CF_RAW, "a", "2");
	th_put(e, ENG_CF_RAW, "c", "2");
	struct eng_batch *b = eng_batch_new();
	eng_batch_delete(b, ENG_CF_RAW, th_s("b"));
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_write(e, b, false, &eb), TK_OK);
	eng_batch_free(b);

	struct tk_buf v;
	tk_buf_init(&v);
	bool found;
	ck_assert_int_eq(eng_snap_get(e, s, ENG_CF_RAW, th_s("a"), &v, &found, &eb), TK_OK);
	ck_assert(found && tk_slice_eq(tk_buf_slice(&v), th_s("1")));
	ck_assert_int_eq(eng_snap_get(e, s, ENG_CF_RAW, th_s("b"), &v, &found, &eb), TK_OK);
	ck_assert(found);
	ck_assert_int_eq(eng_snap_get(e, s, ENG_CF_RAW, th_s("c"), &v, &found, &eb), TK_OK);
	ck_assert(!found);
	/* the latest view sees the new state, and the snapshot option did not
	 * stick to plain reads */
	ck_assert_str_eq(th_get(e, ENG_CF_RAW, "a"), "2");
	ck_assert_ptr_null(th_get(e, ENG_CF_RAW, "b"));
	struct eng_iter *it = eng_iter_new(e, s, ENG_CF_RAW, none(), none());
	ck_assert_str_eq(walk(it, true), "a,b");
	eng_iter_free(it);
	/* an iterator without a snapshot pins the state at its creation */
	it = eng_iter_new(e, NULL, ENG_CF_RAW, none(), none());
	th_put(e, ENG_CF_RAW, "d", "3");
	ck_assert_str_eq(walk(it, true), "a,c");
	eng_iter_free(it);
	struct eng_stats st;
	eng_get_stats(e, &st);
	ck_assert_uint_eq(st.live_handles, 1);
	eng_snap_release(e, s);
	eng_get_stats(e, &st);
	ck_assert_uint_eq(st.live_handles, 0);
	tk_buf_destroy(&v);
}
END_TEST

START_TEST(test_get_fills_reused_and_small_buffers_and_finds_empty_values)
{
	char big[100000];
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	th_put(e, ENG_CF_RAW, "big", big);
	th_put(e, ENG_CF_RAW, "small", "s");
	th_put(e, ENG_CF_RAW, "empty", "");
	struct tk_buf v;
	tk_buf_init(&v);
	tk_buf_append(&v, "junk", 4);
	bool found;
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_get(e, ENG_CF_RAW, th_s("small"), &v, &found, &eb), TK_OK);
	ck_assert(found && tk_slice_eq(tk_buf_slice(&v), th_s("s")));
	ck_assert_int_eq(eng_get(e, ENG_CF_RAW, th_s("big"), &v, &found, &eb), TK_OK);
	ck_assert(found && v.len == sizeof big - 1 && v.data[500] == 'z');
	ck_assert_int_eq(eng_get(e, ENG_CF_RAW, th_s("small"), &v, &found, &eb), TK_OK);
	ck_assert(found && tk_slice_eq(tk_buf_slice(&v), th_s("s")));
	ck_assert_uint_ge(v.cap, sizeof big - 1); /* the big buffer is kept */
	ck_assert_int_eq(eng_get(e, ENG_CF_RAW, th_s("empty"), &v, &found, &eb), TK_OK);
	ck_assert(found && v.len == 0);
	ck_assert_int_eq(eng_get(e, ENG_CF_RAW, th_s("none"), &v, &found, &eb), TK_OK);
	ck_assert(!found && v.len == 0);
	ck_assert(tk_buf_append(&v, "x", 1));
	tk_buf_destroy(&v);
}
END_TEST

START_TEST(test_stats_count_writes_syncs_and_reads_survive_reopen)
{
	struct eng_batch *b = eng_batch_new();
	eng_batch_put(b, ENG_CF_RAW, th_s("k"), th_s("v"));
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_write(e, b, false, &eb), TK_OK);
	ck_assert_int_eq(eng_write(e, b, true, &eb), TK_OK);
	ck_assert_int_eq(eng_write(e, b, true, &eb), TK_OK);
	eng_batch_free(b);
	struct eng_stats st;
	eng_get_stats(e, &st);
	ck_assert_uint_eq(st.writes, 3);
	ck_assert_uint_eq(st.synced_writes, 2);
	ck_assert_uint_eq(st.write_errors, 0);
	ck_assert_uint_eq(st.reopens, 0);
	ck_assert(!st.degraded);
	ck_assert_str_eq(eng_path(e), dir);
	eng_close(e);
	e = th_open(dir, NULL);
	ck_assert_str_eq(th_get(e, ENG_CF_RAW, "k"), "v");
}
END_TEST

START_TEST(test_open_without_create_refuses_a_dir_without_database)
{
	char *d2 = subdir("d2");
	struct eng_options o;
	eng_options_default(&o);
	o.path = d2;
	struct eng *e2 = NULL;
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_open(&o, &e2, &eb), TK_E_DATA_DIR);
	ck_assert_ptr_null(e2);
	ck_assert(strstr(eb.msg, "create_if_missing") != NULL);
	/* a db directory that is not a LevelDB */
	char p[4200];
	snprintf(p, sizeof p, "%s/db", d2);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	o.create_if_missing = true;
	ck_assert_int_eq(eng_open(&o, &e2, &eb), TK_E_DATA_DIR);
	ck_assert(strstr(eb.msg, "no CURRENT") != NULL);
	o.path = "";
	ck_assert_int_eq(eng_open(&o, &e2, &eb), TK_E_BAD_CONFIG);
	/* the fixture's store is open: LevelDB's own lock refuses a second open */
	o.path = dir;
	ck_assert_int_eq(eng_open(&o, &e2, &eb), TK_E_DATA_DIR);
	ck_assert_msg(strstr(eb.msg, "lock"), "%s", eb.msg);
	ck_assert_ptr_null(eng_iter_new(e, NULL, (enum eng_cf)0, none(), none()));
	ck_assert_ptr_null(eng_iter_new(e, NULL, (enum eng_cf)(ENG_CF_LAST + 1), none(), none()));
	th_rmrf(d2);
}
END_TEST

static size_t count_files(const char *d, const char *suffix)
{
	DIR *dd = opendir(d);
	ck_assert_ptr_nonnull(dd);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(dd))) {
		size_t l = strlen(de->d_name), sl = strlen(suffix);
		n += l > sl && strcmp(de->d_name + l - sl, suffix) == 0;
	}
	closedir(dd);
	return n;
}

/* Write n keys of 1000 compressible bytes in cf RAW, then close. */
static void fill_and_close(struct eng *x, int n)
{
	char val[1001];
	memset(val, 'q', 1000);
	val[1000] = '\0';
	for (int i = 0; i < n; i++) {
		char k[16];
		snprintf(k, sizeof k, "k%06d", i);
		th_put(x, ENG_CF_RAW, k, val);
	}
	eng_close(x);
}

START_TEST(test_options_write_buffer_compression_and_bloom_take_effect)
{
	eng_close(e);
	e = NULL;
	char dbp[4200];
	snprintf(dbp, sizeof dbp, "%s/db", dir);

	/* A 64 KiB write buffer flushes 1 MB of writes into tables; a 64 MiB
	 * one keeps them in the memtable. */
	struct eng_options o;
	eng_options_default(&o);
	o.write_buffer_bytes = 64 << 10;
	o.block_cache_bytes = 1 << 20;
	struct eng *x = th_open(dir, &o);
	fill_and_close(x, 1000);
	size_t small_tables = count_files(dbp, ".ldb");
	ck_assert_uint_gt(small_tables, 1);

	char *d2 = subdir("d2");
	char dbp2[4200];
	snprintf(dbp2, sizeof dbp2, "%s/db", d2);
	eng_options_default(&o);
	o.write_buffer_bytes = 64 << 20;
	x = th_open(d2, &o);
	struct tk_buf prop;
	tk_buf_init(&prop);
	ck_assert(eng_property(x, "leveldb.num-files-at-level0", &prop));
	ck_assert(tk_slice_eq(tk_buf_slice(&prop), th_s("0")));
	ck_assert(!eng_property(x, "leveldb.no-such-property", &prop));
	fill_and_close(x, 1000);

	/* Compression: the same data takes far less disk with snappy on. */
	eng_options_default(&o);
	o.block_cache_bytes = 1 << 20;
	x = th_open(dir, &o);
	uint64_t compressed = eng_approximate_size(x, ENG_CF_RAW, none(), none());
	ck_assert_uint_eq(eng_approximate_size(x, ENG_CF_LOCK, none(), none()), 0);
	eng_close(x);
	char *d3 = subdir("d3");
	eng_options_default(&o);
	o.write_buffer_bytes = 64 << 10;
	o.compression = false;
	x = th_open(d3, &o);
	fill_and_close(x, 1000);
	x = th_open(d3, &o);
	uint64_t plain = eng_approximate_size(x, ENG_CF_RAW, none(), none());
	ck_assert_uint_gt(plain, 900000);
	ck_assert_uint_lt(compressed * 10, plain);
	ck_assert(eng_property(x, "leveldb.sstables", &prop));
	eng_close(x);

	/* Block cache: reading 1 MB of compressed tables fills an 8 MiB cache
	 * but not a 64 KiB one.  (Blocks of uncompressed tables are read from
	 * LevelDB's mmap of the file and never cached.) */
	size_t caches[2] = {8 << 20, 64 << 10};
	uint64_t usage[2];
	for (int c = 0; c < 2; c++) {
		eng_options_default(&o);
		o.block_cache_bytes = caches[c];
		x = th_open(dir, &o);
		for (int i = 0; i < 1000; i++) {
			char k[16];
			snprintf(k, sizeof k, "k%06d", i);
			ck_assert_ptr_nonnull(th_get(x, ENG_CF_RAW, k));
		}
		ck_assert(eng_property(x, "leveldb.approximate-memory-usage", &prop));
		ck_assert(tk_buf_append_byte(&prop, 0));
		usage[c] = strtoull((const char *)prop.data, NULL, 10);
		eng_close(x);
	}
	/* A tiny cache still holds about one 16 KiB block in each of its 16
	 * shards (LevelDB evicts on insert, not on release): ~260 KB. */
	ck_assert_msg(usage[0] > 900000 && usage[1] < 500000, "usage %llu %llu",
		      (unsigned long long)usage[0], (unsigned long long)usage[1]);

	/* Bloom filter: a table carries a filter block named after the policy
	 * only when one is configured. */
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "grep -qa BuiltinBloomFilter %s/db/*.ldb", dir);
	ck_assert_int_eq(system(cmd), 0);
	char *d4 = subdir("d4");
	eng_options_default(&o);
	o.write_buffer_bytes = 64 << 10;
	o.bloom_bits_per_key = 0;
	x = th_open(d4, &o);
	fill_and_close(x, 300);
	snprintf(dbp, sizeof dbp, "%s/db", d4);
	ck_assert_uint_gt(count_files(dbp, ".ldb"), 0);
	snprintf(cmd, sizeof cmd, "grep -qa BuiltinBloomFilter %s/db/*.ldb", d4);
	ck_assert_int_ne(system(cmd), 0);

	tk_buf_destroy(&prop);
	th_rmrf(d2);
	th_rmrf(d3);
	th_rmrf(d4);
}
END_TEST

START_TEST(test_injected_write_failure_degrades_then_reopens_on_next_write)
{
	eng_inject_write_failure(e, 1, TK_E_NO_SPACE);
	th_put(e, ENG_CF_RAW, "a", "1");
	struct eng_batch *b = eng_batch_new();
	eng_batch_put(b, ENG_CF_RAW, th_s("b"), th_s("2"));
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_write(e, b, true, &eb), TK_E_NO_SPACE);
	ck_assert_msg(strstr(eb.msg, "No space left") && strstr(eb.msg, dir), "%s", eb.msg);
	struct eng_stats st;
	eng_get_stats(e, &st);
	ck_assert(st.degraded);
	ck_assert_uint_eq(st.write_errors, 1);
	ck_assert_str_eq(th_get(e, ENG_CF_RAW, "a"), "1");
	ck_assert_ptr_null(th_get(e, ENG_CF_RAW, "b"));
	ck_assert_int_eq(eng_write(e, b, true, &eb), TK_OK);
	eng_get_stats(e, &st);
	ck_assert(!st.degraded);
	ck_assert_uint_eq(st.reopens, 1);
	ck_assert_uint_eq(st.writes, 2);
	ck_assert_uint_eq(st.synced_writes, 1);
	ck_assert_str_eq(th_get(e, ENG_CF_RAW, "a"), "1");
	ck_assert_str_eq(th_get(e, ENG_CF_RAW, "b"), "2");
	/* once only; TK_OK disarms */
	eng_inject_write_failure(e, 0, TK_E_IO);
	eng_inject_write_failure(e, 0, TK_OK);
	ck_assert_int_eq(eng_write(e, b, false, &eb), TK_OK);
	eng_batch_free(b);
}
END_TEST

/* ---- identity ---- */

static struct eng_ident ident(uint64_t cluster, uint64_t store, const char *mode)
{
	struct eng_ident id;
	memset(&id, 0, sizeof id);
	id.cluster_id = cluster;
	id.store_id = store;
	snprintf(id.mode, sizeof id.mode, "%s", mode);
	id.format_version = 1;
	return id;
}

START_TEST(test_ident_is_recorded_once_and_checked_after_reopen)
{
	struct eng_ident want = ident(7, 3, "cluster"), have;
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_ident_check_or_init(e, &want, &have, &eb), TK_OK);
	ck_assert_uint_eq(have.cluster_id, 7);
	eng_close(e);
	e = th_open(dir, NULL);
	memset(&have, 0, sizeof have);
	ck_assert_int_eq(eng_ident_check_or_init(e, &want, &have, &eb), TK_OK);
	ck_assert_uint_eq(have.store_id, 3);
	ck_assert_str_eq(have.mode, "cluster");
	/* zero ids accept the recorded ones and report them */
	struct eng_ident any = ident(0, 0, "");
	any.format_version = 0;
	ck_assert_int_eq(eng_ident_check_or_init(e, &any, &have, &eb), TK_OK);
	ck_assert_uint_eq(have.cluster_id, 7);
	ck_assert_uint_eq(have.store_id, 3);
	struct eng_stats st;
	eng_get_stats(e, &st);
	ck_assert_uint_eq(st.writes, 0); /* checking writes nothing */
}
END_TEST

START_TEST(test_ident_refuses_another_cluster_store_mode_or_format)
{
	struct eng_ident want = ident(7, 3, "cluster"), have;
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_ident_check_or_init(e, &want, &have, &eb), TK_OK);
	uint64_t h = th_dir_hash(dir);

	struct eng_ident other = ident(8, 3, "cluster");
	ck_assert_int_eq(eng_ident_check_or_init(e, &other, &have, &eb), TK_E_CLUSTER_MISMATCH);
	ck_assert_msg(strstr(eb.msg, "cluster 7") && strstr(eb.msg, "cluster 8") &&
			      strstr(eb.msg, dir),
		      "%s", eb.msg);
	other = ident(7, 4, "cluster");
	ck_assert_int_eq(eng_ident_check_or_init(e, &other, &have, &eb), TK_E_STORE_MISMATCH);
	ck_assert_msg(strstr(eb.msg, "store 3") && strstr(eb.msg, "store 4"), "%s", eb.msg);
	other = ident(7, 3, "standalone");
	ck_assert_int_eq(eng_ident_check_or_init(e, &other, &have, &eb), TK_E_DATA_DIR);
	ck_assert_msg(strstr(eb.msg, "standalone") && strstr(eb.msg, "cluster mode"), "%s", eb.msg);
	other = ident(7, 3, "cluster");
	other.format_version = 2;
	ck_assert_int_eq(eng_ident_check_or_init(e, &other, &have, &eb), TK_E_DATA_DIR);
	/* the record was not overwritten by any attempt */
	ck_assert_int_eq(eng_ident_check_or_init(e, &want, &have, &eb), TK_OK);
	eng_close(e);
	e = NULL;
	ck_assert_uint_eq(th_dir_hash(dir), h);
	e = th_open(dir, NULL);
}
END_TEST

START_TEST(test_ident_refuses_an_undecodable_record_and_bad_init)
{
	struct eng_ident want = ident(0, 0, "cluster"), have;
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_ident_check_or_init(e, &want, &have, &eb), TK_E_BAD_CONFIG);
	want = ident(0, 0, "bogus");
	ck_assert_int_eq(eng_ident_check_or_init(e, &want, &have, &eb), TK_E_BAD_CONFIG);
	want = ident(0, 0, "standalone");
	ck_assert_int_eq(eng_ident_check_or_init(e, &want, &have, &eb), TK_OK);

	uint8_t rec[ENG_IDENT_ENCODED_LEN];
	eng_ident_encode(&want, rec);
	rec[0] = 9; /* unknown encoding version */
	th_put(e, ENG_CF_META, "ident", "");
	struct eng_batch *b = eng_batch_new();
	eng_batch_put(b, ENG_CF_META, th_s("ident"), tk_slice_of(rec, sizeof rec));
	ck_assert_int_eq(eng_write(e, b, false, &eb), TK_OK);
	ck_assert_int_eq(eng_ident_check_or_init(e, &want, &have, &eb), TK_E_CORRUPTION);
	ck_assert_msg(strstr(eb.msg, "corrupt") && strstr(eb.msg, dir), "%s", eb.msg);
	rec[0] = ENG_IDENT_ENCODING_V1;
	memcpy(rec + 21, "weird", 5);
	eng_batch_clear(b);
	eng_batch_put(b, ENG_CF_META, th_s("ident"), tk_slice_of(rec, sizeof rec));
	ck_assert_int_eq(eng_write(e, b, false, &eb), TK_OK);
	ck_assert_int_eq(eng_ident_check_or_init(e, &want, &have, &eb), TK_E_CORRUPTION);
	eng_batch_clear(b);
	eng_batch_put(b, ENG_CF_META, th_s("ident"), tk_slice_of(rec, 10));
	ck_assert_int_eq(eng_write(e, b, false, &eb), TK_OK);
	ck_assert_int_eq(eng_ident_check_or_init(e, &want, &have, &eb), TK_E_CORRUPTION);
	eng_batch_free(b);
}
END_TEST

/* ---- data dir lock ---- */

/* In a child process, try to lock d; exit 0 if locked, 1 if refused with a
 * message naming pid, 2 otherwise. */
static int lock_in_child(const char *d, pid_t holder)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd;
		struct tk_errbuf eb;
		enum tk_err rc = eng_datadir_lock(d, &fd, &eb);
		if (rc == TK_OK)
			_exit(0);
		char want[64];
		snprintf(want, sizeof want, "locked by pid %ld", (long)holder);
		_exit(rc == TK_E_DATA_DIR && strstr(eb.msg, want) && strstr(eb.msg, d) ? 1 : 2);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_datadir_lock_refuses_a_second_locker_naming_the_holder)
{
	char *d = th_tmpdir();
	char sub[4200];
	snprintf(sub, sizeof sub, "%s/a/b", d);
	int fd;
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_datadir_lock(sub, &fd, &eb), TK_OK);
	ck_assert_int_eq(lock_in_child(sub, getpid()), 1);
	/* also refused within the same process */
	int fd2;
	ck_assert_int_eq(eng_datadir_lock(sub, &fd2, &eb), TK_E_DATA_DIR);
	ck_assert_int_eq(fd2, -1);
	eng_datadir_unlock(fd);
	ck_assert_int_eq(lock_in_child(sub, getpid()), 0);
	ck_assert_int_eq(eng_datadir_lock(sub, &fd, &eb), TK_OK);
	eng_datadir_unlock(fd);
	ck_assert_int_eq(eng_datadir_lock("", &fd, &eb), TK_E_BAD_CONFIG);
	th_rmrf(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("engine");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_columns_keep_the_same_key_apart);
	tcase_add_test(tc, test_iterator_never_leaves_its_column_at_the_boundaries);
	tcase_add_test(tc, test_iterator_bounds_clamp_seeks_and_reverse_iteration);
	tcase_add_test(tc, test_iterator_handles_keys_longer_than_the_stack_buffer);
	tcase_add_test(tc, test_batch_across_columns_is_applied_at_once);
	tcase_add_test(tc, test_batch_append_merges_operations_in_order);
	tcase_add_test(tc, test_batches_survive_a_kill_all_or_nothing);
	tcase_add_test(tc, test_snapshot_isolates_reads_and_iterators_from_later_writes);
	tcase_add_test(tc, test_get_fills_reused_and_small_buffers_and_finds_empty_values);
	tcase_add_test(tc, test_stats_count_writes_syncs_and_reads_survive_reopen);
	tcase_add_test(tc, test_open_without_create_refuses_a_dir_without_database);
	tcase_add_test(tc, test_options_write_buffer_compression_and_bloom_take_effect);
	tcase_add_test(tc, test_injected_write_failure_degrades_then_reopens_on_next_write);
	tcase_add_test(tc, test_ident_is_recorded_once_and_checked_after_reopen);
	tcase_add_test(tc, test_ident_refuses_another_cluster_store_mode_or_format);
	tcase_add_test(tc, test_ident_refuses_an_undecodable_record_and_bad_init);
	tcase_add_test(tc, test_datadir_lock_refuses_a_second_locker_naming_the_holder);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
