#include "scheduler/persist.h"

#include <stdio.h>
#include <string.h>

/* ---- a bounds-checked reader ---- */

struct rd {
	const uint8_t *p;
	size_t n;
	bool bad;
};

static const uint8_t *take(struct rd *r, size_t k)
{
	if (r->bad || r->n < k) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += k;
	r->n -= k;
	return p;
}

static uint64_t rd64(struct rd *r)
{
	const uint8_t *p = take(r, 8);
	return p ? tk_get_be64(p) : 0;
}

static uint32_t rd32(struct rd *r)
{
	const uint8_t *p = take(r, 4);
	return p ? tk_get_be32(p) : 0;
}

static uint16_t rd16(struct rd *r)
{
	const uint8_t *p = take(r, 2);
	return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

static uint8_t rd8(struct rd *r)
{
	const uint8_t *p = take(r, 1);
	return p ? p[0] : 0;
}

static enum tk_err open_rd(struct rd *r, struct tk_slice in, const char *what,
			   struct tk_errbuf *eb)
{
	r->p = in.p;
	r->n = in.n;
	r->bad = false;
	if (in.n == 0)
		return tk_err_set(eb, TK_E_CORRUPTION, "%s: empty record", what);
	uint8_t v = rd8(r);
	if (v != PERSIST_VERSION)
		return tk_err_set(eb, TK_E_CORRUPTION, "%s: unknown format version %u", what, v);
	return TK_OK;
}

static enum tk_err close_rd(const struct rd *r, const char *what, struct tk_errbuf *eb)
{
	if (r->bad)
		return tk_err_set(eb, TK_E_CORRUPTION, "%s: truncated record", what);
	if (r->n)
		return tk_err_set(eb, TK_E_CORRUPTION, "%s: %zu trailing bytes", what, r->n);
	return TK_OK;
}

/* Re-label an error from a lower layer as corruption of a record. */
static enum tk_err corrupt(struct tk_errbuf *eb, const char *what)
{
	return tk_err_wrap(eb, TK_E_CORRUPTION, "%s", what);
}

/* ---- writer helpers ---- */

static bool w64(struct tk_buf *b, uint64_t v)
{
	uint8_t x[8];
	tk_put_be64(x, v);
	return tk_buf_append(b, x, 8);
}

static bool w32(struct tk_buf *b, uint32_t v)
{
	uint8_t x[4];
	tk_put_be32(x, v);
	return tk_buf_append(b, x, 4);
}

static bool w16(struct tk_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	return tk_buf_append(b, x, 2);
}

static bool start(struct tk_buf *b)
{
	tk_buf_reset(b);
	return tk_buf_append_byte(b, PERSIST_VERSION);
}

/* ---- keys ---- */

static bool id_key(struct tk_buf *out, const char *prefix, uint64_t id)
{
	tk_buf_reset(out);
	return tk_buf_append(out, prefix, strlen(prefix)) && w64(out, id);
}

bool persist_store_key(struct tk_buf *out, uint64_t store_id)
{
	return id_key(out, PERSIST_PREFIX_STORE, store_id);
}

bool persist_region_key(struct tk_buf *out, uint64_t region_id)
{
	return id_key(out, PERSIST_PREFIX_REGION, region_id);
}

bool persist_key_id(struct tk_slice key, const char *prefix, uint64_t *id)
{
	size_t pl = strlen(prefix);
	if (key.n != pl + 8 || memcmp(key.p, prefix, pl) != 0)
		return false;
	*id = tk_get_be64(key.p + pl);
	return true;
}

/* ---- records ---- */

bool persist_encode_store(struct tk_buf *out, const struct store *s)
{
	size_t al = strlen(s->address);
	return start(out) && w64(out, s->id) && tk_buf_append_byte(out, (uint8_t)s->admin) &&
	       w16(out, (uint16_t)al) && tk_buf_append(out, s->address, al);
}

enum tk_err persist_decode_store(struct tk_slice in, struct persist_store_rec *out,
				 struct tk_errbuf *eb)
{
	struct rd r;
	enum tk_err err = open_rd(&r, in, "store record", eb);
	if (err)
		return err;
	uint64_t id = rd64(&r);
	uint8_t admin = rd8(&r);
	uint16_t al = rd16(&r);
	const uint8_t *addr = take(&r, al);
	if ((err = close_rd(&r, "store record", eb)))
		return err;
	if (id == 0 || admin > STORE_ADMIN_TOMBSTONE || al >= STORE_ADDRESS_MAX ||
	    memchr(addr, 0, al))
		return tk_err_set(eb, TK_E_CORRUPTION, "store record: bad field (id %llu)",
				  (unsigned long long)id);
	out->id = id;
	out->admin = (enum store_admin)admin;
	memcpy(out->address, addr, al);
	out->address[al] = 0;
	return TK_OK;
}

bool persist_encode_region(struct tk_buf *out, const struct region *r)
{
	bool ok = start(out) && w64(out, r->id) && w64(out, r->epoch.conf_ver) &&
		  w64(out, r->epoch.version) && w64(out, r->leader_peer_id) &&
		  w32(out, (uint32_t)r->start_len) &&
		  tk_buf_append(out, r->start_key, r->start_len) &&
		  w32(out, (uint32_t)r->end_len) && tk_buf_append(out, r->end_key, r->end_len) &&
		  w16(out, (uint16_t)r->n_peers);
	for (size_t i = 0; ok && i < r->n_peers; i++)
		ok = w64(out, r->peers[i].id) && w64(out, r->peers[i].store_id);
	return ok;
}

enum tk_err persist_decode_region(struct tk_slice in, struct region *out,
				  struct region_peer peers[PERSIST_MAX_PEERS],
				  struct tk_errbuf *eb)
{
	struct rd r;
	enum tk_err err = open_rd(&r, in, "region record", eb);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	out->id = rd64(&r);
	out->epoch.conf_ver = rd64(&r);
	out->epoch.version = rd64(&r);
	out->leader_peer_id = rd64(&r);
	out->start_len = rd32(&r);
	out->start_key = take(&r, out->start_len);
	out->end_len = rd32(&r);
	out->end_key = take(&r, out->end_len);
	uint16_t np = rd16(&r);
	if (!r.bad && np > PERSIST_MAX_PEERS)
		return tk_err_set(eb, TK_E_CORRUPTION, "region record: %u peers", np);
	for (uint16_t i = 0; i < np && !r.bad; i++) {
		peers[i].id = rd64(&r);
		peers[i].store_id = rd64(&r);
	}
	if ((err = close_rd(&r, "region record", eb)))
		return err;
	out->peers = peers;
	out->n_peers = np;
	if (region_validate(out, eb))
		return corrupt(eb, "region record");
	return TK_OK;
}

bool persist_encode_u64(struct tk_buf *out, uint64_t v)
{
	return start(out) && w64(out, v);
}

enum tk_err persist_decode_u64(struct tk_slice in, uint64_t *v, struct tk_errbuf *eb)
{
	struct rd r;
	enum tk_err err = open_rd(&r, in, "u64 record", eb);
	if (err)
		return err;
	uint64_t x = rd64(&r);
	if ((err = close_rd(&r, "u64 record", eb)))
		return err;
	*v = x;
	return TK_OK;
}

bool persist_encode_cluster(struct tk_buf *out, uint64_t cluster_id, bool bootstrapped)
{
	return start(out) && w64(out, cluster_id) && tk_buf_append_byte(out, bootstrapped);
}

enum tk_err persist_decode_cluster(struct tk_slice in, uint64_t *cluster_id, bool *bootstrapped,
				   struct tk_errbuf *eb)
{
	struct rd r;
	enum tk_err err = open_rd(&r, in, "cluster record", eb);
	if (err)
		return err;
	uint64_t id = rd64(&r);
	uint8_t b = rd8(&r);
	if ((err = close_rd(&r, "cluster record", eb)))
		return err;
	if (b > 1)
		return tk_err_set(eb, TK_E_CORRUPTION, "cluster record: bootstrap flag %u", b);
	*cluster_id = id;
	*bootstrapped = b;
	return TK_OK;
}

bool persist_encode_config(struct tk_buf *out, const struct sched_config *c)
{
	size_t n;
	const struct sched_config_setting *s = sched_config_settings(&n);
	struct tk_errbuf eb;
	if (!start(out))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!tk_buf_printf(out, "%s=", s[i].name) ||
		    sched_config_get(c, s[i].name, out, &eb) || !tk_buf_append_byte(out, '\n'))
			return false;
	}
	return true;
}

/* Split the text after the version byte into lines; call fn on each. */
static enum tk_err each_line(struct tk_slice in, const char *what,
			     enum tk_err (*fn)(void *arg, const char *line, struct tk_errbuf *eb),
			     void *arg, struct tk_errbuf *eb)
{
	struct rd r;
	enum tk_err err = open_rd(&r, in, what, eb);
	if (err)
		return err;
	while (r.n) {
		const uint8_t *nl = memchr(r.p, '\n', r.n);
		if (!nl)
			return tk_err_set(eb, TK_E_CORRUPTION, "%s: unterminated line", what);
		size_t len = (size_t)(nl - r.p);
		char line[256];
		if (len >= sizeof(line) || memchr(r.p, 0, len))
			return tk_err_set(eb, TK_E_CORRUPTION, "%s: bad line", what);
		memcpy(line, r.p, len);
		line[len] = 0;
		take(&r, len + 1);
		if ((err = fn(arg, line, eb)))
			return err;
	}
	return TK_OK;
}

static enum tk_err config_line(void *arg, const char *line, struct tk_errbuf *eb)
{
	char name[128];
	const char *eq = strchr(line, '=');
	if (!eq || (size_t)(eq - line) >= sizeof(name))
		return tk_err_set(eb, TK_E_CORRUPTION, "config record: bad line '%s'", line);
	memcpy(name, line, (size_t)(eq - line));
	name[eq - line] = 0;
	enum tk_err err = sched_config_set(arg, name, eq + 1, eb);
	if (err == TK_E_NOT_FOUND)
		return TK_OK; /* a setting a newer version dropped: ignore it */
	return err ? corrupt(eb, "config record") : TK_OK;
}

enum tk_err persist_decode_config(struct tk_slice in, struct sched_config *c,
				  struct tk_errbuf *eb)
{
	struct sched_config tmp = *c;
	enum tk_err err = each_line(in, "config record", config_line, &tmp, eb);
	if (!err)
		*c = tmp;
	return err;
}

bool persist_encode_schedulers(struct tk_buf *out, const struct sched_registry *reg)
{
	if (!start(out))
		return false;
	for (size_t i = 0; i < reg->n; i++)
		if (!tk_buf_printf(out, "%s\n", reg->active[i]->name))
			return false;
	return true;
}

static enum tk_err sched_line(void *arg, const char *line, struct tk_errbuf *eb)
{
	enum tk_err err = sched_registry_add(arg, line, eb);
	return err ? corrupt(eb, "schedulers record") : TK_OK;
}

enum tk_err persist_decode_schedulers(struct tk_slice in, struct sched_registry *reg,
				      struct tk_errbuf *eb)
{
	struct sched_registry tmp;
	memset(&tmp, 0, sizeof(tmp));
	enum tk_err err = each_line(in, "schedulers record", sched_line, &tmp, eb);
	if (!err)
		*reg = tmp;
	return err;
}
