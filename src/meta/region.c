#include "meta/region.h"

#include <stdlib.h>

bool region_contains(const struct region *r, struct tk_slice key)
{
	if (tk_slice_cmp(key, region_start(r)) < 0)
		return false;
	return r->end_len == 0 || tk_slice_cmp(key, region_end(r)) < 0;
}

bool region_overlaps(const struct region *a, const struct region *b)
{
	/* a.start < b.end && b.start < a.end, with empty end = +inf. */
	if (b->end_len && tk_slice_cmp(region_start(a), region_end(b)) >= 0)
		return false;
	if (a->end_len && tk_slice_cmp(region_start(b), region_end(a)) >= 0)
		return false;
	return true;
}

const struct region_peer *region_store_peer(const struct region *r, uint64_t store_id)
{
	for (size_t i = 0; i < r->n_peers; i++)
		if (r->peers[i].store_id == store_id)
			return &r->peers[i];
	return NULL;
}

const struct region_peer *region_peer_by_id(const struct region *r, uint64_t peer_id)
{
	for (size_t i = 0; i < r->n_peers; i++)
		if (r->peers[i].id == peer_id)
			return &r->peers[i];
	return NULL;
}

const struct region_peer *region_leader(const struct region *r)
{
	return r->leader_peer_id ? region_peer_by_id(r, r->leader_peer_id) : NULL;
}

uint64_t region_leader_store(const struct region *r)
{
	const struct region_peer *p = region_leader(r);
	return p ? p->store_id : 0;
}

bool region_peer_is_pending(const struct region *r, uint64_t peer_id)
{
	for (size_t i = 0; i < r->n_pending; i++)
		if (r->pending_peer_ids[i] == peer_id)
			return true;
	return false;
}

bool region_peer_is_down(const struct region *r, uint64_t peer_id)
{
	for (size_t i = 0; i < r->n_down; i++)
		if (r->down_peers[i].peer_id == peer_id)
			return true;
	return false;
}

bool region_meta_equal(const struct region *a, const struct region *b)
{
	if (a->id != b->id || a->epoch.conf_ver != b->epoch.conf_ver ||
	    a->epoch.version != b->epoch.version || a->leader_peer_id != b->leader_peer_id ||
	    a->n_peers != b->n_peers)
		return false;
	if (!tk_slice_eq(region_start(a), region_start(b)) ||
	    !tk_slice_eq(region_end(a), region_end(b)))
		return false;
	for (size_t i = 0; i < a->n_peers; i++)
		if (a->peers[i].id != b->peers[i].id ||
		    a->peers[i].store_id != b->peers[i].store_id)
			return false;
	return true;
}

enum tk_err region_validate(const struct region *r, struct tk_errbuf *eb)
{
	if (r->id == 0)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region id 0");
	if (r->end_len && tk_slice_cmp(region_start(r), region_end(r)) >= 0)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu: start key >= end key",
		                  (unsigned long long)r->id);
	if (r->n_peers > REGION_MAX_PEERS || r->n_pending > REGION_MAX_PEERS ||
	    r->n_down > REGION_MAX_PEERS)
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu: too many peers",
		                  (unsigned long long)r->id);
	for (size_t i = 0; i < r->n_peers; i++) {
		const struct region_peer *p = &r->peers[i];
		if (p->id == 0 || p->store_id == 0)
			return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu: peer with id 0",
			                  (unsigned long long)r->id);
		for (size_t j = 0; j < i; j++)
			if (r->peers[j].id == p->id || r->peers[j].store_id == p->store_id)
				return tk_err_set(eb, TK_E_BAD_REQUEST,
				                  "region %llu: duplicate peer or store %llu",
				                  (unsigned long long)r->id,
				                  (unsigned long long)p->store_id);
	}
	if (r->leader_peer_id && !region_peer_by_id(r, r->leader_peer_id))
		return tk_err_set(eb, TK_E_BAD_REQUEST, "region %llu: leader %llu is not a peer",
		                  (unsigned long long)r->id, (unsigned long long)r->leader_peer_id);
	for (size_t i = 0; i < r->n_pending; i++)
		if (!region_peer_by_id(r, r->pending_peer_ids[i]))
			return tk_err_set(
			    eb, TK_E_BAD_REQUEST, "region %llu: pending peer %llu is not a peer",
			    (unsigned long long)r->id, (unsigned long long)r->pending_peer_ids[i]);
	for (size_t i = 0; i < r->n_down; i++)
		if (!region_peer_by_id(r, r->down_peers[i].peer_id))
			return tk_err_set(eb, TK_E_BAD_REQUEST,
			                  "region %llu: down peer %llu is not a peer",
			                  (unsigned long long)r->id,
			                  (unsigned long long)r->down_peers[i].peer_id);
	return TK_OK;
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

void *region_dup(const struct region *r, size_t header, struct region **out)
{
	size_t off_reg = align8(header);
	size_t off_peers = off_reg + align8(sizeof(struct region));
	size_t off_pending = off_peers + align8(r->n_peers * sizeof(struct region_peer));
	size_t off_down = off_pending + align8(r->n_pending * sizeof(uint64_t));
	size_t off_start = off_down + align8(r->n_down * sizeof(struct region_down_peer));
	size_t off_end = off_start + r->start_len;
	size_t total = off_end + r->end_len;
	uint8_t *blk = malloc(total);
	if (!blk)
		return NULL;
	memset(blk, 0, off_peers);
	struct region *c = (struct region *)(blk + off_reg);
	*c = *r;
	struct region_peer *peers = (struct region_peer *)(blk + off_peers);
	uint64_t *pending = (uint64_t *)(blk + off_pending);
	struct region_down_peer *down = (struct region_down_peer *)(blk + off_down);
	if (r->n_peers)
		memcpy(peers, r->peers, r->n_peers * sizeof(*peers));
	if (r->n_pending)
		memcpy(pending, r->pending_peer_ids, r->n_pending * sizeof(*pending));
	if (r->n_down)
		memcpy(down, r->down_peers, r->n_down * sizeof(*down));
	if (r->start_len)
		memcpy(blk + off_start, r->start_key, r->start_len);
	if (r->end_len)
		memcpy(blk + off_end, r->end_key, r->end_len);
	c->peers = peers;
	c->pending_peer_ids = pending;
	c->down_peers = down;
	c->start_key = blk + off_start;
	c->end_key = blk + off_end;
	*out = c;
	return blk;
}
