/* Command application with a lazily indexed write overlay (see apply.h). */
#include "raftstore/apply.h"

#include <stdlib.h>
#include <string.h>

#include "raftstore/cas.h"
#include "raftstore/cmd.h"

void rs_apply_init(struct rs_apply_ctx *c, struct eng *e, struct eng_batch *b)
{
	memset(c, 0, sizeof *c);
	c->e = e;
	c->b = b;
	rs_overlay_init(&c->ov);
	tk_buf_init(&c->val);
	tk_buf_init(&c->out_bytes);
}

void rs_apply_reset(struct rs_apply_ctx *c)
{
	c->n = 0;
	c->n_outs = 0;
	if (c->indexed)
		rs_overlay_clear(&c->ov);
	c->indexed = false;
	tk_buf_reset(&c->out_bytes);
}

void rs_apply_destroy(struct rs_apply_ctx *c)
{
	free(c->staged);
	free(c->outs);
	free(c->out_off);
	rs_overlay_destroy(&c->ov);
	tk_buf_destroy(&c->val);
	tk_buf_destroy(&c->out_bytes);
	memset(c, 0, sizeof *c);
}

/* Remember a staged raw write: a slice (key and val live in entry data or,
 * for computed values, in the overlay once indexed). */
static bool remember(struct rs_apply_ctx *c, struct tk_slice key, struct tk_slice val, bool del)
{
	if (c->indexed) {
		if (del)
			rs_overlay_delete(&c->ov, key);
		else
			rs_overlay_put(&c->ov, key, val);
		return !c->ov.lost;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct rs_apply_staged *p = realloc(c->staged, cap * sizeof *p);
		if (!p)
			return false;
		c->staged = p;
		c->cap = cap;
	}
	c->staged[c->n++] = (struct rs_apply_staged){key, val, del};
	return true;
}

/* The current state of raw key: the pass's staged writes first (indexed on
 * the first read), then the engine.  *val is valid until the next write or
 * read. */
static enum tk_err current(struct rs_apply_ctx *c, struct tk_slice key, bool *present,
                           struct tk_slice *val, struct tk_errbuf *eb)
{
	if (!c->indexed) {
		for (size_t i = 0; i < c->n; i++) {
			if (c->staged[i].deleted)
				rs_overlay_delete(&c->ov, c->staged[i].key);
			else
				rs_overlay_put(&c->ov, c->staged[i].key, c->staged[i].val);
		}
		c->indexed = true;
		c->n = 0;
	}
	switch (rs_overlay_get(&c->ov, key, present, val)) {
	case RS_OV_HIT:
		return TK_OK;
	case RS_OV_UNKNOWN:
		return tk_err_set(eb, TK_E_NOMEM, "apply overlay");
	case RS_OV_MISS:
		break;
	}
	enum tk_err rc = eng_get(c->e, ENG_CF_RAW, key, &c->val, present, eb);
	*val = rc == TK_OK && *present ? tk_buf_slice(&c->val) : tk_slice_of(NULL, 0);
	if (val->p == NULL)
		*val = tk_slice_of("", 0);
	return rc;
}

static enum tk_err add_output(struct rs_apply_ctx *c, bool swapped, bool present,
                              struct tk_slice prev, struct tk_errbuf *eb)
{
	if (c->n_outs == c->cap_outs) {
		size_t cap = c->cap_outs ? c->cap_outs * 2 : 16;
		struct rs_cas_output *o = realloc(c->outs, cap * sizeof *o);
		if (o)
			c->outs = o;
		size_t *off = realloc(c->out_off, cap * sizeof *off);
		if (off)
			c->out_off = off;
		if (!o || !off)
			return tk_err_set(eb, TK_E_NOMEM, "apply outputs");
		c->cap_outs = cap;
	}
	/* the bytes move as out_bytes grows: keep an offset, make the slice
	 * when the outputs are handed out */
	c->out_off[c->n_outs] = c->out_bytes.len;
	if (present && !tk_buf_append(&c->out_bytes, prev.p, prev.n))
		return tk_err_set(eb, TK_E_NOMEM, "apply outputs");
	c->outs[c->n_outs++] = (struct rs_cas_output){swapped, present, tk_slice_of(NULL, prev.n)};
	return TK_OK;
}

size_t rs_apply_n_outputs(const struct rs_apply_ctx *c)
{
	return c->n_outs;
}

struct rs_cmd_output rs_apply_outputs(struct rs_apply_ctx *c, size_t start, size_t n)
{
	for (size_t i = start; i < start + n; i++)
		if (c->outs[i].prev_present)
			c->outs[i].prev = tk_slice_of(c->out_bytes.data + c->out_off[i], c->outs[i].prev.n);
	return (struct rs_cmd_output){n ? c->outs + start : NULL, n};
}

static enum tk_err apply_cas(struct rs_apply_ctx *c, const struct rs_cmd_op_view *op,
                             struct tk_errbuf *eb)
{
	struct rs_cas_op cas;
	rs_cmd_cas_parse(op->val, &cas);
	bool present;
	struct tk_slice cur;
	enum tk_err rc = current(c, op->key, &present, &cur, eb);
	if (rc != TK_OK)
		return rc;
	struct rs_cas_result r = rs_cas_decide(&cas, present, cur);
	/* the output copies cur before a write may move the overlay's bytes */
	rc = add_output(c, r.swapped, present, cur, eb);
	if (rc != TK_OK)
		return rc;
	if (r.write == RS_CAS_WRITE_PUT) {
		eng_batch_put(c->b, ENG_CF_RAW, op->key, cas.value);
		if (!remember(c, op->key, cas.value, false))
			return tk_err_set(eb, TK_E_NOMEM, "apply overlay");
	} else if (r.write == RS_CAS_WRITE_DELETE) {
		eng_batch_delete(c->b, ENG_CF_RAW, op->key);
		if (!remember(c, op->key, tk_slice_of(NULL, 0), true))
			return tk_err_set(eb, TK_E_NOMEM, "apply overlay");
	}
	return TK_OK;
}

static enum tk_err apply_incr(struct rs_apply_ctx *c, const struct rs_cmd_op_view *op,
                              struct tk_errbuf *eb)
{
	bool present;
	struct tk_slice cur;
	enum tk_err rc = current(c, op->key, &present, &cur, eb);
	if (rc != TK_OK)
		return rc;
	uint64_t v = present && cur.n == 8 ? tk_get_be64(cur.p) : 0;
	uint8_t nv[8];
	tk_put_be64(nv, v + tk_get_be64(op->val.p));
	eng_batch_put(c->b, ENG_CF_RAW, op->key, tk_slice_of(nv, 8));
	/* indexed now (current() did it), so the overlay copies nv */
	if (!remember(c, op->key, tk_slice_of(nv, 8), false))
		return tk_err_set(eb, TK_E_NOMEM, "apply overlay");
	return TK_OK;
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
	while (rc == TK_OK && rs_cmd_next(&it, &op, &rc, eb)) {
		switch (op.op) {
		case RS_CMD_PUT_CF:
		case RS_CMD_DELETE_CF: {
			enum eng_cf cf = (enum eng_cf)op.key.p[0];
			struct tk_slice key = tk_slice_of(op.key.p + 1, op.key.n - 1);
			bool del = op.op == RS_CMD_DELETE_CF;
			if (del)
				eng_batch_delete(c->b, cf, key);
			else
				eng_batch_put(c->b, cf, key, op.val);
			if (cf == ENG_CF_RAW && !remember(c, key, op.val, del))
				rc = tk_err_set(eb, TK_E_NOMEM, "apply overlay");
			break;
		}
		case RS_CMD_PUT:
			eng_batch_put(c->b, ENG_CF_RAW, op.key, op.val);
			if (!remember(c, op.key, op.val, false))
				rc = tk_err_set(eb, TK_E_NOMEM, "apply overlay");
			break;
		case RS_CMD_DELETE:
			eng_batch_delete(c->b, ENG_CF_RAW, op.key);
			if (!remember(c, op.key, op.val, true))
				rc = tk_err_set(eb, TK_E_NOMEM, "apply overlay");
			break;
		case RS_CMD_INCR:
			rc = apply_incr(c, &op, eb);
			break;
		case RS_CMD_CAS:
			rc = apply_cas(c, &op, eb);
			break;
		}
	}
	return rc;
}
