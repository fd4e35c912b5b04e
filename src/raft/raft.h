/* tinykv Raft: a pure consensus state machine.
 *
 * The library does no I/O, reads no clock, starts no thread and keeps no
 * global state.  Time comes in as raft_tick(), messages as raft_step(), and
 * client requests as raft_propose() / raft_propose_conf_change() /
 * raft_read_index() / raft_transfer_leader().  Everything the caller must do
 * comes out as a ready batch (raft_ready): persist the hard state, entries
 * and snapshot, then send the messages, then apply the committed entries,
 * then call raft_advance().  The log lives in a storage the caller
 * implements (struct raft_storage_ops); raft_memstore is an in-memory one.
 *
 * Sections of the Raft dissertation (Ongaro 2014) are cited as "§x.y".
 *
 * Membership: the log holds conf change entries, never the initial
 * membership.  Bootstrap the first replicas with a storage whose snapshot (or
 * initial_state) holds the voters, like the store's initial snapshot, and
 * start a replica added later with an empty storage: it is not promotable and
 * learns the membership from the snapshot the leader sends it (the leader's
 * log must be compacted past the bootstrap point, so that it does send one).
 *
 * Threading: a node is used by one thread at a time.  Memory: the library
 * aborts the process when malloc fails (it cannot continue a consensus
 * protocol with a half-applied state change). */
#ifndef TK_RAFT_RAFT_H
#define TK_RAFT_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef uint64_t raft_id;    /* node id, 0 means "none" */
typedef uint64_t raft_term;  /* election term, 0 before the first election */
typedef uint64_t raft_index; /* log index, the first real entry is 1 */

/* Upper bound on voters of one group; keeps per-node state in one block. */
#define RAFT_MAX_VOTERS 16

enum raft_entry_type {
	RAFT_ENTRY_NORMAL = 0,      /* application command (may be empty) */
	RAFT_ENTRY_CONF_CHANGE = 1, /* data is an encoded raft_conf_change */
};

/* A log entry.  A plain value: data is borrowed (who owns it is said where an
 * entry is handed over). */
struct raft_entry {
	raft_term term;
	raft_index index;
	uint8_t type; /* enum raft_entry_type */
	const uint8_t *data;
	size_t len;
};

/* Membership: the voters of the group. */
struct raft_conf_state {
	uint32_t n_voters;
	raft_id voters[RAFT_MAX_VOTERS];
};

struct raft_snapshot_meta {
	raft_index index; /* last index covered by the snapshot */
	raft_term term;   /* term of that entry */
	struct raft_conf_state conf;
};

/* A snapshot: metadata plus opaque application data (borrowed bytes). */
struct raft_snapshot {
	struct raft_snapshot_meta meta;
	const uint8_t *data;
	size_t len;
};

/* State that must be on stable storage before messages are sent (§3.8). */
struct raft_hard_state {
	raft_term term;
	raft_id vote;
	raft_index commit;
};

enum raft_conf_change_type {
	RAFT_CC_ADD_VOTER = 0,
	RAFT_CC_REMOVE_VOTER = 1,
};

/* A single-server membership change (§4.1).  Encoded into the data of a
 * RAFT_ENTRY_CONF_CHANGE entry by raft_conf_change_encode. */
struct raft_conf_change {
	uint8_t type; /* enum raft_conf_change_type */
	raft_id node;
	const uint8_t *context; /* opaque to raft, borrowed */
	size_t context_len;
};

enum raft_msg_type {
	RAFT_MSG_APPEND = 1,
	RAFT_MSG_APPEND_RESP = 2,
	RAFT_MSG_VOTE = 3,
	RAFT_MSG_VOTE_RESP = 4,
	RAFT_MSG_PREVOTE = 5,
	RAFT_MSG_PREVOTE_RESP = 6,
	RAFT_MSG_HEARTBEAT = 7,
	RAFT_MSG_HEARTBEAT_RESP = 8,
	RAFT_MSG_SNAPSHOT = 9,
	RAFT_MSG_TIMEOUT_NOW = 10,
	RAFT_MSG_TRANSFER_LEADER = 11, /* follower forwards a transfer request */
	RAFT_MSG_READ_INDEX = 12,      /* follower forwards a read request */
	RAFT_MSG_READ_INDEX_RESP = 13,
};
#define RAFT_MSG_TYPE_MAX RAFT_MSG_READ_INDEX_RESP

/* A message between nodes.  A plain value struct: the field meanings per type
 * are in proto-spec/raft.md.  Messages coming out of raft_ready point into
 * memory of the node (valid until raft_advance); messages given to raft_step
 * are borrowed for the call only. */
struct raft_message {
	uint8_t type; /* enum raft_msg_type */
	raft_id from;
	raft_id to;
	raft_term term;
	raft_term log_term;
	raft_index index;
	raft_index commit;
	bool reject;
	bool transfer; /* VOTE/PREVOTE: campaign caused by a leader transfer */
	raft_index reject_hint;
	uint64_t read_seq; /* HEARTBEAT(+RESP): ReadIndex confirmation round */
	size_t n_entries;
	struct raft_entry *entries;
	struct raft_snapshot *snapshot; /* SNAPSHOT only, else NULL */
	const uint8_t *context;         /* READ_INDEX(+RESP) only */
	size_t context_len;
};

/* A growable list of entries with their bytes, filled by a storage. */
struct raft_entbuf {
	struct raft_entry *ents;
	size_t n, cap;
	size_t bytes; /* sum of data lengths */
	size_t *offs; /* private: data offsets into buf until finished */
	uint8_t *buf;
	size_t blen, bcap;
};

/* Append a copy of one entry to b (used by storage implementations). */
void raft_entbuf_push(struct raft_entbuf *b, raft_term term, raft_index index,
		      uint8_t type, const uint8_t *data, size_t len);

/* The log storage, implemented by the caller (LevelDB in the store).  All
 * functions return TK_OK or an error; the library treats any error other than
 * the ones listed as fatal (it aborts: a node cannot go on with an unreadable
 * log).  Storage holds only what was persisted through raft_ready.
 *
 * initial_state: the persisted hard state and membership (all zero when new).
 * entries: push entries [lo, hi) into out, stopping once max_bytes is reached
 *   but always at least one; TK_E_COMPACTED when lo <= the snapshot index,
 *   TK_E_LOG_UNAVAILABLE when hi > last + 1.
 * term: term of entry i for i in [first - 1, last] (first - 1 is the snapshot
 *   index); TK_E_COMPACTED below, TK_E_LOG_UNAVAILABLE above.
 * first_index / last_index: first available entry (snapshot index + 1) and
 *   last entry (snapshot index when empty).
 * snapshot: the most recent snapshot; bytes borrowed until the next call into
 *   the storage; TK_E_SERVER_IS_BUSY when being generated (retry later). */
struct raft_storage_ops {
	enum tk_err (*initial_state)(void *ctx, struct raft_hard_state *hs,
				     struct raft_conf_state *cs);
	enum tk_err (*entries)(void *ctx, raft_index lo, raft_index hi, size_t max_bytes,
			       struct raft_entbuf *out);
	enum tk_err (*term)(void *ctx, raft_index i, raft_term *out);
	enum tk_err (*first_index)(void *ctx, raft_index *out);
	enum tk_err (*last_index)(void *ctx, raft_index *out);
	enum tk_err (*snapshot)(void *ctx, struct raft_snapshot *out);
};

struct raft_storage {
	const struct raft_storage_ops *ops;
	void *ctx;
};

/* Optional tracing: one formatted line per event, never printed by raft. */
struct raft_tracer {
	void (*trace)(void *arg, raft_id node, const char *line);
	void *arg;
};

enum raft_read_only {
	RAFT_READ_SAFE = 0,  /* ReadIndex with a heartbeat round (§6.4) */
	RAFT_READ_LEASE = 1, /* leader lease; needs check_quorum (§6.4.1) */
};

struct raft_config {
	raft_id id;
	/* Voters used only when the storage holds no membership yet. */
	const raft_id *voters;
	size_t n_voters;
	unsigned election_ticks;  /* randomized timeout in [e, 2e) */
	unsigned heartbeat_ticks; /* < election_ticks */
	size_t max_inflight;      /* append messages in flight per peer */
	size_t max_msg_bytes;     /* entry bytes per append message */
	size_t max_committed_bytes; /* per ready; 0 means no limit */
	bool check_quorum;
	bool pre_vote;
	enum raft_read_only read_only;
	raft_index applied; /* last index applied by the state machine */
	struct raft_storage storage;
	uint64_t seed; /* PRNG seed for election timeouts */
	const struct raft_tracer *tracer; /* optional, borrowed for the node's life */
};

enum raft_role {
	RAFT_FOLLOWER = 0,
	RAFT_PRE_CANDIDATE = 1,
	RAFT_CANDIDATE = 2,
	RAFT_LEADER = 3,
};

enum raft_progress_state {
	RAFT_PROGRESS_PROBE = 0,
	RAFT_PROGRESS_REPLICATE = 1,
	RAFT_PROGRESS_SNAPSHOT = 2,
};

/* A linearizable read answered: the caller may serve it once applied >= index. */
struct raft_read_state {
	raft_index index;
	const uint8_t *context;
	size_t context_len;
};

/* What the caller must do, in this order: persist snapshot, entries and hard
 * state (sync when must_sync), send msgs, apply snapshot and committed
 * entries, hand out read states, then raft_advance().  All pointers are owned
 * by the node and valid until raft_advance. */
struct raft_ready {
	bool has_hard_state;
	struct raft_hard_state hard_state;
	bool soft_state_changed;
	enum raft_role role;
	raft_id leader;
	const struct raft_snapshot *snapshot; /* NULL when none */
	const struct raft_entry *entries;     /* to append to storage */
	size_t n_entries;
	const struct raft_entry *committed;   /* to apply */
	size_t n_committed;
	const struct raft_message *msgs;
	size_t n_msgs;
	const struct raft_read_state *reads;
	size_t n_reads;
	bool must_sync;
};

struct raft_progress_status {
	raft_id id;
	raft_index match, next;
	uint8_t state; /* enum raft_progress_state */
	bool recent_active;
	bool paused;
	size_t inflight;
};

struct raft_status {
	raft_id id;
	enum raft_role role;
	raft_term term;
	raft_id vote;
	raft_id leader;
	raft_index commit, applied, last_index;
	raft_id lead_transferee;
	size_t n_progress; /* filled on the leader only */
	struct raft_progress_status progress[RAFT_MAX_VOTERS];
};

struct raft_node;

/* Create a node from cfg (copied; storage and tracer stay borrowed).
 * Restores term, vote, commit and membership from the storage.  Returns
 * TK_E_BAD_CONFIG (with *out NULL) for an invalid config: zero id, ticks,
 * inflight or message bytes, heartbeat_ticks >= election_ticks, lease reads
 * without check_quorum, more than RAFT_MAX_VOTERS voters. */
enum tk_err raft_node_new(const struct raft_config *cfg, struct raft_node **out);
void raft_node_free(struct raft_node *n);

/* One logical clock tick: drives elections and heartbeats. */
void raft_tick(struct raft_node *n);

/* Feed a message from another node (borrowed for the call).  Messages of an
 * older term or from an unknown peer are dropped (TK_OK).  Returns
 * TK_E_BAD_REQUEST, changing nothing, for a malformed message: unknown type,
 * to not this node, from 0, entries outside APPEND or not following index,
 * entry terms decreasing or beyond the message term, NULL with a non-zero
 * length, a snapshot missing in SNAPSHOT or with too many voters. */
enum tk_err raft_step(struct raft_node *n, const struct raft_message *m);

/* Append normal entries (bytes copied) to the log.  Only on the leader:
 * TK_E_NOT_LEADER when not leader, transferring leadership or removed from
 * the group.  The caller learns their index from raft_status().last_index. */
enum tk_err raft_propose(struct raft_node *n, const struct raft_entry *ents, size_t count);
/* Convenience for one entry. */
enum tk_err raft_propose_one(struct raft_node *n, const void *data, size_t len);

/* Propose a membership change.  TK_E_NOT_LEADER as above; TK_E_SERVER_IS_BUSY
 * while an earlier change (or an entry of a previous term) is not applied yet;
 * TK_E_BAD_REQUEST when the change would leave no voter or exceed
 * RAFT_MAX_VOTERS. */
enum tk_err raft_propose_conf_change(struct raft_node *n, const struct raft_conf_change *cc);

/* Apply a committed conf change entry: the caller calls this while applying
 * the entry (also between raft_ready and raft_advance) and persists *out (may
 * be NULL) together with its applied index. */
void raft_apply_conf_change(struct raft_node *n, const struct raft_conf_change *cc,
			    struct raft_conf_state *out);

/* Ask for a linearizable read; the answer arrives as a raft_read_state with
 * the same context (copied).  TK_E_NOT_LEADER when there is no known leader. */
enum tk_err raft_read_index(struct raft_node *n, const void *ctx, size_t len);

/* Start a leadership transfer to target (§3.10); forwarded to the leader when
 * called on a follower.  TK_E_NOT_LEADER when there is no known leader. */
enum tk_err raft_transfer_leader(struct raft_node *n, raft_id target);

/* Campaign now (the store's "wake up and elect" after hibernation, tests). */
void raft_campaign(struct raft_node *n);

bool raft_has_ready(const struct raft_node *n);
/* Fill *rd.  Between raft_ready and raft_advance only raft_apply_conf_change,
 * raft_report_unreachable, raft_report_snapshot and the read-only functions
 * (status, accessors, raft_has_ready, which answers false) may be called: the
 * others abort.  raft_advance releases everything rd points to, marks the
 * entries stable and the committed entries (and snapshot) applied. */
void raft_ready(struct raft_node *n, struct raft_ready *rd);
void raft_advance(struct raft_node *n);

void raft_status(const struct raft_node *n, struct raft_status *st);
raft_id raft_leader(const struct raft_node *n);
enum raft_role raft_role(const struct raft_node *n);
/* Cheap accessors (raft_status copies the whole progress table): the current
 * term, and the last log index (after raft_propose: the index of the last
 * proposed entry, which the caller pairs with the term to match it when it
 * is applied). */
raft_term raft_current_term(const struct raft_node *n);
raft_index raft_last_index(const struct raft_node *n);
/* The current membership (as applied). */
void raft_conf_state(const struct raft_node *n, struct raft_conf_state *cs);

/* The transport could not deliver to id: replicate in probe mode again. */
void raft_report_unreachable(struct raft_node *n, raft_id id);
/* The snapshot sent to id was applied (ok) or failed. */
void raft_report_snapshot(struct raft_node *n, raft_id id, bool ok);

/* Conf change encoding into entry data: returns the bytes needed; writes when
 * cap is large enough. */
size_t raft_conf_change_encode(const struct raft_conf_change *cc, uint8_t *buf, size_t cap);
/* Decode; context points into data.  TK_E_BAD_REQUEST when malformed. */
enum tk_err raft_conf_change_decode(const uint8_t *data, size_t len, struct raft_conf_change *cc);

/* Deep copy of a message (for in-process transports and tests); release it
 * with raft_message_destroy.  Never use raft_message_destroy on messages of a
 * ready. */
void raft_message_copy(struct raft_message *dst, const struct raft_message *src);
void raft_message_destroy(struct raft_message *m);

void raft_entbuf_init(struct raft_entbuf *b);
void raft_entbuf_reset(struct raft_entbuf *b);
void raft_entbuf_destroy(struct raft_entbuf *b);

const char *raft_msg_type_name(uint8_t type);
const char *raft_role_name(enum raft_role r);

#endif
