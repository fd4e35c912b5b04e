/* A fake tinykv store for unit tests (never linked into libtinykv): a thread
 * serving the framed protocol on 127.0.0.1 with an in-memory sorted map, so
 * the client library and the CLI can be tested without tinykvd.
 *
 * Scripted misbehaviour, keyed by the request's key:
 *   get "slow"        never answered
 *   get "drop"        the connection is closed without a reply
 *   delete "nospace"  answered with error NO_SPACE "disk full"
 *   put "" ...        answered with error BAD_REQUEST (like tinykvd)
 *   get "not_leader"  NOT_LEADER region 2, leader peer 6 on store 3 at
 *                     127.0.0.1:20162 ("no_leader": none known)
 *   get "epoch"       EPOCH_NOT_MATCH region 2, now regions 2 ["", m) and
 *                     8 [m, +inf), epoch 1/2, peers 4-6 / 9-11 on stores 1-3
 *   get "no_region"   REGION_NOT_FOUND region 9
 *   get "zebra"       KEY_NOT_IN_REGION region 2 ["", m)
 *   get "stale"       STALE_COMMAND region 2
 *   get "busy"        SERVER_IS_BUSY region 2, apply_queue_full, 20 ms
 *   get "future"      NOT_LEADER with fields a newer server might send and
 *                     malformed ones (leader_addr a number, a region
 *                     without an id): region 2, leader peer 6 on store 3
 * Each connection is served by its own thread; the state (data, scripts,
 * counters) is shared under a lock.
 *
 * Cluster mode (tkv_fake_set_cluster): the fake is store `store_id` of a
 * cluster whose regions it is told, and checks every raw_* and kv_*
 * request as tinykvd does (proto-spec/errors.md, "Region context"): with
 * a ctx, STORE_NOT_MATCH, REGION_NOT_FOUND, EPOCH_NOT_MATCH (with all the
 * regions it knows), NOT_LEADER (with the leader's peer, store and
 * address as told), KEY_NOT_IN_REGION for a key outside the region;
 * without one, the region of the (first) key must be led here, else
 * NOT_LEADER with the hint.  Then the scripts (tkv_fake_script) apply,
 * and the request is served from the fake's own map (a kv_prewrite or
 * kv_commit is answered with success and its keys recorded; kv_scan_lock
 * finds no lock; kv_gc answers deleted 1).
 *
 * Other kinds (tkv_fake_new):
 *   TKV_FAKE_SCHEDULER  a tinykv-scheduler of cluster 42: is_bootstrapped,
 *       alloc_id (from 1000), get_ts (from 1 << 18), put_store, get_store
 *       (NOT_FOUND for an unknown id), store_heartbeat, region_heartbeat
 *       (region 7 gets an add_peer step of peer 70 on store 3); get_ts of
 *       count 999 is never answered.  It answers the requests it has read
 *       together in reverse order, so replies only match by id.
 *       In cluster mode (tkv_fake_set_cluster) it also routes: get_region,
 *       get_region_by_id and scan_regions from the regions it is told
 *       (without: NOT_BOOTSTRAPPED), get_store from the stores told.
 *   TKV_FAKE_RAW        not a tinykv server: answers whatever comes with the
 *       bytes given to tkv_fake_set_raw, then closes. */

#ifndef TK_CLIENT_FAKE_SERVER_H
#define TK_CLIENT_FAKE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tkv_fake_kind { TKV_FAKE_STORE, TKV_FAKE_SCHEDULER, TKV_FAKE_RAW };

struct tkv_fake;

/* Start listening on a free port; aborts the test process on failure. */
struct tkv_fake *tkv_fake_start(void);
/* A fake of this kind bound to a free port but not listening yet, so that
 * connections are refused until tkv_fake_listen. */
struct tkv_fake *tkv_fake_new(enum tkv_fake_kind kind);
void tkv_fake_listen(struct tkv_fake *f);
/* TKV_FAKE_RAW: the bytes to answer (copied; call before tkv_fake_listen). */
void tkv_fake_set_raw(struct tkv_fake *f, const void *p, size_t n);
/* "127.0.0.1:PORT" */
const char *tkv_fake_address(const struct tkv_fake *f);
/* Connections accepted so far. */
int tkv_fake_accepts(const struct tkv_fake *f);
/* A region as a fake knows it: up to 3 peers; the leader is told by its
 * store (0: none known) and the address a NOT_LEADER names ("": none). */
struct tkv_fake_region {
	uint64_t id;
	const char *start, *end; /* "": -inf / +inf */
	uint64_t conf_ver, version;
	uint64_t peer_ids[3], store_ids[3];
	size_t n_peers;
	uint64_t leader_store;
	const char *leader_addr;
};
/* Cluster mode: this fake is store store_id (0 for the scheduler), and
 * knows these regions (copied; replaces what it knew: a split is a new
 * call).  Callable while clients are connected. */
void tkv_fake_set_cluster(struct tkv_fake *f, uint64_t store_id, const struct tkv_fake_region *r,
                          size_t n);
/* The scheduler fake: the address of a store (get_store). */
void tkv_fake_add_store(struct tkv_fake *f, uint64_t id, const char *addr);

/* Scripts for the next requests that pass the region checks (cluster
 * mode), each for the next n of them:
 *   BUSY        answered SERVER_IS_BUSY "proposal_queue_full" with backoff_ms arg
 *   MUTE_WRITES a write is applied and never answered (its outcome unknown)
 *   DROP_READS  a read's connection is closed without a reply */
enum tkv_fake_script { TKV_FAKE_BUSY, TKV_FAKE_MUTE_WRITES, TKV_FAKE_DROP_READS };
void tkv_fake_script(struct tkv_fake *f, enum tkv_fake_script what, unsigned n, unsigned arg);
/* Requests received of a message type (enum tk_msg_type), hello and ping
 * included; -1: all but hello. */
unsigned tkv_fake_count(const struct tkv_fake *f, int type);
/* The keys of the kv_prewrite (kv_commit) requests served, in order,
 * comma-separated ("a,b,"), into buf. */
void tkv_fake_txn_keys(const struct tkv_fake *f, bool commit, char *buf, size_t cap);

/* Stop the thread (after the current client disconnects) and free. */
void tkv_fake_stop(struct tkv_fake *f);

#endif
