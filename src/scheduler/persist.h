/* On-disk encodings of the scheduler's metadata, and their keys.
 *
 * Every value starts with a version byte (PERSIST_VERSION); decoders refuse
 * unknown versions, truncated input and trailing bytes with
 * TK_E_CORRUPTION, never asserting: a damaged record is an error the daemon
 * reports.  Integers are big-endian.  Formats (version 1):
 *   store:   v | id:8 | admin:1 | addr_len:2 | addr
 *   region:  v | id:8 | conf_ver:8 | version:8 | leader_peer_id:8
 *              | start_len:4 | start | end_len:4 | end | n_peers:2 | (peer_id:8 store_id:8)*
 *   u64:     v | value:8            (TSO limit, id limit)
 *   cluster: v | cluster_id:8 | bootstrapped:1
 *   text:    v | bytes              (config "name=value\n" lines, scheduler names)
 * Sizes, pending and down peers are not persisted: heartbeats bring them.
 *
 * The records live in the META column of the scheduler's own LevelDB under
 * the keys below (persist_store.h loads and saves them through the engine). */
#ifndef TK_SCHEDULER_PERSIST_H
#define TK_SCHEDULER_PERSIST_H

#include <stdbool.h>
#include <stdint.h>

#include "scheduler/cluster.h"
#include "meta/region.h"
#include "scheduler/sched.h"
#include "scheduler/sched_config.h"
#include "util/bytes.h"
#include "util/err.h"

#define PERSIST_VERSION 1
#define PERSIST_MAX_PEERS REGION_MAX_PEERS

/* Keys (META column). */
#define PERSIST_KEY_CLUSTER "sched/cluster"
#define PERSIST_KEY_TSO "sched/tso"
#define PERSIST_KEY_ID "sched/id"
#define PERSIST_KEY_CONFIG "sched/config"
#define PERSIST_KEY_SCHEDULERS "sched/schedulers"
#define PERSIST_PREFIX_STORE "sched/store/"   /* + id:8 */
#define PERSIST_PREFIX_REGION "sched/region/" /* + id:8 */

/* Key of a store or region record into out (reset first).  false on OOM. */
bool persist_store_key(struct tk_buf *out, uint64_t store_id);
bool persist_region_key(struct tk_buf *out, uint64_t region_id);
/* The id at the end of a store/region key; false if the key is malformed. */
bool persist_key_id(struct tk_slice key, const char *prefix, uint64_t *id);

/* Encoders append to out (reset first); false on allocation failure. */
bool persist_encode_store(struct tk_buf *out, const struct store *s);
bool persist_encode_region(struct tk_buf *out, const struct region *r);
bool persist_encode_u64(struct tk_buf *out, uint64_t v);
bool persist_encode_cluster(struct tk_buf *out, uint64_t cluster_id, bool bootstrapped);
bool persist_encode_config(struct tk_buf *out, const struct sched_config *c);
bool persist_encode_schedulers(struct tk_buf *out, const struct sched_registry *reg);

struct persist_store_rec {
	uint64_t id;
	enum store_admin admin;
	char address[STORE_ADDRESS_MAX];
};

enum tk_err persist_decode_store(struct tk_slice in, struct persist_store_rec *out,
				 struct tk_errbuf *eb);
/* Keys point into `in` (borrowed); peers are written to the caller's array
 * of PERSIST_MAX_PEERS entries and out->peers points at it. */
enum tk_err persist_decode_region(struct tk_slice in, struct region *out,
				  struct region_peer peers[PERSIST_MAX_PEERS],
				  struct tk_errbuf *eb);
enum tk_err persist_decode_u64(struct tk_slice in, uint64_t *v, struct tk_errbuf *eb);
enum tk_err persist_decode_cluster(struct tk_slice in, uint64_t *cluster_id, bool *bootstrapped,
				   struct tk_errbuf *eb);
/* Applies every line with sched_config_set; c unchanged on error. */
enum tk_err persist_decode_config(struct tk_slice in, struct sched_config *c,
				  struct tk_errbuf *eb);
/* Replaces reg's active list with the decoded names. */
enum tk_err persist_decode_schedulers(struct tk_slice in, struct sched_registry *reg,
				      struct tk_errbuf *eb);

#endif
