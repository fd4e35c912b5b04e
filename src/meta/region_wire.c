/* Regions on the wire (region_wire.h). */
#include <string.h>

#include "meta/region_wire.h"

enum tk_err region_from_wire(struct tk_arena *a, const struct tk_sched_region *w, struct region *r,
                             struct tk_errbuf *eb)
{
	memset(r, 0, sizeof *r);
	if (!w)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region is missing");
	r->id = w->id;
	r->start_key = w->start.p;
	r->start_len = w->start.n;
	r->end_key = w->end.p;
	r->end_len = w->end.n;
	r->epoch.conf_ver = w->conf_ver;
	r->epoch.version = w->version;
	if (w->peers.n > REGION_MAX_PEERS)
		return tk_err_set(eb, TK_E_BAD_REQUEST,
		                  "region %llu has %u peers, at most %d are allowed",
		                  (unsigned long long)w->id, w->peers.n, REGION_MAX_PEERS);
	struct region_peer *p = tk_arena_alloc(a, sizeof *p * (w->peers.n ? w->peers.n : 1));
	if (!p)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < w->peers.n; i++)
		p[i] = (struct region_peer){w->peers.v[i].id, w->peers.v[i].store};
	r->peers = p;
	r->n_peers = w->peers.n;
	return TK_OK;
}

struct tk_sched_region *region_to_wire(struct tk_arena *a, const struct region *r)
{
	struct tk_sched_region *w = tk_arena_alloc(a, sizeof *w);
	struct tk_sched_peer *p = tk_arena_alloc(a, sizeof *p * (r->n_peers ? r->n_peers : 1));
	if (!w || !p)
		return NULL;
	memset(w, 0, sizeof *w);
	w->id = r->id;
	w->start = tk_slice_of(r->start_len ? (const void *)r->start_key : "", r->start_len);
	w->end = tk_slice_of(r->end_len ? (const void *)r->end_key : "", r->end_len);
	w->conf_ver = r->epoch.conf_ver;
	w->version = r->epoch.version;
	for (size_t i = 0; i < r->n_peers; i++)
		p[i] = (struct tk_sched_peer){.id = r->peers[i].id, .store = r->peers[i].store_id};
	w->peers.v = p;
	w->peers.n = (uint32_t)r->n_peers;
	return w;
}
