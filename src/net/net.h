/* src/net: the protocol core both daemons share.  It accepts connections,
 * tells the framed protocol from the inline (netcat) one, splits and decodes
 * requests, hands each to the daemon's service, and writes replies back in
 * request order.  It knows no command: a service (tinykvd's store,
 * tinykv-scheduler) brings its command handlers and, for the inline
 * protocol, a table of inline commands that map text lines onto the same
 * request structs.
 *
 * Threading: one libevent reactor thread does everything.
 *
 * Replies and ordering.  A service answers a request in one of three ways
 * (enum net_outcome):
 *   NET_ANSWER    at once: net encodes the reply (or the error) now;
 *   NET_DEFERRED  later: the service reserved a reply slot (net_defer) and
 *                 completes it when the work is durable (group commit, a
 *                 timestamp after the clock moved, later a raft apply);
 *   NET_HOLD      not yet: the request stays unread and the connection's
 *                 input stops until the service calls net_conn_resume (a
 *                 read behind this connection's own unacknowledged writes
 *                 waits for them, so it sees them: read-your-writes).
 * Every reply passes through the connection's queue of slots: a reply
 * produced while an earlier slot is still open waits behind it, so replies
 * leave in request order on both protocols, whichever way each was given.
 * A slot carries its own writer (framed frame or inline text line), so the
 * code that completes it never needs to know the protocol.
 *
 * The end-of-iteration hook: a service that collects work during an
 * iteration (tinykvd's group commit) asks for it with net_iteration_end;
 * the hook runs once, after the I/O callbacks of the current reactor
 * iteration (see iteration.c for why an activated event). */
#ifndef TK_NET_NET_H
#define TK_NET_NET_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "codec/codec.h"
#include "engine/engine.h"
#include "engine/ident.h"
#include "net/metrics.h"
#include "net/options.h"
#include "util/arena.h"
#include "util/bytes.h"
#include "util/quote.h"

/* Connections over max-conns that may wait at once for their first byte,
 * to be refused in their own protocol; past it they are refused framed. */
#define NET_MAX_REFUSING 64

/* Index of inline-only commands (INFO, HELP, ...) in net_metrics.msg. */
#define NET_METRIC_INLINE TK_MSG__COUNT

/* The one state of a connection; net_conn_set_state is the only writer. */
enum net_conn_state {
	NET_CONN_DETECT,  /* nothing read yet: framed or inline? */
	NET_CONN_HELLO,   /* framed, waiting for hello */
	NET_CONN_FRAMED,  /* framed, serving requests */
	NET_CONN_INLINE,  /* inline text protocol, serving lines */
	NET_CONN_CLOSING, /* no more requests: deliver the replies owed, then close */
	NET_CONN_LINGER,  /* replies out, write side shut: discard input until EOF */
	NET_CONN_CLOSED,  /* socket gone; the struct lives while slots or holds need it */
};

struct net_slot;

struct net_conn {
	struct net_server *srv;
	struct bufferevent *bev; /* NULL once CLOSED */
	enum net_conn_state state;
	bool is_inline; /* which protocol its requests used (kept while CLOSING) */
	bool eof;       /* peer stopped sending: finish its input, then close */
	bool paused;    /* reading stopped: output over the limit */
	bool held;      /* the service holds its input (NET_HOLD) */
	bool refusing;  /* accepted over max-conns: refuse in its protocol, close */
	uint32_t refs;  /* open slots + callers working on it: free only at 0 */
	uint64_t serial;
	struct tk_arena arena;               /* decoded request, reset per request */
	struct tk_buf out;                   /* replies ready for the socket, in order */
	struct net_slot *slots, *slots_tail; /* open slots, oldest first */
	struct net_slot *free_slots;         /* for reuse */
	char peer[64];
	struct net_conn *prev, *next;
	void *svc_link; /* the service's own per-connection use (e.g. resume list) */
	int32_t svc_state; /* the service's own per-connection state (tinykvd: a held
	                    * read's ReadIndex outcome); 0 on accept */
};

/* A request as the service sees it.  Valid during execute; net_defer copies
 * what the reply needs. */
struct net_req {
	struct net_conn *conn;
	uint64_t id; /* framed: the request id; inline: 0 */
	enum tk_msg_type type;
	uint64_t start_ns;
	const struct net_inline_cmd *icmd; /* inline: the command (its reply writer) */
};

enum net_outcome { NET_ANSWER, NET_DEFERRED, NET_HOLD };

/* One inline (netcat) command of a service: how a text line becomes the
 * request struct of `type`, and how the reply struct becomes text. */
struct net_inline_cmd {
	const char *name;  /* "GET" (matched case-insensitively) */
	const char *alias; /* another name ("SET" for PUT), or NULL */
	const char *usage; /* "GET key" */
	const char *help;  /* "the value, or (nil)" */
	enum tk_msg_type type;
	uint8_t min_args, max_args; /* arguments after the name */
	/* Fill req (zeroed, of type's request struct) from argv[0..argc);
	 * slices point into argv, valid during the request.  Errors: eb. */
	enum tk_err (*parse)(const struct tk_slice *argv, size_t argc, void *req,
	                     struct tk_errbuf *eb);
	/* Append the success reply (lines ending in \n); NULL: "OK". */
	void (*render)(struct tk_buf *out, const void *resp);
};

/* One /status field (and INFO line). */
struct net_status_field {
	const char *name;
	bool is_str;
	const char *str; /* valid until the status is rendered */
	uint64_t num;
};

/* What a daemon built on this core serves. */
struct net_service {
	const char *server_name; /* in the hello reply: "tinykvd 0.1.0" */
	const char *role;        /* our hello role: "store", "scheduler" */
	const char *mode;        /* /status "mode" */
	/* Inline commands (NULL-terminated by name), or NULL: no inline protocol. */
	const struct net_inline_cmd *const *inline_cmds;
	/* May a peer with this hello role talk to us?  Else fill why. */
	bool (*accepts_role)(struct tk_slice role, char *why, size_t whylen);
	/* Execute one decoded request (framed or inline alike).  NET_ANSWER:
	 * *code is the result, resp (zeroed, of the type's reply struct, valid
	 * until the next request of this connection) the reply when TK_OK, eb
	 * the message otherwise.  NET_DEFERRED: net_defer was called.
	 * NET_HOLD: nothing was done; call net_conn_resume later. */
	enum net_outcome (*execute)(struct net_server *s, const struct net_req *r, const void *req,
	                            void *resp, enum tk_err *code, struct tk_errbuf *eb);
	/* Optional: the end-of-iteration work (see net_iteration_end); also
	 * run once at shutdown, so nothing accepted is dropped. */
	void (*iteration_end)(struct net_server *s);
	/* Optional: the service's own /status fields (room for max, returns
	 * how many) and /metrics lines (Prometheus text appended to out). */
	size_t (*status_extra)(struct net_server *s, struct net_status_field *f, size_t max);
	void (*metrics_extra)(struct net_server *s, struct tk_buf *out);
};

/* The process root of a daemon: reactor, listener, engine, connections. */
struct net_server {
	const struct net_service *svc;
	void *svc_data;
	struct net_config cfg;
	struct event_base *base;
	struct evconnlistener *listener;
	struct evhttp *http;
	struct event *sig_term, *sig_int, *sig_hup, *iter_ev, *exit_timer;
	bool iter_scheduled;
	bool in_iteration_end; /* the service's iteration_end is running */
	struct eng *eng;
	int lock_fd;
	struct eng_ident ident;
	struct net_conn *conns;
	uint64_t next_serial;
	uint32_t refusing; /* connections being refused (not in conns_current) */
	struct net_metrics metrics;
	uint64_t start_ns;
	bool shutting_down;
	char listen_addr[128];  /* bound address (port resolved) */
	char status_bound[160]; /* bound status address, "" when off */
};

/* ---- conn.c ---- */
enum tk_err net_listen(struct net_server *s, struct tk_errbuf *eb);
/* The only way a connection changes state (logs the transition at DEBUG). */
void net_conn_set_state(struct net_conn *c, enum net_conn_state st);
/* Hand the connection's ready replies to the socket; closes it once it is
 * CLOSING and everything is out.  May free c when nothing holds it. */
void net_conn_flush(struct net_conn *c);
/* The same, but only through the bufferevent (libevent writes it out when
 * the socket is writable): for a caller that will flush again soon, so
 * that many replies leave in one write. */
void net_conn_flush_buffered(struct net_conn *c);
/* Drop the socket now (socket errors); the struct stays while referenced. */
void net_conn_close(struct net_conn *c);
/* True while the input loop may handle another request: the socket is
 * open, serving, not held, and output is under the backpressure limit
 * (pausing reading when it is not). */
bool net_conn_may_continue(struct net_conn *c);
/* The service lets a held connection go on: its input is read again.  May
 * free c. */
void net_conn_resume(struct net_conn *c);
/* Write to a socket bufferevent in order: straight to the socket when its
 * output is empty, the rest queued.  0, or -1 when out of memory. */
int net_bev_write(struct bufferevent *bev, const void *data, size_t len);
/* Where an immediate reply goes: behind the last open slot, if any. */
struct tk_buf *net_conn_out(struct net_conn *c);
void net_conns_shutdown(struct net_server *s);
/* Close every connection and free them all (daemon teardown). */
void net_conns_free_all(struct net_server *s);
/* The local port a socket is bound to (-1 on error). */
int net_bound_port(evutil_socket_t fd);

/* ---- slot.c: deferred replies ---- */
/* Reserve the reply to r in its connection's order.  resp, when not NULL,
 * is the success reply, encoded now (it may point into the request).
 * Returns NULL when out of memory (answer the request with an error then). */
struct net_slot *net_defer(const struct net_req *r, const void *resp);
/* Complete a slot: TK_OK sends the success reply (resp if not NULL, else
 * the one given to net_defer, else an empty one); an error sends code and
 * msg.  The slot is gone afterwards; replies behind it may leave. */
void net_slot_complete(struct net_slot *sl, enum tk_err code, const char *msg, const void *resp);
/* Complete a slot with a whole error object: its code, message and detail
 * fields (a region error from meta/region_error.h's region_error_to_wire,
 * proto-spec/errors.md).  Framed: the object as it is (without the detail
 * when that makes the frame too large); inline: "ERR CODE msg", the message
 * carrying the hint.  err is borrowed for the call. */
void net_slot_complete_error(struct net_slot *sl, const struct tk_error *err);
/* Answer r at once with a whole error object, in request order: execute
 * then returns NET_DEFERRED.  False when out of memory (nothing was sent:
 * answer with a plain error, NET_ANSWER). */
bool net_reply_error(const struct net_req *r, const struct tk_error *err);
/* The connection a slot answers (for per-connection bookkeeping). */
struct net_conn *net_slot_conn(const struct net_slot *sl);
/* Open slots of c (writes not yet acknowledged on it, for instance). */
bool net_conn_has_open_slots(const struct net_conn *c);
void net_slots_free(struct net_conn *c);

/* ---- daemon.c ---- */
/* The reactor, the end-of-iteration event and the signal handlers
 * (TERM/INT: clean shutdown, HUP: reopen the log).  TK_E_NOMEM. */
enum tk_err net_daemon_start(struct net_server *s, struct tk_errbuf *eb);
/* Ask for the service's iteration_end once the current iteration's I/O
 * callbacks have run (idempotent within an iteration). */
void net_iteration_end(struct net_server *s);
/* Close connections and free what net_daemon_start, net_listen and
 * net_http_start made, then the engine and the data dir lock. */
void net_daemon_cleanup(struct net_server *s);

/* ---- framed.c ---- */
void net_framed_input(struct net_conn *c);
/* Encode a reply to a framed request into out. */
enum tk_err net_framed_encode(struct tk_buf *out, enum tk_msg_type type, struct tk_slice type_name,
                              uint64_t id, enum tk_err code, const char *errmsg, const void *resp);

/* ---- inline.c ---- */
void net_inline_input(struct net_conn *c);
/* The reply text of an inline command: render(resp) or OK, or ERR line. */
void net_inline_encode(struct tk_buf *out, const struct net_inline_cmd *icmd, enum tk_err code,
                       const char *errmsg, const void *resp);

/* An inline error line, "ERR CODE msg". */
void net_inline_error(struct tk_buf *out, struct tk_slice code, struct tk_slice msg);

/* ---- inline_line.c: the pure part, no connection (the fuzzer's seam) ---- */
#define NET_INLINE_MAX_ARGS 8 /* the command name included */
enum net_inline_line {
	NET_INLINE_EMPTY, /* nothing but blanks */
	NET_INLINE_ARGS,  /* args holds the command and its arguments */
	NET_INLINE_BAD,   /* bad quoting or too many arguments: *why says */
	NET_INLINE_HTTP,  /* an HTTP request line: someone pointed curl at us */
};
/* What one line (p[0..len), without its \n; a \r before it is ignored)
 * says.  args is reused from line to line; *why is static text. */
enum net_inline_line net_inline_parse_line(const uint8_t *p, size_t len, struct tk_args *args,
                                           const char **why);
/* A key or value on an inline reply line, quoted whenever it could be read
 * as something else: what tk_quote quotes (spaces, quotes, unprintable
 * bytes, empty), and text starting with "(" or "ERR" ("(nil)", "(3
 * pairs)", an ERR line); proto-spec/inline.md.  net_inline_value ends the
 * line. */
void net_inline_text(struct tk_buf *out, struct tk_slice v);
void net_inline_value(struct tk_buf *out, struct tk_slice v);
/* A decimal count argument of an inline command: digits only, no sign; one
 * that overflows is refused (naming max_shown), never clamped.  Errors name
 * the usage and what the number is ("limit", "count"). */
enum tk_err net_inline_count(struct tk_slice s, const char *usage, const char *what,
                             uint64_t max_shown, uint64_t *out, struct tk_errbuf *eb);

/* ---- status.c ---- */
enum tk_err net_http_start(struct net_server *s, struct tk_errbuf *eb);
/* Status as JSON (/status) and as "key: value" lines (INFO). */
void net_status_json(struct net_server *s, struct tk_buf *out);
void net_status_text(struct net_server *s, struct tk_buf *out);
void net_metrics_text(struct net_server *s, struct tk_buf *out);

#endif
