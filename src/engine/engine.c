/* The storage engine over LevelDB: open/close, point reads, snapshots, write
 * batches, and recovery from failed writes (disk full).  Iterators live in
 * iter.c. */
#include "engine/engine.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "engine/engine_int.h"

#define MiB ((size_t)1 << 20)

static const char *const cf_names[] = {
	[ENG_CF_META] = "meta",   [ENG_CF_RAW] = "raw",     [ENG_CF_DEFAULT] = "default",
	[ENG_CF_LOCK] = "lock",   [ENG_CF_WRITE] = "write", [ENG_CF_RAFT] = "raft",
};

const char *eng_cf_name(enum eng_cf cf)
{
	return eng_cf_valid(cf) ? cf_names[cf] : "unknown";
}

void eng_options_default(struct eng_options *o)
{
	memset(o, 0, sizeof *o);
	o->create_if_missing = false;
	o->block_cache_bytes = 64 * MiB;
	o->write_buffer_bytes = 8 * MiB;
	o->bloom_bits_per_key = 10;
	o->compression = true;
	o->max_open_files = 1000;
	o->block_size = 16 * 1024;
	o->min_free_bytes = 0;
	o->verify_checksums = true;
}

const uint8_t *eng_prefix_key(struct tk_buf *scratch, uint8_t *stack, enum eng_cf cf,
			      struct tk_slice key)
{
	uint8_t *dst = stack;
	if (key.n + 1 > ENG_STACK_KEY) {
		tk_buf_reset(scratch);
		if (!tk_buf_reserve(scratch, key.n + 1))
			return NULL;
		dst = scratch->data;
	}
	dst[0] = (uint8_t)cf;
	if (key.n)
		memcpy(dst + 1, key.p, key.n);
	return dst;
}

enum tk_err eng_map_leveldb_error(const char *msg)
{
	/* LevelDB reports errno through strerror() text inside an "IO error"
	 * status; its status codes themselves are not exposed by the C API. */
	if (strstr(msg, "No space left on device") || strstr(msg, "Disk quota exceeded"))
		return TK_E_NO_SPACE;
	if (strncmp(msg, "Corruption", 10) == 0)
		return TK_E_CORRUPTION;
	return TK_E_IO;
}

/* ---- opening ---- */

/* Check that path/db looks like a LevelDB before handing it to LevelDB, so a
 * directory that is not one is refused with a clear message and without
 * LevelDB touching it (opening rotates LOG and creates LOCK). */
static enum tk_err precheck_db(const char *path, const char *dbpath, struct tk_errbuf *eb)
{
	char cur[4096], buf[256];
	snprintf(cur, sizeof cur, "%s/CURRENT", dbpath);
	int fd = open(cur, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return tk_err_set(eb, TK_E_DATA_DIR,
					  "data dir %s: %s has no CURRENT file, so it is "
					  "not a LevelDB database (or its creation was interrupted); "
					  "refusing to start; nothing was changed",
					  path, dbpath);
		return tk_err_set(eb, TK_E_DATA_DIR, "data dir %s: cannot read %s: %s", path,
				  cur, strerror(errno));
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	int rerr = errno;
	close(fd);
	if (n < 0)
		return tk_err_set(eb, TK_E_DATA_DIR, "data dir %s: cannot read %s: %s", path,
				  cur, strerror(rerr));
	buf[n] = '\0';
	/* CURRENT is "MANIFEST-<digits>\n" and nothing else. */
	size_t i = 9;
	bool ok = n > 10 && strncmp(buf, "MANIFEST-", 9) == 0;
	while (ok && i < (size_t)n && isdigit((unsigned char)buf[i]))
		i++;
	ok = ok && i > 9 && i + 1 == (size_t)n && buf[i] == '\n';
	if (!ok)
		return tk_err_set(eb, TK_E_CORRUPTION,
				  "data dir %s is corrupt: %s does not name a MANIFEST file; "
				  "refusing to start; nothing was changed",
				  path, cur);
	buf[i] = '\0';
	char man[4096 + 64];
	snprintf(man, sizeof man, "%s/%s", dbpath, buf);
	struct stat st;
	if (stat(man, &st) != 0)
		return tk_err_set(eb, TK_E_CORRUPTION,
				  "data dir %s is corrupt: CURRENT names %s which is missing (%s); "
				  "refusing to start; nothing was changed",
				  path, man, strerror(errno));
	return TK_OK;
}

static enum tk_err open_db(struct eng *e, bool creating, struct tk_errbuf *eb)
{
	/* Also on reopen: LevelDB would create path/db, LOCK and LOG before
	 * noticing that the database is gone. */
	if (!creating) {
		enum tk_err rc = precheck_db(e->path, e->dbpath, eb);
		if (rc != TK_OK)
			return rc;
	}
	char *err = NULL;
	e->db = leveldb_open(e->lopts, e->dbpath, &err);
	if (!err)
		return TK_OK;
	e->db = NULL;
	enum tk_err code = eng_map_leveldb_error(err);
	if (code == TK_E_CORRUPTION)
		tk_err_set(eb, code, "data dir %s is corrupt: %s; refusing to start; nothing was changed",
			   e->path, err);
	else if (code == TK_E_NO_SPACE)
		tk_err_set(eb, code, "data dir %s: cannot open LevelDB: %s", e->path, err);
	else
		code = tk_err_set(eb, TK_E_DATA_DIR, "data dir %s: cannot open LevelDB: %s",
				  e->path, err);
	leveldb_free(err);
	return code;
}

static void free_eng(struct eng *e)
{
	if (e->db)
		leveldb_close(e->db);
	if (e->lopts)
		leveldb_options_destroy(e->lopts);
	if (e->cache)
		leveldb_cache_destroy(e->cache);
	if (e->filter)
		leveldb_filterpolicy_destroy(e->filter);
	if (e->ropts)
		leveldb_readoptions_destroy(e->ropts);
	if (e->ropts_snap)
		leveldb_readoptions_destroy(e->ropts_snap);
	if (e->wopts)
		leveldb_writeoptions_destroy(e->wopts);
	if (e->wopts_sync)
		leveldb_writeoptions_destroy(e->wopts_sync);
	tk_buf_destroy(&e->scratch);
	free(e->path);
	free(e->dbpath);
	free(e);
}

enum tk_err eng_open(const struct eng_options *o, struct eng **out, struct tk_errbuf *eb)
{
	*out = NULL;
	if (!o->path || !o->path[0])
		return tk_err_set(eb, TK_E_BAD_CONFIG, "engine: no data dir path");
	if (o->write_buffer_bytes == 0 || o->block_size == 0 || o->max_open_files <= 0 ||
	    o->bloom_bits_per_key < 0)
		return tk_err_set(eb, TK_E_BAD_CONFIG,
				  "engine: write buffer, block size and max open files must be "
				  "positive, bloom bits per key not negative");
	struct eng *e = calloc(1, sizeof *e);
	if (!e)
		return tk_err_set(eb, TK_E_NOMEM, "engine: out of memory");
	e->opts = *o;
	size_t pn = strlen(o->path);
	e->path = strdup(o->path);
	e->dbpath = malloc(pn + 4);
	if (!e->path || !e->dbpath) {
		free_eng(e);
		return tk_err_set(eb, TK_E_NOMEM, "engine: out of memory");
	}
	e->opts.path = e->path;
	snprintf(e->dbpath, pn + 4, "%s/db", o->path);

	enum tk_err rc;
	struct stat st;
	bool creating = false;
	if (stat(e->dbpath, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			rc = tk_err_set(eb, TK_E_DATA_DIR, "data dir %s: %s is not a directory",
					e->path, e->dbpath);
			goto fail;
		}
	} else if (errno == ENOENT) {
		if (!o->create_if_missing) {
			rc = tk_err_set(eb, TK_E_DATA_DIR,
					"data dir %s has no database (%s is missing) and "
					"create_if_missing is off",
					e->path, e->dbpath);
			goto fail;
		}
		if ((rc = eng_mkdir_p(e->path, eb)) != TK_OK)
			goto fail;
		creating = true;
	} else {
		rc = tk_err_set(eb, TK_E_DATA_DIR, "data dir %s: cannot stat %s: %s", e->path,
				e->dbpath, strerror(errno));
		goto fail;
	}

	e->lopts = leveldb_options_create();
	e->cache = leveldb_cache_create_lru(o->block_cache_bytes);
	if (o->bloom_bits_per_key > 0)
		e->filter = leveldb_filterpolicy_create_bloom(o->bloom_bits_per_key);
	e->ropts = leveldb_readoptions_create();
	e->ropts_snap = leveldb_readoptions_create();
	e->wopts = leveldb_writeoptions_create();
	e->wopts_sync = leveldb_writeoptions_create();
	/* Only a missing path/db is created; error_if_exists guards against a
	 * race with another creator. */
	leveldb_options_set_create_if_missing(e->lopts, creating);
	leveldb_options_set_error_if_exists(e->lopts, creating);
	/* Paranoid: a corrupt WAL record or MANIFEST fails the open instead of
	 * being skipped, and a bad block found by compaction stops writes. */
	leveldb_options_set_paranoid_checks(e->lopts, 1);
	leveldb_options_set_cache(e->lopts, e->cache);
	if (e->filter)
		leveldb_options_set_filter_policy(e->lopts, e->filter);
	leveldb_options_set_write_buffer_size(e->lopts, o->write_buffer_bytes);
	leveldb_options_set_max_open_files(e->lopts, o->max_open_files);
	leveldb_options_set_block_size(e->lopts, o->block_size);
	leveldb_options_set_compression(e->lopts, o->compression ? leveldb_snappy_compression
								 : leveldb_no_compression);
	/* Checksums are verified when a block is read from a file (cached blocks
	 * were verified when loaded); see eng_options.verify_checksums. */
	leveldb_readoptions_set_verify_checksums(e->ropts, o->verify_checksums);
	leveldb_readoptions_set_verify_checksums(e->ropts_snap, o->verify_checksums);
	leveldb_writeoptions_set_sync(e->wopts, 0);
	leveldb_writeoptions_set_sync(e->wopts_sync, 1);

	if ((rc = open_db(e, creating, eb)) != TK_OK)
		goto fail;
	/* Reopens after a write error never create. */
	leveldb_options_set_create_if_missing(e->lopts, 0);
	leveldb_options_set_error_if_exists(e->lopts, 0);
	*out = e;
	return TK_OK;
fail:
	free_eng(e);
	return rc;
}

void eng_close(struct eng *e)
{
	if (e)
		free_eng(e);
}

const char *eng_path(const struct eng *e)
{
	return e->path;
}

/* ---- reads ---- */

static enum tk_err no_db(struct eng *e, struct tk_errbuf *eb)
{
	e->st.read_errors++;
	return tk_err_set(eb, TK_E_IO,
			  "data dir %s: database is closed after a failed reopen (%s)", e->path,
			  e->degraded_msg);
}

static enum tk_err get_with(struct eng *e, const leveldb_readoptions_t *ro, enum eng_cf cf,
			    struct tk_slice key, struct tk_buf *val, bool *found,
			    struct tk_errbuf *eb)
{
	*found = false;
	tk_buf_reset(val);
	if (!eng_cf_valid(cf))
		return tk_err_set(eb, TK_E_INTERNAL, "engine get: bad column %d", (int)cf);
	if (!e->db)
		return no_db(e, eb);
	uint8_t stack[ENG_STACK_KEY];
	const uint8_t *k = eng_prefix_key(&e->scratch, stack, cf, key);
	if (!k)
		return tk_err_set(eb, TK_E_NOMEM, "engine get: out of memory");
	char *err = NULL;
	size_t vlen = 0;
	char *v = leveldb_get(e->db, ro, (const char *)k, key.n + 1, &vlen, &err);
	if (err) {
		enum tk_err code = eng_map_leveldb_error(err);
		e->st.read_errors++;
		if (code == TK_E_CORRUPTION)
			tk_err_set(eb, code, "data dir %s is corrupt: get %s: %s", e->path,
				   eng_cf_name(cf), err);
		else
			tk_err_set(eb, code, "engine get %s: %s", eng_cf_name(cf), err);
		leveldb_free(err);
		return code;
	}
	if (!v)
		return TK_OK;
	*found = true;
	/* leveldb_get hands over malloc()ed memory (leveldb_free is free()).
	 * When the caller's buffer is too small anyway, adopt it instead of
	 * growing and copying; otherwise copy and keep the warm buffer. */
	if (vlen > val->cap) {
		free(val->data);
		val->data = (uint8_t *)v;
		val->len = val->cap = vlen;
		return TK_OK;
	}
	if (vlen)
		memcpy(val->data, v, vlen);
	val->len = vlen;
	leveldb_free(v);
	return TK_OK;
}

enum tk_err eng_get(struct eng *e, enum eng_cf cf, struct tk_slice key, struct tk_buf *val,
		    bool *found, struct tk_errbuf *eb)
{
	return get_with(e, e->ropts, cf, key, val, found, eb);
}

struct eng_snap {
	const leveldb_snapshot_t *ls; /* NULL: taken while the db was closed */
};

struct eng_snap *eng_snapshot(struct eng *e)
{
	struct eng_snap *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	if (e->db)
		s->ls = leveldb_create_snapshot(e->db);
	e->st.live_handles++;
	return s;
}

void eng_snap_release(struct eng *e, struct eng_snap *s)
{
	if (!s)
		return;
	/* Reopen waits until no snapshot is live, so s->ls belongs to e->db. */
	if (s->ls && e->db)
		leveldb_release_snapshot(e->db, s->ls);
	e->st.live_handles--;
	free(s);
}

const leveldb_snapshot_t *eng_snap_leveldb(const struct eng_snap *s)
{
	return s->ls;
}

enum tk_err eng_snap_get(struct eng *e, const struct eng_snap *s, enum eng_cf cf,
			 struct tk_slice key, struct tk_buf *val, bool *found,
			 struct tk_errbuf *eb)
{
	if (!s->ls) {
		*found = false;
		tk_buf_reset(val);
		return no_db(e, eb);
	}
	leveldb_readoptions_set_snapshot(e->ropts_snap, s->ls);
	enum tk_err rc = get_with(e, e->ropts_snap, cf, key, val, found, eb);
	leveldb_readoptions_set_snapshot(e->ropts_snap, NULL);
	return rc;
}

/* ---- write batches ---- */

struct eng_batch {
	leveldb_writebatch_t *wb;
	size_t count, bytes;
	enum tk_err err; /* a put/delete that could not be recorded */
	struct tk_buf scratch;
};

struct eng_batch *eng_batch_new(void)
{
	struct eng_batch *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->wb = leveldb_writebatch_create();
	tk_buf_init(&b->scratch);
	return b;
}

void eng_batch_free(struct eng_batch *b)
{
	if (!b)
		return;
	leveldb_writebatch_destroy(b->wb);
	tk_buf_destroy(&b->scratch);
	free(b);
}

static const uint8_t *batch_key(struct eng_batch *b, uint8_t *stack, enum eng_cf cf,
				struct tk_slice key)
{
	if (!eng_cf_valid(cf)) {
		b->err = TK_E_INTERNAL;
		return NULL;
	}
	const uint8_t *k = eng_prefix_key(&b->scratch, stack, cf, key);
	if (!k)
		b->err = TK_E_NOMEM;
	return k;
}

void eng_batch_put(struct eng_batch *b, enum eng_cf cf, struct tk_slice key, struct tk_slice val)
{
	uint8_t stack[ENG_STACK_KEY];
	const uint8_t *k = batch_key(b, stack, cf, key);
	if (!k)
		return;
	leveldb_writebatch_put(b->wb, (const char *)k, key.n + 1, (const char *)val.p, val.n);
	b->count++;
	b->bytes += key.n + 1 + val.n;
}

void eng_batch_delete(struct eng_batch *b, enum eng_cf cf, struct tk_slice key)
{
	uint8_t stack[ENG_STACK_KEY];
	const uint8_t *k = batch_key(b, stack, cf, key);
	if (!k)
		return;
	leveldb_writebatch_delete(b->wb, (const char *)k, key.n + 1);
	b->count++;
	b->bytes += key.n + 1;
}

void eng_batch_clear(struct eng_batch *b)
{
	leveldb_writebatch_clear(b->wb);
	b->count = b->bytes = 0;
	b->err = TK_OK;
}

void eng_batch_append(struct eng_batch *dst, const struct eng_batch *src)
{
	leveldb_writebatch_append(dst->wb, src->wb);
	dst->count += src->count;
	dst->bytes += src->bytes;
	if (src->err && !dst->err)
		dst->err = src->err;
}

struct batch_visit {
	eng_batch_visit_fn fn;
	void *arg;
	bool bad;
};

static void visit_op(struct batch_visit *v, const char *k, size_t klen, const char *val,
                     size_t vlen, bool del)
{
	if (klen == 0 || !eng_cf_valid((enum eng_cf)(uint8_t)k[0])) {
		v->bad = true;
		return;
	}
	v->fn(v->arg, (enum eng_cf)(uint8_t)k[0], tk_slice_of(k + 1, klen - 1),
	      tk_slice_of(val ? val : "", vlen), del);
}

static void visit_put(void *arg, const char *k, size_t klen, const char *v, size_t vlen)
{
	visit_op(arg, k, klen, v, vlen, false);
}

static void visit_delete(void *arg, const char *k, size_t klen)
{
	visit_op(arg, k, klen, NULL, 0, true);
}

enum tk_err eng_batch_iterate(const struct eng_batch *b, eng_batch_visit_fn fn, void *arg)
{
	if (b->err)
		return b->err;
	struct batch_visit v = {fn, arg, false};
	leveldb_writebatch_iterate(b->wb, &v, visit_put, visit_delete);
	return v.bad ? TK_E_CORRUPTION : TK_OK;
}

size_t eng_batch_count(const struct eng_batch *b)
{
	return b->count;
}

size_t eng_batch_bytes(const struct eng_batch *b)
{
	return b->bytes;
}

/* ---- writes and recovery ---- */

static uint64_t min_free_bytes(const struct eng *e)
{
	if (e->opts.min_free_bytes)
		return e->opts.min_free_bytes;
	uint64_t need = 2 * (uint64_t)e->opts.write_buffer_bytes + MiB;
	return need > 4 * MiB ? need : 4 * MiB;
}

/* After a failed write LevelDB may be in a sticky error state (a failed WAL
 * sync or compaction fails every later write), and even when it is not, the
 * WAL may end in a torn record: appending after it would put garbage in the
 * middle of the log, which a paranoid reopen then refuses as corruption.
 * So a degraded engine never writes to the old instance again: it reopens
 * (LevelDB replays the WAL, ignoring a torn tail) once there is room, and
 * only when no snapshot or iterator points into the old instance. */
static enum tk_err recover(struct eng *e, struct tk_errbuf *eb)
{
	if (e->degraded_code == TK_E_CORRUPTION)
		return tk_err_set(eb, TK_E_CORRUPTION,
				  "data dir %s is corrupt (%s); writes refused until restart",
				  e->path, e->degraded_msg);
	if (e->st.live_handles > 0)
		return tk_err_set(eb, e->degraded_code,
				  "engine degraded after a write error (%s); reopen postponed "
				  "while %llu snapshots/iterators are live",
				  e->degraded_msg, (unsigned long long)e->st.live_handles);
	struct statvfs sv;
	if (statvfs(e->path, &sv) == 0) {
		uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize, need = min_free_bytes(e);
		if (avail < need)
			return tk_err_set(eb, TK_E_NO_SPACE,
					  "data dir %s has %llu bytes free, %llu needed to recover "
					  "from a write error (%s)",
					  e->path, (unsigned long long)avail,
					  (unsigned long long)need, e->degraded_msg);
	}
	if (e->db) {
		leveldb_close(e->db);
		e->db = NULL;
	}
	struct tk_errbuf oeb;
	enum tk_err rc = open_db(e, false, &oeb);
	if (rc != TK_OK) {
		/* Stay degraded; reads report TK_E_IO until a reopen works. */
		snprintf(e->degraded_msg, sizeof e->degraded_msg, "reopen failed: %s", oeb.msg);
		if (rc == TK_E_CORRUPTION)
			e->degraded_code = rc;
		return tk_err_set(eb, rc, "engine reopen after a write error: %s", oeb.msg);
	}
	e->st.reopens++;
	e->st.degraded = false;
	return TK_OK;
}

void eng_inject_write_failure(struct eng *e, uint64_t n, enum tk_err code)
{
	e->inject_after = n;
	e->inject_code = code;
}

/* An armed injected failure, as a malloc()ed LevelDB-style message. */
static char *injected_failure(struct eng *e)
{
	if (e->inject_code == TK_OK)
		return NULL;
	if (e->inject_after > 0) {
		e->inject_after--;
		return NULL;
	}
	const char *m = e->inject_code == TK_E_NO_SPACE
				? "IO error: injected failure: No space left on device"
				: "IO error: injected failure";
	e->inject_code = TK_OK;
	return strdup(m);
}

enum tk_err eng_write(struct eng *e, struct eng_batch *b, bool sync, struct tk_errbuf *eb)
{
	if (b->err != TK_OK)
		return tk_err_set(eb, b->err, "engine write: batch is invalid (%s)",
				  tk_strerror(b->err));
	if (e->st.degraded || !e->db) {
		enum tk_err rc = recover(e, eb);
		if (rc != TK_OK) {
			e->st.write_errors++;
			return rc;
		}
	}
	char *err = injected_failure(e);
	if (!err)
		leveldb_write(e->db, sync ? e->wopts_sync : e->wopts, b->wb, &err);
	if (err) {
		enum tk_err code = eng_map_leveldb_error(err);
		e->st.write_errors++;
		e->st.degraded = true;
		e->degraded_code = code;
		snprintf(e->degraded_msg, sizeof e->degraded_msg, "%s", err);
		if (code == TK_E_CORRUPTION)
			tk_err_set(eb, code, "data dir %s is corrupt: write batch: %s", e->path,
				   err);
		else
			tk_err_set(eb, code, "data dir %s: write batch: %s", e->path, err);
		leveldb_free(err);
		return code;
	}
	e->st.writes++;
	if (sync)
		e->st.synced_writes++;
	return TK_OK;
}

/* ---- sizes, stats, properties ---- */

uint64_t eng_approximate_size(struct eng *e, enum eng_cf cf, struct tk_slice start,
			      struct tk_slice end)
{
	if (!e->db || !eng_cf_valid(cf))
		return 0;
	struct tk_buf sb, lb;
	tk_buf_init(&sb);
	tk_buf_init(&lb);
	uint64_t size = 0;
	uint8_t c = (uint8_t)cf, c1 = (uint8_t)(cf + 1);
	bool ok = tk_buf_append_byte(&sb, c) && tk_buf_append(&sb, start.p, start.p ? start.n : 0);
	if (end.p)
		ok = ok && tk_buf_append_byte(&lb, c) && tk_buf_append(&lb, end.p, end.n);
	else
		ok = ok && tk_buf_append_byte(&lb, c1);
	if (ok) {
		const char *s = (const char *)sb.data, *l = (const char *)lb.data;
		leveldb_approximate_sizes(e->db, 1, &s, &sb.len, &l, &lb.len, &size);
	}
	tk_buf_destroy(&sb);
	tk_buf_destroy(&lb);
	return size;
}

void eng_get_stats(const struct eng *e, struct eng_stats *out)
{
	*out = e->st;
}

bool eng_property(struct eng *e, const char *name, struct tk_buf *out)
{
	tk_buf_reset(out);
	if (!e->db)
		return false;
	char *v = leveldb_property_value(e->db, name);
	if (!v)
		return false;
	bool ok = tk_buf_append(out, v, strlen(v));
	leveldb_free(v);
	return ok;
}
