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
 * Connections are served one after another (one client at a time).
 *
 * Other kinds (tkv_fake_new):
 *   TKV_FAKE_SCHEDULER  a tinykv-scheduler of cluster 42: is_bootstrapped,
 *       alloc_id (from 1000), get_ts (from 1 << 18), put_store, get_store
 *       (NOT_FOUND for an unknown id), store_heartbeat, region_heartbeat
 *       (region 7 gets an add_peer step of peer 70 on store 3); get_ts of
 *       count 999 is never answered.  It answers the requests it has read
 *       together in reverse order, so replies only match by id.
 *   TKV_FAKE_RAW        not a tinykv server: answers whatever comes with the
 *       bytes given to tkv_fake_set_raw, then closes. */

#ifndef TK_CLIENT_FAKE_SERVER_H
#define TK_CLIENT_FAKE_SERVER_H

#include <stddef.h>

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
/* Stop the thread (after the current client disconnects) and free. */
void tkv_fake_stop(struct tkv_fake *f);

#endif
