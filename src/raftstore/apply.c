/* Raw KV command application with a write overlay (see apply.h). */
#include "raftstore/apply.h"

#include <stdlib.h>
#include <string.h>

#include "raftstore/cmd.h"

void rs_apply_init(struct rs_apply_ctx *c, struct eng *e, struct eng_batch *b)
{
	memset(c, 0, sizeof *c);
	c->e = e;
	c->b = b;
}

void rs_apply_reset(struct rs_apply_ctx *c)
{
	c->n = 0;
}

void rs_apply_destroy(struct rs_apply_ctx *c)
{
	rs_apply_reset(c);
	free(c->ov);
	c->ov = NULL;
	c->cap = 0;
}

/* The newest staged value of key (linear: batches of one pass are small). */
static struct rs_apply_ov_ent *ov_find(struct rs_apply_ctx *c, struct tk_slice key)
{
	for (size_t i = c->n; i-- > 0;)
		if (tk_slice_eq(c->ov[i].key, key))
			return &c->ov[i];
	return NULL;
}

/* Remember a staged raw write (counter: val is an INCR result, copied). */
static bool ov_add(struct rs_apply_ctx *c, struct tk_slice key, struct tk_slice val, bool deleted,
                   bool counter)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct rs_apply_ov_ent *p = realloc(c->ov, cap * sizeof *p);
		if (!p)
			return false;
		c->ov = p;
		c->cap = cap;
	}
	struct rs_apply_ov_ent *o = &c->ov[c->n++];
	o->key = key;
	o->val = counter ? tk_slice_of(NULL, 0) : val;
	o->deleted = deleted;
	o->counter = counter;
	if (counter)
		memcpy(o->num, val.p, 8);
	return true;
}

/* Current value of a counter: the overlay first, then the engine. */
static enum tk_err counter_get(struct rs_apply_ctx *c, struct tk_slice key, uint64_t *v,
                               struct tk_errbuf *eb)
{
	*v = 0;
	struct rs_apply_ov_ent *o = ov_find(c, key);
	if (o) {
		if (!o->deleted && o->counter)
			*v = tk_get_be64(o->num);
		else if (!o->deleted && o->val.n == 8)
			*v = tk_get_be64(o->val.p);
		return TK_OK;
	}
	struct tk_buf val;
	tk_buf_init(&val);
	bool found = false;
	enum tk_err rc = eng_get(c->e, ENG_CF_RAW, key, &val, &found, eb);
	if (rc == TK_OK && found && val.len == 8)
		*v = tk_get_be64(val.data);
	tk_buf_destroy(&val);
	return rc;
}

enum tk_err rs_apply_cmd(struct rs_apply_ctx *c, const uint8_t *data, size_t len,
                         struct tk_errbuf *eb)
{
	struct rs_cmd_iter it;
	struct rs_cmd_op_view op;
	enum tk_err rc = rs_cmd_iter_init(&it, data, len, eb);
	if (rc != TK_OK)
		return rc;
	/* Validate the whole command first so a bad one stages nothing. */
	while (rs_cmd_next(&it, &op, &rc, eb))
		;
	if (rc != TK_OK)
		return rc;
	rs_cmd_iter_init(&it, data, len, eb);
	while (rs_cmd_next(&it, &op, &rc, eb)) {
		uint8_t nv[8];
		struct tk_slice val = op.val;
		if (op.op == RS_CMD_PUT_CF || op.op == RS_CMD_DELETE_CF) {
			enum eng_cf cf = (enum eng_cf)op.key.p[0];
			struct tk_slice key = tk_slice_of(op.key.p + 1, op.key.n - 1);
			bool del = op.op == RS_CMD_DELETE_CF;
			if (del)
				eng_batch_delete(c->b, cf, key);
			else
				eng_batch_put(c->b, cf, key, val);
			if (cf == ENG_CF_RAW && !ov_add(c, key, val, del, false))
				return tk_err_set(eb, TK_E_NOMEM, "apply overlay");
			continue;
		}
		if (op.op == RS_CMD_INCR) {
			uint64_t v;
			rc = counter_get(c, op.key, &v, eb);
			if (rc != TK_OK)
				return rc;
			tk_put_be64(nv, v + tk_get_be64(op.val.p));
			val = tk_slice_of(nv, 8);
		}
		if (op.op == RS_CMD_DELETE)
			eng_batch_delete(c->b, ENG_CF_RAW, op.key);
		else
			eng_batch_put(c->b, ENG_CF_RAW, op.key, val);
		if (!ov_add(c, op.key, val, op.op == RS_CMD_DELETE, op.op == RS_CMD_INCR))
			return tk_err_set(eb, TK_E_NOMEM, "apply overlay");
	}
	return rc;
}
