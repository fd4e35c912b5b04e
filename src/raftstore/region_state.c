/* Region local state encoding; see region_state.h. */
#include "raftstore/region_state.h"

#include <string.h>

void rs_region_state_init(struct rs_region_state *s)
{
	memset(s, 0, sizeof *s);
	tk_buf_init(&s->region.start_key);
	tk_buf_init(&s->region.end_key);
}

void rs_region_state_destroy(struct rs_region_state *s)
{
	tk_buf_destroy(&s->region.start_key);
	tk_buf_destroy(&s->region.end_key);
	rs_region_state_init(s);
}

bool rs_region_set_range(struct rs_region *r, struct tk_slice start, struct tk_slice end)
{
	tk_buf_reset(&r->start_key);
	tk_buf_reset(&r->end_key);
	return tk_buf_append(&r->start_key, start.p, start.n) &&
	       tk_buf_append(&r->end_key, end.p, end.n);
}

enum tk_err rs_region_state_copy(struct rs_region_state *dst, const struct rs_region_state *src)
{
	if (dst == src)
		return TK_OK;
	struct tk_buf sk = dst->region.start_key, ek = dst->region.end_key;
	dst->state = src->state;
	dst->region = src->region;
	dst->region.start_key = sk;
	dst->region.end_key = ek;
	if (!rs_region_set_range(&dst->region, tk_buf_slice(&src->region.start_key),
	                         tk_buf_slice(&src->region.end_key)))
		return TK_E_NOMEM;
	return TK_OK;
}

const char *rs_peer_state_name(uint8_t state)
{
	switch (state) {
	case RS_PEER_NORMAL:
		return "normal";
	case RS_PEER_TOMBSTONE:
		return "tombstone";
	case RS_PEER_APPLYING:
		return "applying";
	default:
		return "unknown";
	}
}

enum tk_err rs_region_state_check(const struct rs_region_state *s, struct tk_errbuf *eb)
{
	const struct rs_region *r = &s->region;
	if (s->state > RS_PEER_APPLYING)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region state: unknown peer state %u",
		                  s->state);
	if (r->id == 0)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region state: region id 0");
	if (r->n_peers > RS_REGION_MAX_PEERS)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu: %u peers, at most %d",
		                  (unsigned long long)r->id, r->n_peers, RS_REGION_MAX_PEERS);
	for (uint32_t i = 0; i < r->n_peers; i++) {
		if (r->peers[i].id == 0 || r->peers[i].store_id == 0)
			return tk_err_set(eb, TK_E_BAD_REQUEST,
			                  "region %llu: peer %u has a zero id or store id",
			                  (unsigned long long)r->id, i);
		for (uint32_t j = 0; j < i; j++)
			if (r->peers[j].id == r->peers[i].id)
				return tk_err_set(
				    eb, TK_E_BAD_REQUEST, "region %llu: peer id %llu twice",
				    (unsigned long long)r->id, (unsigned long long)r->peers[i].id);
	}
	if (r->end_key.len &&
	    tk_slice_cmp(tk_buf_slice(&r->start_key), tk_buf_slice(&r->end_key)) >= 0)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu: start key not below end key",
		                  (unsigned long long)r->id);
	return TK_OK;
}

static bool put_u64(struct tk_buf *out, uint64_t v)
{
	uint8_t b[8];
	tk_put_be64(b, v);
	return tk_buf_append(out, b, 8);
}

static bool put_bytes(struct tk_buf *out, const struct tk_buf *v)
{
	uint8_t b[4];
	tk_put_be32(b, (uint32_t)v->len);
	return tk_buf_append(out, b, 4) && tk_buf_append(out, v->data, v->len);
}

bool rs_region_state_encode(const struct rs_region_state *s, struct tk_buf *out)
{
	const struct rs_region *r = &s->region;
	bool ok = tk_buf_append_byte(out, RS_REGION_STATE_V1) &&
	          tk_buf_append_byte(out, s->state) && put_u64(out, r->id) &&
	          put_u64(out, r->epoch.conf_ver) && put_u64(out, r->epoch.version) &&
	          put_bytes(out, &r->start_key) && put_bytes(out, &r->end_key) &&
	          tk_buf_append_byte(out, (uint8_t)r->n_peers);
	for (uint32_t i = 0; ok && i < r->n_peers; i++)
		ok = put_u64(out, r->peers[i].id) && put_u64(out, r->peers[i].store_id);
	return ok;
}

/* A bounds-checked reader over the record. */
struct rd {
	struct tk_slice in;
	size_t off;
	bool short_read;
};

static const uint8_t *take(struct rd *r, size_t n)
{
	if (r->in.n - r->off < n) {
		r->short_read = true;
		return NULL;
	}
	const uint8_t *p = r->in.p + r->off;
	r->off += n;
	return p;
}

static uint8_t get_u8(struct rd *r)
{
	const uint8_t *p = take(r, 1);
	return p ? p[0] : 0;
}

static uint64_t get_u64(struct rd *r)
{
	const uint8_t *p = take(r, 8);
	return p ? tk_get_be64(p) : 0;
}

static struct tk_slice get_bytes(struct rd *r)
{
	const uint8_t *p = take(r, 4);
	size_t n = p ? tk_get_be32(p) : 0;
	const uint8_t *d = take(r, n);
	return d ? tk_slice_of(d, n) : tk_slice_of(NULL, 0);
}

enum tk_err rs_region_state_decode(struct tk_slice in, struct rs_region_state *s,
                                   struct tk_errbuf *eb)
{
	struct rd r = {.in = in};
	uint8_t ver = get_u8(&r);
	if (!r.short_read && ver != RS_REGION_STATE_V1)
		return tk_err_set(eb, TK_E_CORRUPTION, "region state: unknown encoding version %u",
		                  ver);
	struct rs_region_state d;
	rs_region_state_init(&d);
	d.state = get_u8(&r);
	d.region.id = get_u64(&r);
	d.region.epoch.conf_ver = get_u64(&r);
	d.region.epoch.version = get_u64(&r);
	struct tk_slice start = get_bytes(&r);
	struct tk_slice end = get_bytes(&r);
	uint8_t n = get_u8(&r);
	if (!r.short_read && n > RS_REGION_MAX_PEERS)
		return tk_err_set(eb, TK_E_CORRUPTION, "region state: %u peers, at most %d", n,
		                  RS_REGION_MAX_PEERS);
	d.region.n_peers = n;
	for (uint32_t i = 0; !r.short_read && i < n; i++) {
		d.region.peers[i].id = get_u64(&r);
		d.region.peers[i].store_id = get_u64(&r);
	}
	if (r.short_read)
		return tk_err_set(eb, TK_E_CORRUPTION, "region state: truncated record (%zu bytes)",
		                  in.n);
	if (r.off != in.n)
		return tk_err_set(eb, TK_E_CORRUPTION, "region state: %zu trailing bytes",
		                  in.n - r.off);
	if (!rs_region_set_range(&d.region, start, end)) {
		rs_region_state_destroy(&d);
		return tk_err_set(eb, TK_E_NOMEM, "region state: out of memory");
	}
	enum tk_err rc = rs_region_state_check(&d, eb);
	if (rc != TK_OK) {
		rs_region_state_destroy(&d);
		eb->code = TK_E_CORRUPTION;
		return TK_E_CORRUPTION;
	}
	rs_region_state_destroy(s);
	*s = d;
	return TK_OK;
}
