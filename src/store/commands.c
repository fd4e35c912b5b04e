/* tinykvd's one command table: every message the store serves, raw and
 * transactional, with its handler and its kind; the inline (netcat)
 * commands are rows of the same table, so a text line runs through the same
 * handler as the frame it stands for. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "store/store.h"
#include "util/quote.h"

enum cmd_kind {
	CMD_READ,  /* runs at once; held behind its connection's own pending writes */
	CMD_WRITE, /* joins the group commit when it wrote something */
};

struct store_cmd {
	enum tk_msg_type type;
	store_handler fn;
	enum cmd_kind kind;
	const struct net_inline_cmd *inl; /* its inline form, or NULL */
	size_t ctx_off; /* offset of the request's region context, or NO_CTX */
};

#define NO_CTX SIZE_MAX
#define CTX(req) offsetof(struct tk_##req, ctx)

/* ---- inline forms ---- */

static enum tk_err parse_key(const struct tk_slice *argv, size_t argc, void *reqp,
                             struct tk_errbuf *eb)
{
	(void)argc, (void)eb;
	/* raw_get and raw_delete requests start with their key */
	struct tk_raw_get_req *req = reqp;
	req->key = argv[0];
	return TK_OK;
}

static enum tk_err parse_put(const struct tk_slice *argv, size_t argc, void *reqp,
                             struct tk_errbuf *eb)
{
	(void)argc, (void)eb;
	struct tk_raw_put_req *req = reqp;
	req->key = argv[0];
	req->value = argv[1];
	return TK_OK;
}

#define SCAN_USAGE "SCAN start [end [limit]]"

static enum tk_err parse_scan(const struct tk_slice *argv, size_t argc, void *reqp,
                              struct tk_errbuf *eb)
{
	struct tk_raw_scan_req *req = reqp;
	req->start = argv[0];
	req->end = argc > 1 ? argv[1] : tk_slice_of(NULL, 0);
	return argc > 2 ? net_inline_count(argv[2], SCAN_USAGE, "limit", UINT64_MAX, &req->limit, eb) : TK_OK;
}

/* CAS key expected new | CAS --absent key new | CAS --delete key expected
 * (| CAS --absent --delete key): the options of tinykv-cli's cas, before the
 * key; "--" ends them, for a key that starts with "--". */
#define CAS_USAGE "CAS key expected new"
#define CAS_FORMS "CAS key expected new | CAS --absent key new | CAS --delete key expected"

/* An argument as a present value: an empty one ("") still points somewhere,
 * since a NULL pointer means "field absent" to the command. */
static struct tk_slice present(struct tk_slice a)
{
	return a.p ? a : tk_slice_of("", 0);
}

static enum tk_err parse_cas(const struct tk_slice *argv, size_t argc, void *reqp,
                             struct tk_errbuf *eb)
{
	struct tk_raw_cas_req *req = reqp;
	size_t i = 0;
	for (; i < argc && argv[i].n > 2 && argv[i].p[0] == '-' && argv[i].p[1] == '-'; i++) {
		if (tk_slice_eq(argv[i], tk_slice_str("--absent")))
			req->expect_absent = true;
		else if (tk_slice_eq(argv[i], tk_slice_str("--delete")))
			req->del = true;
		else
			return tk_err_set(eb, TK_E_BAD_REQUEST, "unknown option '%.*s'; usage: %s",
			                  (int)(argv[i].n > 32 ? 32 : argv[i].n), (const char *)argv[i].p,
			                  CAS_FORMS);
	}
	if (i < argc && tk_slice_eq(argv[i], tk_slice_str("--")))
		i++;
	size_t want = 1 + !req->expect_absent + !req->del;
	if (argc - i != want)
		return tk_err_set(eb, TK_E_BAD_REQUEST,
		                  "%s takes %zu argument%s after its options; usage: %s",
		                  req->expect_absent && req->del ? "CAS --absent --delete"
		                  : req->expect_absent           ? "CAS --absent"
		                  : req->del                     ? "CAS --delete"
		                                                 : "CAS",
		                  want, want == 1 ? "" : "s", CAS_FORMS);
	req->key = argv[i++];
	if (!req->expect_absent)
		req->expect = present(argv[i++]);
	if (!req->del)
		req->value = present(argv[i]);
	return TK_OK;
}

static void render_pong(struct tk_buf *out, const void *resp)
{
	(void)resp;
	tk_buf_append(out, "PONG\n", 5);
}

static void render_get(struct tk_buf *out, const void *respp)
{
	const struct tk_raw_get_resp *resp = respp;
	if (resp->value.p)
		net_inline_value(out, resp->value);
	else
		tk_buf_append(out, "(nil)\n", 6);
}

static void render_scan(struct tk_buf *out, const void *respp)
{
	const struct tk_raw_scan_resp *resp = respp;
	for (uint32_t i = 0; i < resp->kvs.n; i++) {
		net_inline_text(out, resp->kvs.v[i].k);
		tk_buf_append_byte(out, ' ');
		net_inline_value(out, resp->kvs.v[i].v);
	}
	tk_buf_printf(out, "(%u pairs%s)\n", resp->kvs.n, resp->more ? ", more" : "");
}

/* SWAPPED prev / UNCHANGED current, (nil) for an absent key: one line. */
static void render_cas(struct tk_buf *out, const void *respp)
{
	const struct tk_raw_cas_resp *resp = respp;
	tk_buf_printf(out, "%s ", resp->swapped ? "SWAPPED" : "UNCHANGED");
	if (resp->prev.p)
		net_inline_value(out, resp->prev);
	else
		tk_buf_append(out, "(nil)\n", 6);
}

static const struct net_inline_cmd inl_ping = {"PING", NULL, "PING", "PONG",     TK_MSG_ping,
                                               0,      0,    NULL,   render_pong};
static const struct net_inline_cmd inl_get = {
    "GET", NULL, "GET key", "the value, or (nil)", TK_MSG_raw_get, 1, 1, parse_key, render_get};
static const struct net_inline_cmd inl_put = {
    "PUT", "SET", "PUT key value", "OK once durable", TK_MSG_raw_put, 2, 2, parse_put, NULL};
static const struct net_inline_cmd inl_del = {
    "DEL", "DELETE", "DEL key", "OK once durable", TK_MSG_raw_delete, 1, 1, parse_key, NULL};
static const struct net_inline_cmd inl_scan = {
    "SCAN",
    NULL,
    SCAN_USAGE,
    "one `key value` line per pair, then (N pairs[, more]);\n"
    "                                 end \"\" = no end; limit default 100",
    TK_MSG_raw_scan,
    1,
    3,
    parse_scan,
    render_scan};

static const struct net_inline_cmd inl_cas = {
    "CAS",
    NULL,
    CAS_USAGE,
    "SWAPPED prev, or UNCHANGED current ((nil): no such key);\n"
    "                                 options before the key: --absent (expect no key),\n"
    "                                 --delete (delete if equal, no new)",
    TK_MSG_raw_cas,
    1,
    6,
    parse_cas,
    render_cas};

static enum tk_err do_ping(struct store *s, struct net_conn *c, const void *req, void *resp,
                           bool *deferred, struct tk_errbuf *eb)
{
	(void)s, (void)c, (void)req, (void)resp, (void)deferred, (void)eb;
	return TK_OK;
}

/* ---- the table ---- */

static const struct store_cmd commands[] = {
    {TK_MSG_ping, do_ping, CMD_READ, &inl_ping, NO_CTX},
    {TK_MSG_raw_get, store_raw_get, CMD_READ, &inl_get, CTX(raw_get_req)},
    {TK_MSG_raw_put, store_raw_put, CMD_WRITE, &inl_put, CTX(raw_put_req)},
    {TK_MSG_raw_delete, store_raw_delete, CMD_WRITE, &inl_del, CTX(raw_delete_req)},
    {TK_MSG_raw_scan, store_raw_scan, CMD_READ, &inl_scan, CTX(raw_scan_req)},
    {TK_MSG_raw_batch_get, store_raw_batch_get, CMD_READ, NULL, CTX(raw_batch_get_req)},
    {TK_MSG_raw_batch_put, store_raw_batch_put, CMD_WRITE, NULL, CTX(raw_batch_put_req)},
    {TK_MSG_raw_batch_delete, store_raw_batch_delete, CMD_WRITE, NULL, CTX(raw_batch_delete_req)},
    {TK_MSG_raw_cas, store_raw_cas, CMD_WRITE, &inl_cas, CTX(raw_cas_req)},
    {TK_MSG_kv_get, store_kv_get, CMD_READ, NULL, CTX(kv_get_req)},
    {TK_MSG_kv_scan, store_kv_scan, CMD_READ, NULL, CTX(kv_scan_req)},
    {TK_MSG_kv_scan_lock, store_kv_scan_lock, CMD_READ, NULL, CTX(kv_scan_lock_req)},
    {TK_MSG_kv_prewrite, store_kv_prewrite, CMD_WRITE, NULL, CTX(kv_prewrite_req)},
    {TK_MSG_kv_commit, store_kv_commit, CMD_WRITE, NULL, CTX(kv_commit_req)},
    {TK_MSG_kv_batch_rollback, store_kv_rollback, CMD_WRITE, NULL, CTX(kv_batch_rollback_req)},
    {TK_MSG_kv_check_txn_status, store_kv_check_status, CMD_WRITE, NULL, CTX(kv_check_txn_status_req)},
    {TK_MSG_kv_resolve_lock, store_kv_resolve, CMD_WRITE, NULL, CTX(kv_resolve_lock_req)},
    {TK_MSG_kv_gc, store_kv_gc, CMD_WRITE, NULL, CTX(kv_gc_req)},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* The inline rows of the table, in its order, NULL-terminated. */
static const struct net_inline_cmd *const inline_cmds[] = {
    &inl_ping, &inl_get, &inl_put, &inl_del, &inl_scan, &inl_cas, NULL};

static const struct store_cmd *find(enum tk_msg_type type)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].type == type)
			return &commands[i];
	return NULL;
}

static enum net_outcome execute(struct net_server *ns, const struct net_req *r, const void *req,
                                void *resp, enum tk_err *code, struct tk_errbuf *eb)
{
	struct store *s = store_of(ns);
	if (r->type == TK_MSG_raft)
		return store_tr_receive(s, req, code, eb);
	/* A ReadIndex round confirmed for this connection's held read serves
	 * that read only: taken here, whatever becomes of the request. */
	int32_t read_state = r->conn->svc_state;
	r->conn->svc_state = 0;
	const struct store_cmd *cmd = find(r->type);
	if (!cmd) {
		*code =
		    tk_err_set(eb, TK_E_UNKNOWN_MESSAGE, "message '%s' is not served by tinykvd",
		               r->type < TK_MSG__COUNT ? tk_msg_defs[r->type].name : "?");
		return NET_ANSWER;
	}
	/* read-your-writes without proposing early: wait for the apply */
	if (cmd->kind == CMD_READ && net_conn_has_open_slots(r->conn)) {
		if (store_hold(s, r->conn) == TK_OK)
			return NET_HOLD;
		*code = tk_err_set(eb, TK_E_NOMEM, "out of memory");
		return NET_ANSWER;
	}
	if (cmd->kind == CMD_WRITE && ns->shutting_down) {
		*code = tk_err_set(eb, TK_E_SHUTTING_DOWN, "server is shutting down");
		return NET_ANSWER;
	}
	const struct tk_region_ctx *ctx =
	    cmd->ctx_off == NO_CTX ? NULL
	                           : *(struct tk_region_ctx *const *)((const char *)req + cmd->ctx_off);
	struct tk_error *werr;
	if (ctx && !store_check_ctx(s, ctx, &r->conn->arena, &werr, code, eb))
		return werr && net_reply_error(r, werr) ? NET_DEFERRED : NET_ANSWER;
	if (cmd->kind == CMD_WRITE && !store_check_busy(s, &r->conn->arena, &werr, code, eb))
		return werr && net_reply_error(r, werr) ? NET_DEFERRED : NET_ANSWER;
	if (cmd->kind == CMD_READ && r->type != TK_MSG_ping) {
		switch (store_read_gate(s, r->conn, read_state, &r->conn->arena, &werr, code, eb)) {
		case READ_NOW:
			break;
		case READ_WAIT:
			return NET_HOLD;
		case READ_FAIL:
			return werr && net_reply_error(r, werr) ? NET_DEFERRED : NET_ANSWER;
		}
	}
	bool deferred = false;
	s->txn.wait = false;
	s->raft.last_cas = -1;
	*code = cmd->fn(s, r->conn, req, resp, &deferred, eb);
	if (s->txn.wait) {
		/* latches or a resolve in flight: run it again after an apply */
		s->txn.wait = false;
		if (store_hold(s, r->conn) == TK_OK)
			return NET_HOLD;
		*code = tk_err_set(eb, TK_E_NOMEM, "out of memory");
		return NET_ANSWER;
	}
	if (*code != TK_OK || !deferred)
		return NET_ANSWER;
	*code = store_defer_write(s, r, resp);
	if (*code != TK_OK) {
		tk_err_set(eb, *code, "out of memory");
		return NET_ANSWER;
	}
	return NET_DEFERRED;
}

static void store_metrics_extra(struct net_server *ns, struct tk_buf *out)
{
	store_raft_metrics(store_of(ns), out);
	if (store_of(ns)->cluster) {
		store_hb_metrics(store_of(ns), out);
		store_tr_metrics(store_of(ns), out);
	}
}

static size_t store_status_extra(struct net_server *ns, struct net_status_field *f, size_t max)
{
	size_t n = store_raft_status(store_of(ns), f, max);
	if (store_of(ns)->cluster)
		n += store_hb_status(store_of(ns), f + n, max - n);
	return n;
}

static bool accepts_role(struct tk_slice role, char *why, size_t whylen)
{
	if (tk_slice_eq(role, tk_slice_str("client")))
		return true;
	snprintf(why, whylen, "role '%.*s' not served: a standalone store talks to clients only",
	         (int)(role.n > 32 ? 32 : role.n), role.p);
	return false;
}

/* A cluster store also takes the other stores' raft links. */
static bool accepts_role_cluster(struct tk_slice role, char *why, size_t whylen)
{
	if (tk_slice_eq(role, tk_slice_str("store")))
		return true;
	if (tk_slice_eq(role, tk_slice_str("client")))
		return true;
	snprintf(why, whylen, "role '%.*s' not served: a store talks to clients and stores",
	         (int)(role.n > 32 ? 32 : role.n), role.p);
	return false;
}

const struct net_service store_service = {
    .server_name = "tinykvd " PACKAGE_VERSION,
    .role = "store",
    .mode = "standalone",
    .inline_cmds = inline_cmds,
    .accepts_role = accepts_role,
    .execute = execute,
    .iteration_end = store_iteration_end,
    .status_extra = store_status_extra,
    .metrics_extra = store_metrics_extra,
};

/* The same service in cluster mode: /status says so. */
const struct net_service store_cluster_service = {
    .server_name = "tinykvd " PACKAGE_VERSION,
    .role = "store",
    .mode = "cluster",
    .inline_cmds = inline_cmds,
    .accepts_role = accepts_role_cluster,
    .execute = execute,
    .iteration_end = store_iteration_end,
    .status_extra = store_status_extra,
    .metrics_extra = store_metrics_extra,
};
