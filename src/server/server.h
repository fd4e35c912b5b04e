/* tinykvd internals: the server (process root) and its connections.
 *
 * Threading: one libevent reactor thread does everything; the only blocking
 * call on it is the group-commit write (one LevelDB write with fsync per
 * reactor iteration, DESIGN.md section 5).
 *
 * Request flow: conn.c reads bytes and splits frames (or lines, inline.c),
 * the codec decodes them into the generated request structs, raw_cmds.c
 * executes them.  Reads answer at once; writes go into the server's pending
 * write batch and their replies wait in `pending` until commit.c has written
 * the batch (with fsync when sync is on) at the end of the reactor
 * iteration.  Replies always pass through the connection's `out` buffer in
 * request order, so the inline protocol (which has no request ids) stays in
 * order too. */
#ifndef TK_SERVER_SERVER_H
#define TK_SERVER_SERVER_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "codec/codec.h"
#include "engine/engine.h"
#include "engine/ident.h"
#include "server/srv_config.h"
#include "server/metrics.h"
#include "util/arena.h"
#include "util/bytes.h"

/* Keys longer than this are refused (TOO_LARGE): they bloat every index
 * block they land in, and no sane schema needs them. */
#define SRV_MAX_KEY 8192

/* Index of inline-only commands (INFO, HELP, ...) in srv_metrics.msg. */
#define SRV_METRIC_INLINE TK_MSG__COUNT

enum conn_state {
	CONN_DETECT, /* nothing read yet: framed or inline? */
	CONN_HELLO,  /* framed, waiting for hello */
	CONN_FRAMED,
	CONN_INLINE,
};

struct srv_conn {
	struct server *srv;
	struct bufferevent *bev; /* NULL once the socket is gone */
	enum conn_state state;
	bool closing;   /* handle no more input; close once replies are out */
	bool eof;       /* peer stopped sending: finish its input, then close */
	bool paused;    /* reading stopped: output over the limit */
	bool in_commit_list;
	bool busy;      /* being processed: closing waits until it returns */
	uint32_t deferred; /* write replies waiting for the group commit */
	uint64_t serial;
	struct tk_arena arena;  /* decoded request, reset per request */
	struct tk_buf out;      /* encoded replies not yet handed to bev */
	char peer[64];
	struct srv_conn *prev, *next;
	struct srv_conn *commit_next; /* conns with replies from the current commit */
};

struct srv_pending {
	struct srv_conn *conn;
	uint64_t id;
	enum tk_msg_type type;
	bool is_inline;
	uint64_t start_ns;
	size_t reply_off, reply_len; /* framed: the success reply, in deferred_replies */
};

/* One /status field (and INFO line). */
struct srv_status_field {
	const char *name;
	bool is_str;
	const char *str; /* valid until the status is rendered */
	uint64_t num;
};

/* What a daemon built on this server core serves: tinykvd's raw KV store
 * (raw_cmds.c) today; the scheduler and the transactional store plug in the
 * same way. */
struct srv_service {
	const char *server_name; /* in the hello reply: "tinykvd 0.1.0" */
	const char *role;        /* our hello role: "store", "scheduler" */
	const char *mode;        /* /status "mode" */
	bool inline_protocol;    /* serve the inline text protocol (inline.c) */
	/* May a peer with this hello role talk to us?  Else fill why. */
	bool (*accepts_role)(struct tk_slice role, char *why, size_t whylen);
	/* Execute one decoded request (see srv_execute). */
	enum tk_err (*execute)(struct server *s, struct srv_conn *c, enum tk_msg_type type,
			       const void *req, void *resp, bool *deferred, struct tk_errbuf *eb);
	/* Writes are acknowledged by the group commit; everything else at once. */
	bool (*is_write)(enum tk_msg_type type);
	/* Optional: called by srv_commit once the batch is durable (or failed). */
	void (*after_commit)(struct server *s);
	/* Optional (NULL: none): the service's own /status fields, written to
	 * f (room for max), returning how many; and its own /metrics lines
	 * (Prometheus text) appended to out. */
	size_t (*status_extra)(struct server *s, struct srv_status_field *f, size_t max);
	void (*metrics_extra)(struct server *s, struct tk_buf *out);
};

/* Transactional state of the store (txn_service.c). */
struct srv_txn {
	struct txn_latches *latches;
	struct eng_batch *batch; /* one command's writes, before they join the group */
	uint64_t next_cmd;
	uint64_t *held;          /* commands whose latches wait for the commit */
	size_t n_held, cap_held;
	bool exclusive;          /* a resolve/gc of this iteration: commit before the next writer */
};

struct server {
	const struct srv_service *svc;
	void *svc_data;
	struct srv_config cfg;
	struct event_base *base;
	struct evconnlistener *listener;
	struct evhttp *http;
	struct event *sig_term, *sig_int, *sig_hup, *commit_ev, *exit_timer;
	struct eng *eng;
	int lock_fd;
	struct eng_ident ident;
	/* group commit */
	struct eng_batch *batch;
	struct srv_pending *pending;
	size_t npending, cap_pending;
	struct tk_buf deferred_replies; /* encoded success replies of pending writes */
	bool commit_scheduled;
	/* connections */
	struct srv_conn *conns;
	uint64_t next_serial;
	struct srv_metrics metrics;
	uint64_t start_ns;
	bool shutting_down;
	struct tk_buf val; /* scratch for point reads */
	struct srv_txn txn;
	char listen_addr[128]; /* bound address (port resolved) */
	char status_bound[160]; /* bound status address, "" when off */
};

/* ---- conn.c ---- */
enum tk_err srv_listen(struct server *s, struct tk_errbuf *eb);
/* Hand the connection's encoded replies to the socket; closes it if it was
 * closing and everything is out. */
void srv_conn_flush(struct srv_conn *c);
/* Drop a connection now (socket errors, protocol violations after the
 * error reply was queued use closing instead). */
void srv_conn_close(struct srv_conn *c);
/* True while the input loop may handle another request: the socket is
 * open, not closing, and output is under the backpressure limit (pausing
 * reading when it is not). */
bool srv_conn_may_continue(struct srv_conn *c);
void srv_conns_shutdown(struct server *s);
/* The local port a socket is bound to (-1 on error). */
int srv_bound_port(evutil_socket_t fd);

/* ---- daemon.c ---- */
/* The reactor, the batch, the group-commit event and the signal handlers
 * (TERM/INT: clean shutdown, HUP: reopen the log).  TK_E_NOMEM. */
enum tk_err srv_daemon_start(struct server *s, struct tk_errbuf *eb);
/* Close connections and free what srv_daemon_start, srv_listen and
 * srv_http_start made, then the engine and the data dir lock. */
void srv_daemon_cleanup(struct server *s);

/* ---- commit.c ---- */
/* Queue a write's reply until the batch is committed.  Framed: resp is the
 * success reply's body, encoded now (it may point into the request); the
 * reply becomes an error instead if the commit fails.  Inline: "OK". */
enum tk_err srv_defer_reply(struct server *s, struct srv_conn *c, uint64_t id,
			    enum tk_msg_type type, bool is_inline, uint64_t start_ns,
			    const void *resp);
/* Write the pending batch now (fsync when sync is on) and queue every
 * pending reply.  A no-op when nothing is pending. */
void srv_commit(struct server *s);
/* Before answering anything else on c, make its earlier writes durable so
 * replies stay in order and the connection reads its own writes. */
static inline void srv_commit_if_deferred(struct server *s, struct srv_conn *c)
{
	if (c->deferred)
		srv_commit(s);
}

/* ---- raw_cmds.c: the standalone raw KV service ---- */
/* Its execute: reads fill resp (valid until the next request on this
 * server) and return TK_OK; writes add to the batch and set *deferred (the
 * reply comes from srv_commit).  Errors fill eb. */
extern const struct srv_service srv_raw_service;

static inline enum tk_err srv_execute(struct server *s, struct srv_conn *c, enum tk_msg_type type,
				      const void *req, void *resp, bool *deferred,
				      struct tk_errbuf *eb)
{
	return s->svc->execute(s, c, type, req, resp, deferred, eb);
}
static inline bool srv_is_write(const struct server *s, enum tk_msg_type type)
{
	return s->svc->is_write(type);
}

/* ---- txn_service.c: Percolator commands, served by tinykvd ---- */
bool srv_txn_handles(enum tk_msg_type type);
enum tk_err srv_txn_execute(struct server *s, struct srv_conn *c, enum tk_msg_type type,
			    const void *req, void *resp, bool *deferred, struct tk_errbuf *eb);
/* Called by srv_commit once the batch is durable (or failed). */
void srv_txn_release_latches(struct server *s);
enum tk_err srv_txn_init(struct server *s);
void srv_txn_destroy(struct server *s);

/* ---- framed.c ---- */
/* Handle complete frames in the input; returns false if the connection was
 * closed. */
void srv_framed_input(struct srv_conn *c);
/* Encode a reply to a framed request into c->out. */
void srv_framed_reply(struct srv_conn *c, enum tk_msg_type type, struct tk_slice type_name,
		      uint64_t id, enum tk_err code, const char *errmsg, const void *resp);

/* ---- inline.c ---- */
void srv_inline_input(struct srv_conn *c);
/* The reply line of a deferred inline write ("OK" or "ERR CODE msg"). */
void srv_inline_write_reply(struct srv_conn *c, enum tk_err code, const char *errmsg);

/* ---- status.c ---- */
enum tk_err srv_http_start(struct server *s, struct tk_errbuf *eb);
/* Status as JSON (/status) and as "key: value" lines (INFO). */
void srv_status_json(struct server *s, struct tk_buf *out);
void srv_status_text(struct server *s, struct tk_buf *out);
void srv_metrics_text(struct server *s, struct tk_buf *out);

#endif
