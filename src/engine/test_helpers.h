/* Helpers shared by the engine's unit tests: temporary dirs, recursive
 * removal, a checksum of a directory tree. */
#ifndef TK_ENGINE_TEST_HELPERS_H
#define TK_ENGINE_TEST_HELPERS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* nftw, mkdtemp */
#endif
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"

static inline char *th_tmpdir(void)
{
	char *d = strdup("/tmp/tkeng-XXXXXX");
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static inline int th_rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void th_rmrf(char *d)
{
	if (!d)
		return;
	nftw(d, th_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
}

/* FNV-1a over a file's content, mixed into h. */
static inline uint64_t th_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 1099511628211ull;
	}
	return h;
}

static inline int th_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Checksum of every file under dir (names and contents, sorted), except
 * LevelDB's informational logs LOG and LOG.old, which every open attempt
 * rotates and which hold no data. */
static inline uint64_t th_dir_hash(const char *dir)
{
	uint64_t h = 14695981039346656037ull;
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	char *names[512];
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 512) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, "LOG") || !strcmp(de->d_name, "LOG.old"))
			continue;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof names[0], th_name_cmp);
	for (int i = 0; i < n; i++) {
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		h = th_hash_bytes(h, names[i], strlen(names[i]) + 1);
		struct stat st;
		ck_assert_int_eq(lstat(p, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			uint64_t sub = th_dir_hash(p);
			h = th_hash_bytes(h, &sub, sizeof sub);
		} else {
			int fd = open(p, O_RDONLY);
			ck_assert_int_ge(fd, 0);
			char buf[65536];
			ssize_t r;
			while ((r = read(fd, buf, sizeof buf)) > 0)
				h = th_hash_bytes(h, buf, (size_t)r);
			close(fd);
		}
		free(names[i]);
	}
	return h;
}

static inline struct tk_slice th_s(const char *s)
{
	return tk_slice_str(s);
}

static inline struct eng *th_open(const char *dir, struct eng_options *o)
{
	struct eng_options def;
	if (!o) {
		eng_options_default(&def);
		def.block_cache_bytes = 1 << 20;
		def.write_buffer_bytes = 1 << 20;
		o = &def;
	}
	o->path = dir;
	o->create_if_missing = true;
	struct eng *e = NULL;
	struct tk_errbuf eb;
	enum tk_err rc = eng_open(o, &e, &eb);
	ck_assert_msg(rc == TK_OK, "eng_open: %s", eb.msg);
	return e;
}

static inline void th_put(struct eng *e, enum eng_cf cf, const char *k, const char *v)
{
	struct eng_batch *b = eng_batch_new();
	eng_batch_put(b, cf, th_s(k), th_s(v));
	struct tk_errbuf eb;
	enum tk_err rc = eng_write(e, b, false, &eb);
	ck_assert_msg(rc == TK_OK, "eng_write: %s", eb.msg);
	eng_batch_free(b);
}

/* The value of k in cf as a static string, or NULL when absent. */
static inline const char *th_get(struct eng *e, enum eng_cf cf, const char *k)
{
	static char out[4096];
	struct tk_buf v;
	tk_buf_init(&v);
	bool found;
	struct tk_errbuf eb;
	enum tk_err rc = eng_get(e, cf, th_s(k), &v, &found, &eb);
	ck_assert_msg(rc == TK_OK, "eng_get: %s", eb.msg);
	const char *res = NULL;
	if (found) {
		ck_assert_uint_lt(v.len, sizeof out);
		memcpy(out, v.data, v.len);
		out[v.len] = '\0';
		res = out;
	}
	tk_buf_destroy(&v);
	return res;
}

#endif
