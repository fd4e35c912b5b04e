/* Region errors as the client hands them out (struct tkv_region_error,
 * tinykv.h): a view over a decoded error object for callbacks, and a
 * packed copy the blocking client keeps until its next call. */
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "util/arena.h"

bool tkv_is_region_error(enum tk_err code)
{
	switch (code) {
	case TK_E_NOT_LEADER:
	case TK_E_EPOCH_NOT_MATCH:
	case TK_E_REGION_NOT_FOUND:
	case TK_E_KEY_NOT_IN_REGION:
	case TK_E_STALE_COMMAND:
	case TK_E_SERVER_IS_BUSY:
		return true;
	default:
		return false;
	}
}

static const char *cstr(struct tk_arena *a, struct tk_slice s)
{
	char *p = tk_arena_alloc(a, s.n + 1);
	if (p) {
		if (s.n)
			memcpy(p, s.p, s.n);
		p[s.n] = 0;
	}
	return p;
}

bool tkv_region_error_view(struct tk_arena *a, enum tk_err code, const struct tk_error *w,
                           struct tkv_region_error *out)
{
	memset(out, 0, sizeof *out);
	out->code = code;
	out->region_id = w->region;
	if (w->leader)
		out->leader = (struct tkv_peer){w->leader->id, w->leader->store};
	out->leader_addr = cstr(a, w->leader_addr);
	out->reason = cstr(a, w->reason);
	out->key = w->key.p;
	out->key_len = w->key.n;
	out->backoff_ms = w->backoff_ms;
	if (!out->leader_addr || !out->reason)
		return false;
	if (!w->regions.n)
		return true;
	struct tkv_region *rs = tk_arena_alloc(a, sizeof *rs * w->regions.n);
	if (!rs)
		return false;
	for (uint32_t i = 0; i < w->regions.n; i++) {
		const struct tk_sched_region *r = &w->regions.v[i];
		struct tkv_peer *peers =
		    tk_arena_alloc(a, sizeof *peers * (r->peers.n ? r->peers.n : 1));
		if (!peers)
			return false;
		for (uint32_t j = 0; j < r->peers.n; j++)
			peers[j] = (struct tkv_peer){r->peers.v[j].id, r->peers.v[j].store};
		rs[i] = (struct tkv_region){.id = r->id,
		                            .start = r->start.p,
		                            .start_len = r->start.n,
		                            .end = r->end.p,
		                            .end_len = r->end.n,
		                            .conf_ver = r->conf_ver,
		                            .version = r->version,
		                            .peers = peers,
		                            .n_peers = r->peers.n};
	}
	out->regions = rs;
	out->n_regions = w->regions.n;
	return true;
}

/* Copies into one block: the struct first, then regions, peers, bytes. */
struct pack {
	char *p;
};

static const void *put(struct pack *k, const void *src, size_t n)
{
	char *d = k->p;
	if (n)
		memcpy(d, src, n);
	k->p += n;
	return d;
}

/* Bytes and strings go last, so the aligned parts come first. */
static const char *put_str(struct pack *k, const char *s)
{
	size_t n = strlen(s ? s : "") + 1;
	return put(k, s ? s : "", n);
}

struct tkv_region_error *tkv_region_error_pack(const struct tkv_region_error *in)
{
	size_t n_peers = 0, bytes = 0;
	for (size_t i = 0; i < in->n_regions; i++) {
		n_peers += in->regions[i].n_peers;
		bytes += in->regions[i].start_len + in->regions[i].end_len;
	}
	bytes += in->key_len + strlen(in->leader_addr ? in->leader_addr : "") + 1 +
	         strlen(in->reason ? in->reason : "") + 1;
	size_t total = sizeof *in + sizeof(struct tkv_region) * in->n_regions +
	               sizeof(struct tkv_peer) * n_peers + bytes;
	struct tkv_region_error *out = malloc(total);
	if (!out)
		return NULL;
	*out = *in;
	struct pack k = {(char *)(out + 1)};
	struct tkv_region *rs = (struct tkv_region *)k.p;
	k.p += sizeof *rs * in->n_regions;
	for (size_t i = 0; i < in->n_regions; i++) {
		rs[i] = in->regions[i];
		rs[i].peers =
		    put(&k, in->regions[i].peers, sizeof(struct tkv_peer) * rs[i].n_peers);
	}
	for (size_t i = 0; i < in->n_regions; i++) {
		rs[i].start = put(&k, in->regions[i].start, rs[i].start_len);
		rs[i].end = put(&k, in->regions[i].end, rs[i].end_len);
	}
	out->regions = in->n_regions ? rs : NULL;
	out->key = in->key ? put(&k, in->key, in->key_len) : NULL;
	out->leader_addr = put_str(&k, in->leader_addr);
	out->reason = put_str(&k, in->reason);
	return out;
}
