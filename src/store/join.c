/* Cluster membership at startup (tinykvd --scheduler): who this store is.
 *
 * Runs before the store serves, with the blocking scheduler client (the
 * reactor does not run yet).  Every step is recorded in the data dir before
 * the next one is asked of the scheduler, and the whole procedure starts
 * over from what the data dir holds, so a crash or a scheduler that goes
 * away half-way is resumed by the next attempt or the next start:
 *
 *   no identity, cluster not bootstrapped: alloc_ids for a store, a region
 *     and a peer; record the identity (cluster id, store id, mode cluster);
 *     create the region locally (every key, one peer on this store); then
 *     bootstrap(store, region), which also registers the store;
 *   no identity, cluster bootstrapped: alloc_ids for a store; record it;
 *     put_store (the store holds no region until the scheduler adds peers);
 *   an identity: put_store with the current address.  If the cluster is
 *     still not bootstrapped (a crash before the bootstrap call), bootstrap
 *     with the region recorded (created first if the crash came before it).
 *
 * The bootstrap race: two new stores may both find the cluster not
 * bootstrapped and both create a region.  The scheduler accepts one
 * bootstrap; the other store gets ALREADY_BOOTSTRAPPED, drops its region
 * (nothing was ever written to it: the store has not served) and joins as
 * a store without regions.  The same check runs on every start: a pristine
 * bootstrap region (epoch 1/1, one peer, on this store, an empty log) that
 * a bootstrapped scheduler does not know is such a loser's leftover. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "engine/ident.h"
#include "engine/raft_keys.h"
#include "raftstore/region_state.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

/* The region this store created to bootstrap the cluster, if it holds one
 * (*region_id 0 otherwise): a live region with epoch 1/1, one peer, on
 * this store, and no log entry. */
static enum tk_err bootstrap_region(struct eng *e, uint64_t store_id, uint64_t *region_id,
                                    uint64_t *peer_id, size_t *n_regions, struct tk_errbuf *eb)
{
	uint64_t ids[4];
	size_t n = 0;
	*region_id = 0;
	enum tk_err rc = store_local_regions(e, store_id, ids, 4, &n, eb);
	*n_regions = n;
	if (rc != TK_OK || n != 1)
		return rc;
	struct eng_key k = eng_key_region_state(ids[0]);
	struct tk_buf v;
	tk_buf_init(&v);
	bool found = false;
	struct rs_region_state rs;
	rs_region_state_init(&rs);
	rc = eng_get_key(e, &k, &v, &found, eb);
	if (rc == TK_OK && found)
		rc = rs_region_state_decode(tk_slice_of(v.data, v.len), &rs, eb);
	bool pristine = rc == TK_OK && found && rs.region.epoch.conf_ver == 1 &&
	                rs.region.epoch.version == 1 && rs.region.n_peers == 1 &&
	                rs.region.peers[0].store_id == store_id;
	if (pristine) {
		struct eng_key lo = eng_key_raft_log(ids[0], 0), hi = eng_key_raft_log_end(ids[0]);
		struct eng_iter *it =
		    eng_iter_new(e, NULL, lo.cf, eng_key_slice(&lo), eng_key_slice(&hi));
		if (!it) {
			rc = tk_err_set(eb, TK_E_NOMEM, "out of memory");
		} else {
			eng_iter_seek_first(it);
			pristine = !eng_iter_valid(it);
			rc = eng_iter_status(it, eb);
			eng_iter_free(it);
		}
	}
	if (rc == TK_OK && pristine) {
		*region_id = ids[0];
		*peer_id = rs.region.peers[0].id;
	}
	rs_region_state_destroy(&rs);
	tk_buf_destroy(&v);
	return rc;
}

/* Delete a pristine region's records (region state, raft and apply state),
 * synced. */
static enum tk_err drop_region(struct eng *e, uint64_t region_id, struct tk_errbuf *eb)
{
	struct eng_batch *b = eng_batch_new();
	if (!b)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	struct eng_key lo = eng_key_raft_region_lo(region_id),
	               hi = eng_key_raft_region_hi(region_id);
	struct eng_iter *it = eng_iter_new(e, NULL, lo.cf, eng_key_slice(&lo), eng_key_slice(&hi));
	enum tk_err rc = it ? TK_OK : tk_err_set(eb, TK_E_NOMEM, "out of memory");
	if (it) {
		for (eng_iter_seek_first(it); eng_iter_valid(it); eng_iter_next(it))
			eng_batch_delete(b, lo.cf, eng_iter_key(it));
		rc = eng_iter_status(it, eb);
		eng_iter_free(it);
	}
	struct eng_key rk = eng_key_region_state(region_id);
	eng_batch_delete_key(b, &rk);
	if (rc == TK_OK)
		rc = eng_write(e, b, true, eb);
	eng_batch_free(b);
	return rc;
}

/* Wait on the reactor (its listener disabled), so that SIGTERM still stops
 * a store waiting for its scheduler.  False when a signal asked to stop. */
static bool pause_ms(struct store *s, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(s->net.base, &tv);
	event_base_dispatch(s->net.base);
	return !s->net.shutting_down;
}

static bool transport_error(enum tk_err e)
{
	return e == TK_E_CONNECTION || e == TK_E_TIMEOUT || e == TK_E_CLOSED;
}

static enum tk_err record_identity(struct store *s, uint64_t cluster_id, uint64_t store_id,
                                   struct tk_errbuf *eb)
{
	struct eng_ident want = {.cluster_id = cluster_id, .store_id = store_id};
	snprintf(want.mode, sizeof want.mode, ENG_IDENT_MODE_CLUSTER);
	enum tk_err rc = eng_ident_check_or_init(s->net.eng, &want, &s->net.ident, eb);
	if (rc == TK_OK)
		LOG_INFO("joined cluster %llu as store %llu (recorded in %s)",
		         (unsigned long long)cluster_id, (unsigned long long)store_id,
		         s->net.cfg.data_dir);
	return rc;
}

/* One attempt; transport errors make the caller try again. */
static enum tk_err join_once(struct store *s, bool *have_ident, struct tk_errbuf *eb)
{
	struct net_config *cfg = &s->net.cfg;
	struct tkv_sched_config sc;
	tkv_sched_config_default(&sc);
	sc.address = cfg->scheduler;
	sc.role = "store";
	sc.name = "tinykvd";
	sc.connect_timeout_ms = 2000;
	sc.timeout_ms = 10000;
	/* a recorded cluster id is checked by the scheduler's hello */
	sc.cluster_id = *have_ident ? s->net.ident.cluster_id : cfg->cluster_id;
	struct tkv_sched *c = NULL;
	enum tk_err rc = tkv_sched_connect(&sc, &c, eb);
	if (rc == TK_E_CLUSTER_MISMATCH && *have_ident) {
		tk_err_wrap(eb, rc, "data dir %s belongs to store %llu of cluster %llu",
		            cfg->data_dir, (unsigned long long)s->net.ident.store_id,
		            (unsigned long long)s->net.ident.cluster_id);
		goto out;
	}
	if (rc != TK_OK)
		goto out;
	uint64_t cluster_id = tkv_sched_cluster_id(c);
	bool bootstrapped = false;
	if ((rc = tkv_sched_is_bootstrapped(c, &bootstrapped, eb)) != TK_OK)
		goto out;
	if (!*have_ident) {
		uint64_t first;
		if ((rc = tkv_sched_alloc_ids(c, bootstrapped ? 1 : 3, &first, eb)) != TK_OK)
			goto out;
		if ((rc = record_identity(s, cluster_id, first, eb)) != TK_OK)
			goto out;
		*have_ident = true;
		if (!bootstrapped && (rc = store_region_bootstrap(s->net.eng, first + 1, first + 2,
		                                                  first, eb)) != TK_OK)
			goto out;
	}
	uint64_t store_id = s->net.ident.store_id;
	uint64_t region_id = 0, peer_id = 0;
	size_t n_regions = 0;
	rc = bootstrap_region(s->net.eng, store_id, &region_id, &peer_id, &n_regions, eb);
	if (rc != TK_OK)
		goto out;
	if (!bootstrapped && n_regions && !region_id) {
		/* never bootstrap a cluster around a region that has served */
		rc = tk_err_set(eb, TK_E_DATA_DIR,
		                "cluster %llu is not bootstrapped, but data dir %s holds regions "
		                "that served it (was the scheduler's data dir lost?); refusing to "
		                "bootstrap a new cluster over them",
		                (unsigned long long)cluster_id, s->net.cfg.data_dir);
		goto out;
	}
	if (!bootstrapped) {
		if (!region_id) {
			/* a crash between recording the identity and the region */
			uint64_t first;
			if ((rc = tkv_sched_alloc_ids(c, 2, &first, eb)) != TK_OK)
				goto out;
			region_id = first;
			peer_id = first + 1;
			rc = store_region_bootstrap(s->net.eng, region_id, peer_id, store_id, eb);
			if (rc != TK_OK)
				goto out;
		}
		struct tkv_peer peer = {peer_id, store_id};
		struct tkv_region r = {.id = region_id,
		                       .start = (const uint8_t *)"",
		                       .end = (const uint8_t *)"",
		                       .conf_ver = 1,
		                       .version = 1,
		                       .peers = &peer,
		                       .n_peers = 1};
		rc = tkv_sched_bootstrap(c, store_id, s->advertise, &r, eb);
		if (rc == TK_OK) {
			LOG_INFO("bootstrapped cluster %llu: store %llu at %s, region %llu",
			         (unsigned long long)cluster_id, (unsigned long long)store_id,
			         s->advertise, (unsigned long long)region_id);
			goto out;
		}
		if (rc != TK_E_ALREADY_BOOTSTRAPPED)
			goto out;
		LOG_INFO("cluster %llu was bootstrapped by another store meanwhile: joining it",
		         (unsigned long long)cluster_id);
	}
	if (region_id) {
		/* ours, unless the scheduler knows it (our bootstrap won but we
		 * crashed before hearing so) */
		struct tkv_region_info *ri = NULL;
		rc = tkv_sched_get_region_by_id(c, region_id, &ri, eb);
		tkv_free(ri);
		if (rc == TK_E_REGION_NOT_FOUND) {
			LOG_INFO(
			    "dropping region %llu: it lost the bootstrap race and was never served",
			    (unsigned long long)region_id);
			rc = drop_region(s->net.eng, region_id, eb);
		}
		if (rc != TK_OK)
			goto out;
	}
	rc = tkv_sched_put_store(c, store_id, s->advertise, eb);
	if (rc == TK_OK)
		LOG_INFO("registered store %llu at %s with cluster %llu",
		         (unsigned long long)store_id, s->advertise,
		         (unsigned long long)cluster_id);
out:
	tkv_sched_close(c);
	return rc;
}

enum tk_err store_join(struct store *s, struct tk_errbuf *eb)
{
	struct eng_ident have;
	bool found = false;
	enum tk_err rc = eng_ident_read(s->net.eng, &have, &found, eb);
	if (rc != TK_OK)
		return rc;
	if (found && strcmp(have.mode, ENG_IDENT_MODE_CLUSTER) != 0)
		return tk_err_set(
		    eb, TK_E_DATA_DIR,
		    "data dir %s is a %s store's: it cannot join a cluster (its store "
		    "id and region were not allocated by the scheduler and would clash "
		    "with the cluster's); start it without --scheduler, or give a new "
		    "data dir",
		    s->net.cfg.data_dir, have.mode);
	if (found && s->net.cfg.cluster_id && have.cluster_id != s->net.cfg.cluster_id)
		return tk_err_set(eb, TK_E_CLUSTER_MISMATCH,
		                  "data dir %s belongs to cluster %llu, not cluster %llu",
		                  s->net.cfg.data_dir, (unsigned long long)have.cluster_id,
		                  (unsigned long long)s->net.cfg.cluster_id);
	if (found && s->net.cfg.store_id && have.store_id != s->net.cfg.store_id)
		return tk_err_set(eb, TK_E_STORE_MISMATCH,
		                  "data dir %s belongs to store %llu, not store %llu",
		                  s->net.cfg.data_dir, (unsigned long long)have.store_id,
		                  (unsigned long long)s->net.cfg.store_id);
	if (!found && s->net.cfg.store_id)
		return tk_err_set(eb, TK_E_BAD_CONFIG,
		                  "--store-id: a cluster store gets its id from the scheduler");
	if (found)
		s->net.ident = have;
	uint64_t deadline = tk_mono_ns() + (uint64_t)STORE_JOIN_WAIT_S * 1000000000ull;
	unsigned wait_ms = 100;
	bool said = false;
	for (;;) {
		tk_err_clear(eb);
		rc = join_once(s, &found, eb);
		if (!transport_error(rc) || tk_mono_ns() >= deadline)
			break;
		if (!said)
			LOG_WARN("waiting for the scheduler at %s (up to %ds): %s",
			         s->net.cfg.scheduler, STORE_JOIN_WAIT_S, eb->msg);
		said = true;
		if (!pause_ms(s, wait_ms))
			return tk_err_set(eb, TK_E_SHUTTING_DOWN,
			                  "stopped while waiting for the scheduler");
		wait_ms = wait_ms * 2 > 1000 ? 1000 : wait_ms * 2;
	}
	if (transport_error(rc))
		tk_err_wrap(eb, rc, "the scheduler at %s stayed unreachable for %ds",
		            s->net.cfg.scheduler, STORE_JOIN_WAIT_S);
	return rc;
}
