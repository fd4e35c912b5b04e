/* tinykvd's store service: the command table (raw and transactional
 * commands, framed and inline alike), the group commit and the regions on
 * Raft, on the protocol core of src/net.
 *
 * Request flow: net decodes a request and calls store_execute, which looks
 * the type up in the command table.  A read runs at once against the
 * applied state, unless its connection still waits for its own writes: then
 * it is held (NET_HOLD) until they are applied, so it sees them and the
 * iteration's proposal is never made early for it.  A write stages its
 * operations into the iteration's command and defers its reply (net_defer);
 * at the end of the iteration (group_commit.c) the command is proposed to
 * the region's raft group and the ready pass (replica.c) writes the log
 * once (with fsync when sync is on), applies it, completes the replies,
 * releases transactional latches and resumes the held connections. */
#ifndef TK_STORE_STORE_H
#define TK_STORE_STORE_H

#include "client/tinykv_sched.h"
#include "net/net.h"
#include "raftstore/cas.h"
#include "raftstore/store.h"

/* Keys longer than this are refused (TOO_LARGE): they bloat every index
 * block they land in, and no sane schema needs them. */
#define STORE_MAX_KEY TK_MAX_KEY

/* Values longer than this are refused (TOO_LARGE): see TK_MAX_VALUE. */
enum tk_err store_check_value(struct tk_slice v, struct tk_errbuf *eb);

/* Transactional state of the store (txn_cmds.c). */
struct store_txn {
	struct txn_latches *latches;
	struct eng_batch *batch; /* one command's writes, before they join the group */
	uint64_t next_cmd;
	uint64_t *held; /* commands whose latches wait for the commit */
	size_t n_held, cap_held;
	size_t inflight;        /* latched commands whose writes are not applied */
	unsigned exclusive;     /* resolve/gc commands in flight: writers wait */
	bool pending_exclusive; /* ... one of them is in the unproposed command */
	bool wait;              /* set by a command that must wait (NET_HOLD) */
};

/* The regions on Raft (replica.c). */
struct store_raft {
	struct rs_store_config cfg;
	struct rs_store *rs;
	uint64_t region_id; /* where requests go: the one region, for now */
	struct event *tick;
	struct tk_buf cmd;  /* the iteration's command, being staged */
	uint32_t n_cas;     /* CAS operations in cmd (their outputs' order) */
	int32_t last_cas;   /* the ordinal of the CAS the running handler staged, or -1 */
	size_t groups;      /* proposals in flight */
	bool completed;     /* a proposal was answered in this pass */
	enum tk_err fail_rc; /* while reopening after a failed pass */
	char fail_msg[256];
	uint64_t proposals, reopens, busy_refusals;
	/* the serving peer's role as last logged (store_log_role) */
	enum raft_role logged_role;
	uint64_t logged_term, logged_leader;
};

/* Heartbeats to the scheduler (heartbeat.c), in cluster mode. */
struct store_hb {
	struct tkv_sched_async *sc;   /* on the reactor's event_base */
	struct event *timer;          /* every --heartbeat-interval */
	struct event *now;            /* a region beat at once (leader or epoch change) */
	bool store_busy, region_busy; /* a beat of that kind is in flight */
	bool region_due;              /* a change while a region beat was in flight */
	/* what the last region beat reported (0: none, or not the leader) */
	uint64_t sent_region, sent_conf_ver, sent_version, sent_leader;
	uint64_t store_beats, store_errors, region_beats, region_errors;
	uint64_t ops[3]; /* operator steps received, by enum tkv_step_kind */
	/* steps started (proposed / transfer asked), refused at once (e.g. a
	 * conf change already in flight), and conf changes applied / failed */
	uint64_t ops_started, ops_refused, ops_done, ops_failed;
	/* when each peer of a led region was last seen active (down peers) */
	struct {
		uint64_t peer_id, active_ns;
	} seen[RS_REGION_MAX_PEERS];
	struct tkv_op_step last_op; /* the last one logged */
	char last_error[160];
};

/* The peer transport (transport.c), in cluster mode. */
struct store_link;
struct store_tr {
	struct store_link **links; /* one per other store, found linearly */
	size_t n, cap;
	/* per frame: decoding one received (its messages point into it while
	 * they are stepped) and encoding one to send, kept apart so that a
	 * send from inside a step could never pull the memory away */
	struct tk_arena arena, send_arena;
	struct tk_buf frame;
	uint64_t frames_sent, msgs_sent, dropped, resolve_errors;
	uint64_t msgs_received, msgs_refused, msgs_unknown_region, frames_refused;
};

struct store {
	struct net_server net; /* first: the process root of tinykvd */
	bool cluster;          /* --scheduler: a store of tinykv-scheduler's cluster */
	char advertise[128];   /* where others reach us (cluster mode) */
	/* group commit */
	struct net_slot **pending; /* replies of the writes in raft.cmd */
	int32_t *pending_cas;      /* per reply: its CAS's output ordinal, or -1 */
	size_t npending, cap_pending;
	struct net_conn **held_conns; /* reads waiting for the commit */
	size_t nheld, cap_held;
	struct tk_buf val; /* scratch for point reads */
	struct net_conn **read_done; /* held reads whose ReadIndex round ended */
	size_t nread_done, cap_read_done;
	struct store_txn txn;
	struct store_raft raft;
	struct store_hb hb;
	struct store_tr tr;
};

static inline struct store *store_of(struct net_server *s)
{
	return (struct store *)s;
}

/* A command handler: reads fill resp (valid until the next request on the
 * connection) and return TK_OK; writes stage their operations (store_stage)
 * and set *deferred (the reply comes once they are applied).  Errors fill
 * eb; a command that must wait sets s->txn.wait and is run again later. */
typedef enum tk_err (*store_handler)(struct store *s, struct net_conn *c, const void *req,
                                     void *resp, bool *deferred, struct tk_errbuf *eb);

/* ---- commands.c: the one command table ---- */
extern const struct net_service store_service;         /* standalone mode */
extern const struct net_service store_cluster_service; /* --scheduler */

/* ---- raw_cmds.c ---- */
enum tk_err store_raw_get(struct store *, struct net_conn *, const void *, void *, bool *,
                          struct tk_errbuf *);
enum tk_err store_raw_put(struct store *, struct net_conn *, const void *, void *, bool *,
                          struct tk_errbuf *);
enum tk_err store_raw_delete(struct store *, struct net_conn *, const void *, void *, bool *,
                             struct tk_errbuf *);
enum tk_err store_raw_scan(struct store *, struct net_conn *, const void *, void *, bool *,
                           struct tk_errbuf *);
enum tk_err store_raw_batch_get(struct store *, struct net_conn *, const void *, void *, bool *,
                                struct tk_errbuf *);
enum tk_err store_raw_batch_put(struct store *, struct net_conn *, const void *, void *, bool *,
                                struct tk_errbuf *);
enum tk_err store_raw_batch_delete(struct store *, struct net_conn *, const void *, void *, bool *,
                                   struct tk_errbuf *);
/* Compare-and-swap, decided when its entry is applied (raftstore/cas.h). */
enum tk_err store_raw_cas(struct store *, struct net_conn *, const void *, void *, bool *,
                          struct tk_errbuf *);
enum tk_err store_check_key(struct tk_slice k, struct tk_errbuf *eb);
/* Scan bounds obey the key length limit (TOO_LARGE); empty ones are fine. */
enum tk_err store_check_bounds(struct tk_slice start, struct tk_slice end, struct tk_errbuf *eb);

/* ---- txn_cmds.c: Percolator commands ---- */
enum tk_err store_kv_get(struct store *, struct net_conn *, const void *, void *, bool *,
                         struct tk_errbuf *);
enum tk_err store_kv_scan(struct store *, struct net_conn *, const void *, void *, bool *,
                          struct tk_errbuf *);
enum tk_err store_kv_prewrite(struct store *, struct net_conn *, const void *, void *, bool *,
                              struct tk_errbuf *);
enum tk_err store_kv_commit(struct store *, struct net_conn *, const void *, void *, bool *,
                            struct tk_errbuf *);
enum tk_err store_kv_rollback(struct store *, struct net_conn *, const void *, void *, bool *,
                              struct tk_errbuf *);
enum tk_err store_kv_check_status(struct store *, struct net_conn *, const void *, void *, bool *,
                                  struct tk_errbuf *);
enum tk_err store_kv_resolve(struct store *, struct net_conn *, const void *, void *, bool *,
                             struct tk_errbuf *);
enum tk_err store_kv_scan_lock(struct store *, struct net_conn *, const void *, void *, bool *,
                               struct tk_errbuf *);
enum tk_err store_kv_gc(struct store *, struct net_conn *, const void *, void *, bool *,
                        struct tk_errbuf *);
enum tk_err store_txn_init(struct store *s);
void store_txn_destroy(struct store *s);

/* ---- group_commit.c ---- */
/* Queue a write's reply until its command is applied; resp is the success
 * reply, encoded now.  TK_E_NOMEM. */
enum tk_err store_defer_write(struct store *s, const struct net_req *r, const void *resp);
/* Hold c's input until something is applied (a read behind its own writes,
 * a command waiting for latches). */
enum tk_err store_hold(struct store *s, struct net_conn *c);
/* Propose the staged command, run the ready passes (which answer the
 * applied writes and release their latches), resume held connections. */
void store_commit(struct store *s);
/* The end-of-iteration hook of the service. */
void store_iteration_end(struct net_server *ns);
void store_group_commit_destroy(struct store *s);

/* ---- replica.c: the regions on Raft ---- */
/* Create a region spanning every key with one peer (peer_id on store_id) in
 * e, synced: the standalone region, or the first region of a cluster.
 * TK_E_BAD_REQUEST when e holds that region already; engine errors. */
enum tk_err store_region_bootstrap(struct eng *e, uint64_t region_id, uint64_t peer_id,
                                   uint64_t store_id, struct tk_errbuf *eb);
/* Ids (up to max, ascending) of the regions with a live peer on store_id in
 * e; *n is how many there are (may exceed max).  Engine and decode errors. */
enum tk_err store_local_regions(struct eng *e, uint64_t store_id, uint64_t *ids, size_t max,
                                size_t *n, struct tk_errbuf *eb);
/* Open the store's regions (in standalone mode bootstrapping region 1 on a
 * new data dir; in cluster mode join.c did what was needed, and a store may
 * hold none), lead the ones this store alone votes in, apply what their log
 * holds, start the tick timer.  Needs net.eng, net.ident and net.base. */
enum tk_err store_raft_open(struct store *s, struct tk_errbuf *eb);
void store_raft_close(struct store *s);
/* The region context a request carries (proto-spec/errors.md, "Region
 * context") against the region this store serves: true when it matches;
 * false with the region error (STORE_NOT_MATCH, REGION_NOT_FOUND, EPOCH_NOT_MATCH with the
 * current region, NOT_LEADER with the leader when known) as *werr, a wire
 * error object in a (NULL when out of memory), its code and message. */
bool store_check_ctx(struct store *s, const struct tk_region_ctx *ctx, struct tk_arena *a,
                     struct tk_error **werr, enum tk_err *code, struct tk_errbuf *eb);
/* Whether a write may be staged: true, or false with SERVER_IS_BUSY
 * (reason proposal_queue_full, a backoff) when --max-pending-proposals
 * proposals are waiting for their apply (a region that cannot commit: a
 * lost quorum, a slow disk), so memory stays bounded and clients back off. */
bool store_check_busy(struct store *s, struct tk_arena *a, struct tk_error **werr,
                      enum tk_err *code, struct tk_errbuf *eb);
/* Whether a read on c may be served from the applied state now; state is
 * what c->svc_state held when the request was taken up (execute clears it).
 * READ_NOW: yes (a sole voter's state, or a ReadIndex round confirmed
 * after this read arrived and applied).  READ_WAIT: a ReadIndex round was
 * asked for; hold the connection (NET_HOLD): it resumes after the round and
 * the read runs again.  READ_FAIL: *code and eb (NOT_LEADER,
 * REGION_NOT_FOUND); *werr the region error with its detail, or NULL. */
enum store_read_gate { READ_NOW, READ_WAIT, READ_FAIL };
enum store_read_gate store_read_gate(struct store *s, struct net_conn *c, int32_t state,
                                     struct tk_arena *a, struct tk_error **werr, enum tk_err *code,
                                     struct tk_errbuf *eb);
/* Resume the connections whose ReadIndex round ended (after ready passes:
 * never from inside one). */
void store_read_resume(struct store *s);
/* Staging a request's writes into the iteration's command.  Take a mark
 * first (bytes: about how much the request adds; a full command is proposed
 * first); on a failure half-way, roll back to it so the request adds
 * nothing: a request's writes are all or nothing. */
struct store_stage_mark {
	size_t len;
	uint32_t ops;
};
struct store_stage_mark store_stage_mark(struct store *s, size_t bytes);
void store_stage_rollback(struct store *s, struct store_stage_mark m);
/* TK_E_NOMEM; store_stage_batch also TK_E_BAD_REQUEST for a batch that
 * writes a column commands may not write (a bug). */
enum tk_err store_stage(struct store *s, enum eng_cf cf, struct tk_slice key, struct tk_slice val,
                        bool is_delete);
enum tk_err store_stage_batch(struct store *s, const struct eng_batch *b);
/* Stage a CAS of raw key; its outcome comes back in the command's outputs,
 * answered by the reply of the request that staged it. */
enum tk_err store_stage_cas(struct store *s, struct tk_slice key, const struct rs_cas_op *op);
/* Propose the staged command with the replies and latches waiting for it. */
void store_propose(struct store *s);
/* Ready passes until no region has a ready (a few at most per call). */
void store_raft_run(struct store *s);
/* /metrics lines and /status fields of the regions. */
void store_raft_metrics(struct store *s, struct tk_buf *out);
size_t store_raft_status(struct store *s, struct net_status_field *f, size_t max);
/* Log the serving peer's role, term and leader when they changed. */
void store_log_role(struct store *s);
/* The peer that serves requests (NULL: this store holds no region). */
struct rs_peer *store_serving_peer(struct store *s);

/* ---- operator.c: the scheduler's operator steps ---- */
/* Run one step for region_id when this store's peer leads it (idempotent:
 * a step already done or in flight is skipped). */
void store_run_step(struct store *s, uint64_t region_id, const struct tkv_op_step *st);

/* ---- transport.c: raft traffic between stores ---- */
/* The raftstore's rs_send_fn (arg: the store). */
void store_tr_send(void *arg, uint64_t to_store, const struct rs_envelope *msgs, size_t n);
/* A "raft" frame from another store: NET_DEFERRED (one-way, no reply), or
 * NET_ANSWER with the error for a malformed or misdirected frame. */
enum net_outcome store_tr_receive(struct store *s, const struct tk_raft_batch *b,
                                  enum tk_err *code, struct tk_errbuf *eb);
void store_tr_metrics(struct store *s, struct tk_buf *out);
/* The address of store_id as last resolved (NULL: not known). */
const char *store_tr_addr(struct store *s, uint64_t store_id);
void store_tr_free(struct store *s);

/* ---- join.c: cluster membership, at startup ---- */
/* With the blocking scheduler client (waiting up to STORE_JOIN_WAIT_S for a
 * scheduler that is not up yet): give a data dir without identity one
 * (bootstrapping the cluster with a new region when it is not bootstrapped,
 * else registering as a new store), or register the recorded store again
 * with its current address.  Sets net.ident.  Needs net.eng (opened, no
 * raftstore yet) and s->advertise.  TK_E_CLUSTER_MISMATCH for a data dir of
 * another cluster, TK_E_DATA_DIR for a standalone one, TK_E_CONNECTION /
 * TK_E_TIMEOUT when the scheduler stayed unreachable, its other errors. */
#define STORE_JOIN_WAIT_S 60
enum tk_err store_join(struct store *s, struct tk_errbuf *eb);

/* ---- heartbeat.c: store and region heartbeats, in the reactor ---- */
/* Start the asynchronous scheduler client and the heartbeat timer (the
 * first store beat leaves at once).  TK_E_NOMEM, TK_E_BAD_CONFIG. */
enum tk_err store_hb_start(struct store *s, struct tk_errbuf *eb);
/* After ready passes: a region beat at once when this store's peer became
 * leader or its region's epoch changed since the last beat. */
void store_hb_poll(struct store *s);
void store_hb_stop(struct store *s);
void store_hb_metrics(struct store *s, struct tk_buf *out);
size_t store_hb_status(struct store *s, struct net_status_field *f, size_t max);

#endif
