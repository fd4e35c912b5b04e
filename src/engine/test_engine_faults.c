/* Engine fault tests: corrupt data dirs are refused without being changed,
 * and a full disk degrades the engine until space returns. */
#include "engine/test_helpers.h"

#include <errno.h>
#include <sys/mount.h>

static char *dir;

static void setup(void)
{
	dir = th_tmpdir();
}

static void teardown(void)
{
	th_rmrf(dir);
	dir = NULL;
}

static struct tk_slice none(void)
{
	return tk_slice_of(NULL, 0);
}

/* Create a store with n keys written one batch each, then close it. */
static void make_store(int n, size_t write_buffer)
{
	struct eng_options o;
	eng_options_default(&o);
	o.block_cache_bytes = 1 << 20;
	o.write_buffer_bytes = write_buffer;
	struct eng *e = th_open(dir, &o);
	char val[1001];
	for (int i = 0; i < n; i++) {
		char k[16];
		snprintf(k, sizeof k, "k%06d", i);
		for (int j = 0; j < 1000; j++)
			val[j] = (char)('a' + (i * 7 + j * 13) % 26);
		val[1000] = '\0';
		th_put(e, ENG_CF_RAW, k, val);
	}
	eng_close(e);
}

/* Path of the first file in dir/db whose name ends with suffix. */
static void db_file(const char *suffix, char *out, size_t outn)
{
	char dbp[4200];
	snprintf(dbp, sizeof dbp, "%s/db", dir);
	DIR *d = opendir(dbp);
	ck_assert_ptr_nonnull(d);
	struct dirent *de;
	out[0] = '\0';
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), sl = strlen(suffix);
		if (l >= sl && strcmp(de->d_name + l - sl, suffix) == 0) {
			snprintf(out, outn, "%s/%s", dbp, de->d_name);
			break;
		}
	}
	closedir(d);
	ck_assert_msg(out[0], "no *%s file in %s", suffix, dbp);
}

static void overwrite(const char *path, off_t off, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, p, n, off), (ssize_t)n);
	close(fd);
}

static off_t file_size(const char *path)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

/* Opening must fail with code, say so clearly, and leave the dir as it was. */
static void assert_refused(enum tk_err code, const char *must_say)
{
	uint64_t before = th_dir_hash(dir);
	struct eng_options o;
	eng_options_default(&o);
	o.path = dir;
	o.create_if_missing = true;
	struct eng *e = NULL;
	struct tk_errbuf eb;
	enum tk_err rc = eng_open(&o, &e, &eb);
	ck_assert_msg(rc == code, "got %s: %s", tk_err_name(rc), eb.msg);
	ck_assert_ptr_null(e);
	ck_assert_msg(strstr(eb.msg, dir) && strstr(eb.msg, must_say), "message: %s", eb.msg);
	ck_assert_msg(strstr(eb.msg, "refusing to start; nothing was changed"), "%s", eb.msg);
	ck_assert_uint_eq(th_dir_hash(dir), before);
}

START_TEST(test_garbage_current_file_is_refused_unchanged)
{
	make_store(10, 1 << 20);
	char p[4300];
	snprintf(p, sizeof p, "%s/db/CURRENT", dir);
	FILE *f = fopen(p, "w");
	fputs("this is not a manifest name", f);
	fclose(f);
	assert_refused(TK_E_CORRUPTION, "is corrupt");
}
END_TEST

START_TEST(test_current_naming_a_missing_manifest_is_refused_unchanged)
{
	make_store(10, 1 << 20);
	char p[4300];
	snprintf(p, sizeof p, "%s/db/CURRENT", dir);
	FILE *f = fopen(p, "w");
	fputs("MANIFEST-999999\n", f);
	fclose(f);
	assert_refused(TK_E_CORRUPTION, "missing");
}
END_TEST

START_TEST(test_damaged_manifest_is_refused_unchanged)
{
	make_store(10, 1 << 20);
	char p[4300];
	/* the manifest CURRENT names */
	char cur[4300], name[64] = {0};
	snprintf(cur, sizeof cur, "%s/db/CURRENT", dir);
	FILE *f = fopen(cur, "r");
	ck_assert_ptr_nonnull(fgets(name, sizeof name, f));
	fclose(f);
	name[strcspn(name, "\n")] = '\0';
	snprintf(p, sizeof p, "%s/db/%s", dir, name);
	off_t n = file_size(p);
	ck_assert_int_gt(n, 20);
	overwrite(p, n / 2, "\xde\xad\xbe\xef", 4);
	assert_refused(TK_E_CORRUPTION, "is corrupt");
	/* and a truncated one */
	ck_assert_int_eq(truncate(p, 3), 0);
	assert_refused(TK_E_CORRUPTION, "is corrupt");
}
END_TEST

START_TEST(test_damaged_wal_record_is_refused_unchanged)
{
	make_store(50, 1 << 20); /* 50 KB: stays in the WAL */
	char p[4300];
	db_file(".log", p, sizeof p);
	off_t n = file_size(p);
	ck_assert_int_gt(n, 40000);
	overwrite(p, n / 2, "\xde\xad\xbe\xef", 4);
	assert_refused(TK_E_CORRUPTION, "is corrupt");
}
END_TEST

START_TEST(test_db_dir_without_current_is_refused_unchanged)
{
	make_store(10, 1 << 20);
	char p[4300];
	snprintf(p, sizeof p, "%s/db/CURRENT", dir);
	ck_assert_int_eq(unlink(p), 0);
	assert_refused(TK_E_DATA_DIR, "not a LevelDB");
}
END_TEST

START_TEST(test_damaged_table_is_reported_as_corruption_on_read)
{
	make_store(200, 64 << 10);
	/* Reopen once so that the WAL is turned into tables too. */
	struct eng *e = th_open(dir, NULL);
	eng_close(e);
	char dbp[4200];
	snprintf(dbp, sizeof dbp, "%s/db", dir);
	DIR *d = opendir(dbp);
	struct dirent *de;
	int damaged = 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 4 || strcmp(de->d_name + l - 4, ".ldb") != 0)
			continue;
		char p[4400];
		snprintf(p, sizeof p, "%s/%s", dbp, de->d_name);
		/* the data blocks come first; damage several of them */
		off_t n = file_size(p);
		for (off_t off = 100; off < n / 2; off += 8000)
			overwrite(p, off, "\xde\xad\xbe\xef", 4);
		damaged++;
	}
	closedir(d);
	ck_assert_int_gt(damaged, 0);
	e = th_open(dir, NULL);
	int corrupt = 0;
	struct tk_buf v;
	tk_buf_init(&v);
	for (int i = 0; i < 200; i++) {
		char k[16];
		snprintf(k, sizeof k, "k%06d", i);
		bool found;
		struct tk_errbuf eb;
		enum tk_err rc = eng_get(e, ENG_CF_RAW, th_s(k), &v, &found, &eb);
		if (rc == TK_E_CORRUPTION) {
			ck_assert_msg(strstr(eb.msg, "is corrupt") && strstr(eb.msg, dir), "%s",
				      eb.msg);
			corrupt++;
		} else {
			ck_assert_int_eq(rc, TK_OK);
		}
	}
	ck_assert_int_gt(corrupt, 0);
	struct eng_iter *it = eng_iter_new(e, NULL, ENG_CF_RAW, none(), none());
	for (eng_iter_seek_first(it); eng_iter_valid(it); eng_iter_next(it))
		;
	struct tk_errbuf eb;
	ck_assert_int_eq(eng_iter_status(it, &eb), TK_E_CORRUPTION);
	eng_iter_free(it);
	struct eng_stats st;
	eng_get_stats(e, &st);
	ck_assert_uint_ge(st.read_errors, (uint64_t)corrupt + 1);
	tk_buf_destroy(&v);
	eng_close(e);
}
END_TEST

/* ---- disk full, on a small tmpfs (needs root for mount) ---- */

static char *mnt;
static bool mounted;

static void tmpfs_setup(void)
{
	mnt = th_tmpdir();
	mounted = false;
	if (geteuid() != 0)
		return;
	if (mount("tkeng-tmpfs", mnt, "tmpfs", 0, "size=8m") == 0)
		mounted = true;
}

static void tmpfs_teardown(void)
{
	if (mounted)
		umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	free(mnt);
	mnt = NULL;
}

static void fill_file(const char *p, size_t n)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	char buf[65536];
	memset(buf, 'f', sizeof buf);
	for (size_t done = 0; done < n; done += sizeof buf)
		ck_assert_int_eq(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
	close(fd);
}

#define VAL_LEN 4096

static void value_for(int i, char *v)
{
	uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ull + 1;
	for (int j = 0; j < VAL_LEN; j++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v[j] = (char)x;
	}
}

static void assert_acked_readable(struct eng *e, int acked)
{
	struct tk_buf v;
	tk_buf_init(&v);
	char want[VAL_LEN];
	for (int i = 0; i < acked; i++) {
		char k[16];
		snprintf(k, sizeof k, "k%06d", i);
		bool found;
		struct tk_errbuf eb;
		ck_assert_msg(eng_get(e, ENG_CF_RAW, th_s(k), &v, &found, &eb) == TK_OK, "%s",
			      eb.msg);
		ck_assert_msg(found, "acknowledged key %s lost", k);
		value_for(i, want);
		ck_assert(v.len == VAL_LEN && memcmp(v.data, want, VAL_LEN) == 0);
	}
	tk_buf_destroy(&v);
}

START_TEST(test_full_disk_degrades_and_recovers_when_space_returns)
{
	if (geteuid() != 0) {
		printf("test_full_disk_degrades_and_recovers_when_space_returns: not root, "
		       "cannot mount a tmpfs; passing without running\n");
		return;
	}
	ck_assert_msg(mounted, "mount -t tmpfs on %s failed as root", mnt);
	char filler[4200], data[4200], dbp[4200], moved[4200];
	snprintf(filler, sizeof filler, "%s/filler", mnt);
	snprintf(data, sizeof data, "%s/data", mnt);
	snprintf(dbp, sizeof dbp, "%s/db", data);
	snprintf(moved, sizeof moved, "%s/db.moved", data);
	fill_file(filler, 5 << 20);

	struct eng_options o;
	eng_options_default(&o);
	o.write_buffer_bytes = 64 << 10; /* recovery needs max(2*64K+1M, 4M) = 4 MiB */
	o.block_cache_bytes = 256 << 10;
	o.compression = false;
	struct eng *e = th_open(data, &o);

	struct eng_batch *b = eng_batch_new();
	char val[VAL_LEN];
	int acked = 0;
	enum tk_err rc = TK_OK;
	struct tk_errbuf eb;
	for (; acked < 5000; acked++) {
		char k[16];
		snprintf(k, sizeof k, "k%06d", acked);
		value_for(acked, val);
		eng_batch_clear(b);
		eng_batch_put(b, ENG_CF_RAW, th_s(k), tk_slice_of(val, VAL_LEN));
		rc = eng_write(e, b, acked % 8 == 0, &eb);
		if (rc != TK_OK)
			break;
	}
	ck_assert_msg(rc == TK_E_NO_SPACE, "after %d writes: %s: %s", acked, tk_err_name(rc),
		      eb.msg);
	ck_assert_int_gt(acked, 50);
	struct eng_stats st;
	eng_get_stats(e, &st);
	ck_assert(st.degraded);
	ck_assert_uint_eq(st.write_errors, 1);
	ck_assert_uint_eq(st.writes, (uint64_t)acked);

	/* Reads keep working while degraded. */
	assert_acked_readable(e, acked);
	struct eng_iter *it = eng_iter_new(e, NULL, ENG_CF_RAW, none(), none());
	eng_iter_seek_first(it);
	ck_assert(eng_iter_valid(it) && tk_slice_eq(eng_iter_key(it), th_s("k000000")));
	eng_iter_free(it);

	/* Still full: refused without reopening. */
	rc = eng_write(e, b, false, &eb);
	ck_assert_int_eq(rc, TK_E_NO_SPACE);
	ck_assert_msg(strstr(eb.msg, "bytes free"), "%s", eb.msg);
	eng_get_stats(e, &st);
	ck_assert_uint_eq(st.reopens, 0);

	/* Space returns, but a live snapshot postpones the reopen. */
	ck_assert_int_eq(unlink(filler), 0);
	struct eng_snap *s = eng_snapshot(e);
	rc = eng_write(e, b, false, &eb);
	ck_assert_int_eq(rc, TK_E_NO_SPACE);
	ck_assert_msg(strstr(eb.msg, "postponed"), "%s", eb.msg);
	struct tk_buf v;
	tk_buf_init(&v);
	bool found;
	ck_assert_int_eq(eng_snap_get(e, s, ENG_CF_RAW, th_s("k000001"), &v, &found, &eb), TK_OK);
	ck_assert(found);
	eng_snap_release(e, s);

	/* A reopen that fails leaves no LevelDB handle behind; reads then
	 * report TK_E_IO instead of touching it. */
	ck_assert_int_eq(rename(dbp, moved), 0);
	rc = eng_write(e, b, false, &eb);
	ck_assert_int_eq(rc, TK_E_DATA_DIR);
	ck_assert_int_eq(eng_get(e, ENG_CF_RAW, th_s("k000001"), &v, &found, &eb), TK_E_IO);
	ck_assert(!found);
	it = eng_iter_new(e, NULL, ENG_CF_RAW, none(), none());
	eng_iter_seek_first(it);
	ck_assert(!eng_iter_valid(it));
	ck_assert_int_eq(eng_iter_status(it, &eb), TK_E_IO);
	eng_iter_free(it);
	s = eng_snapshot(e);
	ck_assert_int_eq(eng_snap_get(e, s, ENG_CF_RAW, th_s("k000001"), &v, &found, &eb),
			 TK_E_IO);
	eng_snap_release(e, s);
	ck_assert_uint_eq(eng_approximate_size(e, ENG_CF_RAW, none(), none()), 0);
	ck_assert(!eng_property(e, "leveldb.stats", &v));
	ck_assert_int_eq(rename(moved, dbp), 0);

	/* Now the retry reopens and succeeds, and nothing acknowledged is lost. */
	char k[16];
	snprintf(k, sizeof k, "k%06d", acked);
	value_for(acked, val);
	eng_batch_clear(b);
	eng_batch_put(b, ENG_CF_RAW, th_s(k), tk_slice_of(val, VAL_LEN));
	rc = eng_write(e, b, true, &eb);
	ck_assert_msg(rc == TK_OK, "%s", eb.msg);
	acked++;
	eng_get_stats(e, &st);
	ck_assert(!st.degraded);
	ck_assert_uint_eq(st.reopens, 1);
	ck_assert_uint_eq(st.write_errors, 4);
	assert_acked_readable(e, acked);
	eng_close(e);

	e = th_open(data, &o);
	assert_acked_readable(e, acked);
	eng_close(e);
	eng_batch_free(b);
	tk_buf_destroy(&v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine_faults");
	TCase *tc = tcase_create("corruption");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_garbage_current_file_is_refused_unchanged);
	tcase_add_test(tc, test_current_naming_a_missing_manifest_is_refused_unchanged);
	tcase_add_test(tc, test_damaged_manifest_is_refused_unchanged);
	tcase_add_test(tc, test_damaged_wal_record_is_refused_unchanged);
	tcase_add_test(tc, test_db_dir_without_current_is_refused_unchanged);
	tcase_add_test(tc, test_damaged_table_is_reported_as_corruption_on_read);
	suite_add_tcase(s, tc);
	TCase *tf = tcase_create("disk_full");
	/* unchecked: mount and unmount in the parent, around the forked test */
	tcase_add_unchecked_fixture(tf, tmpfs_setup, tmpfs_teardown);
	tcase_set_timeout(tf, 60);
	tcase_add_test(tf, test_full_disk_degrades_and_recovers_when_space_returns);
	suite_add_tcase(s, tf);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
