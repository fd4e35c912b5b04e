/* Raw KV command encoding (see cmd.h). */
#include "raftstore/cmd.h"

#include <string.h>

bool rs_cmd_begin(struct tk_buf *out)
{
	uint8_t h[5] = {RS_CMD_V1, 0, 0, 0, 0};
	tk_buf_reset(out);
	return tk_buf_append(out, h, sizeof h);
}

static bool put_part(struct tk_buf *out, struct tk_slice s)
{
	uint8_t l[4];
	if (s.n > UINT32_MAX)
		return false;
	tk_put_be32(l, (uint32_t)s.n);
	return tk_buf_append(out, l, 4) && tk_buf_append(out, s.p, s.n);
}

/* The op count lives in the header: bump it in place. */
static void count_op(struct tk_buf *out)
{
	tk_put_be32(out->data + 1, tk_get_be32(out->data + 1) + 1);
}

bool rs_cmd_add(struct tk_buf *out, enum rs_cmd_op op, struct tk_slice key, struct tk_slice val)
{
	if (out->len < 5)
		return false;
	uint8_t o = (uint8_t)op;
	if (!tk_buf_append(out, &o, 1) || !put_part(out, key) || !put_part(out, val))
		return false;
	count_op(out);
	return true;
}

bool rs_cmd_cf_ok(uint8_t cf)
{
	return cf == ENG_CF_RAW || cf == ENG_CF_DEFAULT || cf == ENG_CF_LOCK || cf == ENG_CF_WRITE;
}

bool rs_cmd_add_cf(struct tk_buf *out, enum eng_cf cf, struct tk_slice key, struct tk_slice val,
                   bool is_delete)
{
	if (out->len < 5 || key.n >= UINT32_MAX || val.n > UINT32_MAX)
		return false;
	uint8_t h[6];
	h[0] = is_delete ? RS_CMD_DELETE_CF : RS_CMD_PUT_CF;
	tk_put_be32(h + 1, (uint32_t)key.n + 1);
	h[5] = (uint8_t)cf;
	uint8_t l[4];
	tk_put_be32(l, is_delete ? 0 : (uint32_t)val.n);
	if (!tk_buf_append(out, h, sizeof h) || !tk_buf_append(out, key.p, key.n) ||
	    !tk_buf_append(out, l, 4) || (!is_delete && !tk_buf_append(out, val.p, val.n)))
		return false;
	count_op(out);
	return true;
}

#define CAS_EXPECT_ABSENT 1
#define CAS_DELETE 2

bool rs_cmd_add_cas(struct tk_buf *out, struct tk_slice key, const struct rs_cas_op *op)
{
	bool absent = op->expect_kind == RS_CAS_EXPECT_ABSENT, del = op->action == RS_CAS_DELETE;
	struct tk_slice expect = absent ? tk_slice_of(NULL, 0) : op->expect;
	struct tk_slice value = del ? tk_slice_of(NULL, 0) : op->value;
	if (out->len < 5 || key.n > UINT32_MAX || expect.n > UINT32_MAX ||
	    5 + expect.n + value.n > UINT32_MAX)
		return false;
	uint8_t h[5];
	h[0] = RS_CMD_CAS;
	tk_put_be32(h + 1, (uint32_t)key.n);
	uint8_t v[9];
	tk_put_be32(v, (uint32_t)(5 + expect.n + value.n));
	v[4] = (uint8_t)((absent ? CAS_EXPECT_ABSENT : 0) | (del ? CAS_DELETE : 0));
	tk_put_be32(v + 5, (uint32_t)expect.n);
	if (!tk_buf_append(out, h, 5) || !tk_buf_append(out, key.p, key.n) ||
	    !tk_buf_append(out, v, 9) || !tk_buf_append(out, expect.p, expect.n) ||
	    !tk_buf_append(out, value.p, value.n))
		return false;
	count_op(out);
	return true;
}

/* A CAS val is well formed: flags known, expect inside, and the forms'
 * rules (nothing expected when expecting absence, no value to delete). */
static bool cas_val_ok(struct tk_slice v)
{
	if (v.n < 5 || (v.p[0] & ~(CAS_EXPECT_ABSENT | CAS_DELETE)))
		return false;
	size_t elen = tk_get_be32(v.p + 1);
	if (elen > v.n - 5)
		return false;
	size_t rest = v.n - 5 - elen;
	if ((v.p[0] & CAS_EXPECT_ABSENT) && elen)
		return false;
	return !((v.p[0] & CAS_DELETE) && rest);
}

void rs_cmd_cas_parse(struct tk_slice v, struct rs_cas_op *op)
{
	size_t elen = tk_get_be32(v.p + 1);
	op->expect_kind = (v.p[0] & CAS_EXPECT_ABSENT) ? RS_CAS_EXPECT_ABSENT : RS_CAS_EXPECT_VALUE;
	op->expect = tk_slice_of(v.p + 5, elen);
	op->action = (v.p[0] & CAS_DELETE) ? RS_CAS_DELETE : RS_CAS_PUT;
	op->value = tk_slice_of(v.p + 5 + elen, v.n - 5 - elen);
}

struct add_batch {
	struct tk_buf *out;
	enum tk_err rc;
};

static void add_batch_op(void *arg, enum eng_cf cf, struct tk_slice key, struct tk_slice val,
                         bool is_delete)
{
	struct add_batch *a = arg;
	if (a->rc != TK_OK)
		return;
	if (!rs_cmd_cf_ok((uint8_t)cf))
		a->rc = TK_E_BAD_REQUEST;
	else if (!rs_cmd_add_cf(a->out, cf, key, val, is_delete))
		a->rc = TK_E_NOMEM;
}

enum tk_err rs_cmd_add_batch(struct tk_buf *out, const struct eng_batch *b)
{
	struct add_batch a = {out, TK_OK};
	enum tk_err rc = eng_batch_iterate(b, add_batch_op, &a);
	return rc != TK_OK ? rc : a.rc;
}

enum tk_err rs_cmd_iter_init(struct rs_cmd_iter *it, const uint8_t *data, size_t len,
                             struct tk_errbuf *eb)
{
	memset(it, 0, sizeof *it);
	if (len < 5)
		return tk_err_set(eb, TK_E_CORRUPTION, "command of %zu bytes is too short", len);
	if (data[0] != RS_CMD_V1)
		return tk_err_set(eb, TK_E_CORRUPTION, "command version %u unknown", data[0]);
	it->p = data;
	it->len = len;
	it->off = 5;
	it->left = tk_get_be32(data + 1);
	return TK_OK;
}

static bool get_part(struct rs_cmd_iter *it, struct tk_slice *s)
{
	if (it->len - it->off < 4)
		return false;
	size_t n = tk_get_be32(it->p + it->off);
	it->off += 4;
	if (it->len - it->off < n)
		return false;
	*s = tk_slice_of(it->p + it->off, n);
	it->off += n;
	return true;
}

bool rs_cmd_next(struct rs_cmd_iter *it, struct rs_cmd_op_view *op, enum tk_err *rc,
                 struct tk_errbuf *eb)
{
	*rc = TK_OK;
	if (it->left == 0) {
		if (it->off != it->len)
			*rc = tk_err_set(eb, TK_E_CORRUPTION, "command has %zu trailing bytes",
			                 it->len - it->off);
		return false;
	}
	if (it->off >= it->len) {
		*rc = tk_err_set(eb, TK_E_CORRUPTION, "command ends before its %u ops", it->left);
		return false;
	}
	op->op = it->p[it->off++];
	if (!get_part(it, &op->key) || !get_part(it, &op->val)) {
		*rc = tk_err_set(eb, TK_E_CORRUPTION, "command op truncated");
		return false;
	}
	bool ok = (op->op == RS_CMD_PUT) || (op->op == RS_CMD_DELETE && op->val.n == 0) ||
	          (op->op == RS_CMD_INCR && op->val.n == 8) ||
	          (op->op == RS_CMD_PUT_CF && op->key.n > 0 && rs_cmd_cf_ok(op->key.p[0])) ||
	          (op->op == RS_CMD_DELETE_CF && op->key.n > 0 && rs_cmd_cf_ok(op->key.p[0]) &&
	           op->val.n == 0) ||
	          (op->op == RS_CMD_CAS && op->key.n > 0 && cas_val_ok(op->val));
	if (!ok) {
		*rc = tk_err_set(eb, TK_E_CORRUPTION, "bad command op %u", op->op);
		return false;
	}
	it->left--;
	return true;
}

bool rs_admin_encode(const struct rs_admin *a, struct tk_buf *out)
{
	uint8_t b[RS_ADMIN_CHANGE_PEER_LEN] = {RS_CMD_ADMIN_V1, a->type};
	size_t n;
	if (a->type == RS_ADMIN_COMPACT_LOG) {
		tk_put_be64(b + 2, a->compact_index);
		tk_put_be64(b + 10, a->compact_term);
		n = RS_ADMIN_COMPACT_LOG_LEN;
	} else if (a->type == RS_ADMIN_CHANGE_PEER && a->change <= RS_CHANGE_REMOVE_VOTER) {
		b[2] = a->change;
		tk_put_be64(b + 3, a->peer_id);
		tk_put_be64(b + 11, a->store_id);
		tk_put_be64(b + 19, a->epoch.conf_ver);
		tk_put_be64(b + 27, a->epoch.version);
		n = RS_ADMIN_CHANGE_PEER_LEN;
	} else {
		return false;
	}
	tk_buf_reset(out);
	return tk_buf_append(out, b, n);
}

static enum tk_err decode_change_peer(const uint8_t *data, size_t len, struct rs_admin *a,
                                      struct tk_errbuf *eb)
{
	if (len != RS_ADMIN_CHANGE_PEER_LEN)
		return tk_err_set(eb, TK_E_CORRUPTION, "change peer command of %zu bytes", len);
	a->change = data[2];
	a->peer_id = tk_get_be64(data + 3);
	a->store_id = tk_get_be64(data + 11);
	a->epoch.conf_ver = tk_get_be64(data + 19);
	a->epoch.version = tk_get_be64(data + 27);
	if (a->change > RS_CHANGE_REMOVE_VOTER)
		return tk_err_set(eb, TK_E_CORRUPTION, "change peer type %u unknown", a->change);
	if (a->peer_id == 0 || a->store_id == 0)
		return tk_err_set(eb, TK_E_CORRUPTION, "change peer with peer/store id 0");
	return TK_OK;
}

enum tk_err rs_admin_decode(const uint8_t *data, size_t len, struct rs_admin *a,
                            struct tk_errbuf *eb)
{
	memset(a, 0, sizeof *a);
	if (len < 2 || data[0] != RS_CMD_ADMIN_V1)
		return tk_err_set(eb, TK_E_CORRUPTION, "not an admin command");
	a->type = data[1];
	if (data[1] == RS_ADMIN_CHANGE_PEER)
		return decode_change_peer(data, len, a, eb);
	if (data[1] != RS_ADMIN_COMPACT_LOG)
		return tk_err_set(eb, TK_E_CORRUPTION, "admin command type %u unknown", data[1]);
	if (len != RS_ADMIN_COMPACT_LOG_LEN)
		return tk_err_set(eb, TK_E_CORRUPTION, "compact log command of %zu bytes", len);
	a->compact_index = tk_get_be64(data + 2);
	a->compact_term = tk_get_be64(data + 10);
	if (a->compact_index == 0 || a->compact_term == 0)
		return tk_err_set(eb, TK_E_CORRUPTION, "compact log to index/term 0");
	return TK_OK;
}
