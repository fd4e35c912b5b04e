/* Scheduler client conversions: see sched_conv.h. */
#include "client/sched_conv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/err.h"

struct tk_sched_region *tkv_sconv_region_in(struct tk_arena *a, const struct tkv_region *r)
{
	struct tk_sched_region *w = tk_arena_alloc(a, sizeof *w);
	struct tk_sched_peer *p = tk_arena_alloc(a, sizeof *p * (r->n_peers ? r->n_peers : 1));
	if (!w || !p)
		return NULL;
	memset(w, 0, sizeof *w);
	w->id = r->id;
	w->start = tk_slice_of(r->start_len ? (const void *)r->start : "", r->start_len);
	w->end = tk_slice_of(r->end_len ? (const void *)r->end : "", r->end_len);
	w->conf_ver = r->conf_ver;
	w->version = r->version;
	for (size_t i = 0; i < r->n_peers; i++) {
		memset(&p[i], 0, sizeof p[i]);
		p[i].id = r->peers[i].id;
		p[i].store = r->peers[i].store_id;
	}
	w->peers.v = p;
	w->peers.n = (uint32_t)r->n_peers;
	return w;
}

bool tkv_sconv_hb_in(struct tk_arena *a, uint64_t cluster, const struct tkv_region_hb *hb,
                     struct tk_region_heartbeat_req *req)
{
	memset(req, 0, sizeof *req);
	struct tk_sched_peer *leader = tk_arena_alloc(a, sizeof *leader);
	if (!leader)
		return false;
	memset(leader, 0, sizeof *leader);
	leader->id = hb->leader.id;
	leader->store = hb->leader.store_id;
	req->cluster = cluster;
	req->region = tkv_sconv_region_in(a, &hb->region);
	req->leader = leader;
	req->pending = (struct tk_u64list){(uint64_t *)hb->pending, (uint32_t)hb->n_pending};
	struct tk_sched_down_peer *down = NULL;
	if (hb->n_down) {
		down = tk_arena_alloc(a, sizeof *down * hb->n_down);
		if (!down)
			return false;
		for (size_t i = 0; i < hb->n_down; i++) {
			memset(&down[i], 0, sizeof down[i]);
			down[i].peer = hb->down[i].id;
			down[i].secs = hb->down[i].store_id;
		}
	}
	req->down = (struct tk_sched_down_peer_list){down, (uint32_t)hb->n_down};
	req->size = hb->size;
	req->keys = hb->keys;
	return req->region != NULL;
}

enum tk_err tkv_sconv_region_view(struct tk_arena *a, const struct tk_sched_region_info *w,
                                  struct tkv_region_info *out, struct tk_errbuf *err)
{
	memset(out, 0, sizeof *out);
	if (!w->region)
		return tk_err_set(err, TK_E_PROTOCOL, "region info without a region");
	const struct tk_sched_region *r = w->region;
	struct tkv_peer *peers = tk_arena_alloc(a, sizeof *peers * (r->peers.n ? r->peers.n : 1));
	char *addr = tk_arena_alloc(a, w->leader_addr.n + 1);
	if (!peers || !addr)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < r->peers.n; i++)
		peers[i] = (struct tkv_peer){r->peers.v[i].id, r->peers.v[i].store};
	if (w->leader_addr.n)
		memcpy(addr, w->leader_addr.p, w->leader_addr.n);
	addr[w->leader_addr.n] = 0;
	out->region.id = r->id;
	out->region.start = r->start.p;
	out->region.start_len = r->start.n;
	out->region.end = r->end.p;
	out->region.end_len = r->end.n;
	out->region.conf_ver = r->conf_ver;
	out->region.version = r->version;
	out->region.peers = peers;
	out->region.n_peers = r->peers.n;
	if (w->leader)
		out->leader = (struct tkv_peer){w->leader->id, w->leader->store};
	out->leader_addr = addr;
	out->size = w->size;
	out->keys = w->keys;
	out->n_pending = w->pending.n;
	out->n_down = w->down.n;
	return TK_OK;
}

/* Copy n bytes and a NUL to *pp (advanced); returns where they went. */
static uint8_t *put_bytes(uint8_t **pp, const void *src, size_t n)
{
	uint8_t *p = *pp;
	if (n)
		memcpy(p, src, n);
	p[n] = 0;
	*pp = p + n + 1;
	return p;
}

enum tk_err tkv_sconv_regions_pack(const struct tkv_region_info *in, size_t n,
                                   struct tkv_region_info **out, struct tk_errbuf *err)
{
	size_t total = sizeof(struct tkv_region_info) * n;
	for (size_t i = 0; i < n; i++)
		total += sizeof(struct tkv_peer) * in[i].region.n_peers + in[i].region.start_len +
		         in[i].region.end_len + strlen(in[i].leader_addr) + 3 +
		         _Alignof(struct tkv_peer);
	struct tkv_region_info *v = malloc(total ? total : 1);
	if (!v)
		return tk_err_set(err, TK_E_NOMEM, "out of memory");
	uint8_t *p = (uint8_t *)(v + n);
	for (size_t i = 0; i < n; i++) {
		v[i] = in[i];
		/* keep each peers array aligned */
		uintptr_t al = _Alignof(struct tkv_peer);
		p = (uint8_t *)(((uintptr_t)p + al - 1) & ~(al - 1));
		struct tkv_peer *peers = (struct tkv_peer *)(void *)p;
		if (in[i].region.n_peers)
			memcpy(peers, in[i].region.peers, sizeof *peers * in[i].region.n_peers);
		v[i].region.peers = peers;
		p += sizeof *peers * in[i].region.n_peers;
		v[i].region.start = put_bytes(&p, in[i].region.start, in[i].region.start_len);
		v[i].region.end = put_bytes(&p, in[i].region.end, in[i].region.end_len);
		v[i].leader_addr =
		    (const char *)put_bytes(&p, in[i].leader_addr, strlen(in[i].leader_addr));
	}
	*out = v;
	return TK_OK;
}

void tkv_sconv_store_out(const struct tk_sched_store *w, struct tkv_store_info *o)
{
	memset(o, 0, sizeof *o);
	o->id = w->id;
	snprintf(o->addr, sizeof o->addr, "%.*s", (int)w->addr.n, (const char *)w->addr.p);
	snprintf(o->state, sizeof o->state, "%.*s", (int)w->state.n, (const char *)w->state.p);
	o->capacity = w->capacity;
	o->available = w->available;
	o->region_count = w->region_count;
	o->leader_count = w->leader_count;
	o->region_size = w->region_size;
	o->hb_age_ms = w->hb_age_ms;
}

enum tk_err tkv_sconv_step_out(const struct tk_sched_step *w, struct tkv_op_step *step,
                               struct tk_errbuf *err)
{
	if (tk_slice_eq(w->kind, tk_slice_str("add_peer")))
		step->kind = TKV_STEP_ADD_PEER;
	else if (tk_slice_eq(w->kind, tk_slice_str("remove_peer")))
		step->kind = TKV_STEP_REMOVE_PEER;
	else if (tk_slice_eq(w->kind, tk_slice_str("transfer_leader")))
		step->kind = TKV_STEP_TRANSFER_LEADER;
	else
		return tk_err_set(err, TK_E_PROTOCOL, "unknown step kind '%.*s'", (int)w->kind.n,
		                  (const char *)w->kind.p);
	step->peer_id = w->peer;
	step->store_id = w->store;
	return TK_OK;
}
