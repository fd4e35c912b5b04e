/* Region errors on the wire (region_error.h). */
#include <string.h>

#include "meta/region_error.h"
#include "meta/region_wire.h"
#include "util/quote.h"

/* Keys in messages are cut to this many bytes (the fields carry them
 * whole). */
#define MSG_KEY_MAX 64

static bool key_text(struct tk_buf *out, const uint8_t *p, size_t n, const char *empty)
{
	if (!n)
		return tk_buf_printf(out, "%s", empty);
	bool ok = tk_quote(out, tk_slice_of(p, n > MSG_KEY_MAX ? MSG_KEY_MAX : n));
	return n > MSG_KEY_MAX ? tk_buf_printf(out, "...") && ok : ok;
}

/* "region 8 [m, +inf) (conf_ver 1, version 4)" */
static bool region_text(struct tk_buf *out, const struct region *r, bool epoch)
{
	bool ok = tk_buf_printf(out, "region %llu [", (unsigned long long)r->id);
	ok = key_text(out, r->start_key, r->start_len, "-inf") && ok;
	ok = tk_buf_printf(out, ", ") && ok;
	ok = key_text(out, r->end_key, r->end_len, "+inf") && ok;
	ok = tk_buf_printf(out, ")") && ok;
	if (epoch)
		ok = tk_buf_printf(out, " (conf_ver %llu, version %llu)",
		                   (unsigned long long)r->epoch.conf_ver,
		                   (unsigned long long)r->epoch.version) &&
		     ok;
	return ok;
}

/* Each append below is checked through ok: a message cut by a failed
 * allocation is not sent. */
bool region_error_describe(struct tk_buf *out, const struct region_error *re)
{
	size_t start = out->len;
	bool ok = true;
	if (re->region_id && re->code != TK_E_REGION_NOT_FOUND &&
	    re->code != TK_E_KEY_NOT_IN_REGION)
		ok = tk_buf_printf(out, "region %llu: ", (unsigned long long)re->region_id);
	switch (re->code) {
	case TK_E_NOT_LEADER:
		ok = tk_buf_printf(out, "not leader; ") && ok;
		if (!re->leader.store_id) {
			ok = tk_buf_printf(out, "the leader is not known") && ok;
			break;
		}
		ok = tk_buf_printf(out, "the leader is store %llu",
		                   (unsigned long long)re->leader.store_id) &&
		     ok;
		if (re->leader.id)
			ok =
			    tk_buf_printf(out, " (peer %llu)", (unsigned long long)re->leader.id) &&
			    ok;
		if (re->leader_addr && *re->leader_addr)
			ok = tk_buf_printf(out, " at %s", re->leader_addr) && ok;
		break;
	case TK_E_EPOCH_NOT_MATCH:
		ok = tk_buf_printf(out, "epoch does not match") && ok;
		for (size_t i = 0; i < re->n_regions && i < REGION_ERROR_MSG_REGIONS; i++) {
			ok = tk_buf_printf(out, i ? ", " : "; the store has ") && ok;
			ok = region_text(out, &re->regions[i], true) && ok;
		}
		if (re->n_regions > REGION_ERROR_MSG_REGIONS)
			ok = tk_buf_printf(out, " and %zu more",
			                   re->n_regions - REGION_ERROR_MSG_REGIONS) &&
			     ok;
		break;
	case TK_E_REGION_NOT_FOUND:
		ok = tk_buf_printf(out, "region %llu is not on this store",
		                   (unsigned long long)re->region_id) &&
		     ok;
		break;
	case TK_E_KEY_NOT_IN_REGION:
		ok = tk_buf_printf(out, "key ") && ok;
		ok = key_text(out, re->key.p, re->key.n, "\"\"") && ok;
		ok = tk_buf_printf(out, " is not in ") && ok;
		if (re->n_regions)
			ok = region_text(out, &re->regions[0], false) && ok;
		else
			ok = tk_buf_printf(out, "region %llu", (unsigned long long)re->region_id) &&
			     ok;
		break;
	case TK_E_SERVER_IS_BUSY:
		ok = tk_buf_printf(out, "server is busy") && ok;
		if (re->reason && *re->reason)
			ok = tk_buf_printf(out, " (%s)", re->reason) && ok;
		if (re->backoff_ms)
			ok = tk_buf_printf(out, "; retry in %llu ms",
			                   (unsigned long long)re->backoff_ms) &&
			     ok;
		break;
	default:
		ok = tk_buf_printf(out, "%s", tk_strerror(re->code)) && ok;
		break;
	}
	/* a NUL behind the text (not counted), so out->data is a C string */
	if (!ok || !tk_buf_append_byte(out, 0)) {
		out->len = start;
		return false;
	}
	out->len--;
	return true;
}

struct tk_error *region_error_to_wire(struct tk_arena *a, const struct region_error *re,
                                      const char *msg)
{
	struct tk_error *w = tk_arena_alloc(a, sizeof *w);
	if (!w)
		return NULL;
	memset(w, 0, sizeof *w);
	w->code = tk_slice_str(tk_err_name(re->code));
	if (msg) {
		w->msg = tk_slice_str(msg);
	} else {
		struct tk_buf b;
		tk_buf_init(&b);
		size_t n = 0;
		char *text = NULL;
		if (region_error_describe(&b, re)) {
			n = b.len;
			text = tk_arena_dup(a, b.data, n + 1);
		}
		tk_buf_destroy(&b);
		if (!text)
			return NULL;
		w->msg = tk_slice_of(text, n);
	}
	w->region = re->region_id;
	if (re->leader.store_id) {
		struct tk_sched_peer *l = tk_arena_alloc(a, sizeof *l);
		if (!l)
			return NULL;
		memset(l, 0, sizeof *l);
		l->id = re->leader.id;
		l->store = re->leader.store_id;
		w->leader = l;
	}
	if (re->leader_addr && *re->leader_addr)
		w->leader_addr = tk_slice_str(re->leader_addr);
	if (re->n_regions) {
		struct tk_sched_region *rs = tk_arena_alloc(a, sizeof *rs * re->n_regions);
		if (!rs)
			return NULL;
		for (size_t i = 0; i < re->n_regions; i++) {
			struct tk_sched_region *one = region_to_wire(a, &re->regions[i]);
			if (!one)
				return NULL;
			rs[i] = *one;
		}
		w->regions.v = rs;
		w->regions.n = (uint32_t)re->n_regions;
	}
	if (re->key.p)
		w->key = tk_slice_of(re->key.n ? re->key.p : (const uint8_t *)"", re->key.n);
	if (re->reason && *re->reason)
		w->reason = tk_slice_str(re->reason);
	w->backoff_ms = re->backoff_ms;
	return w;
}

enum tk_err region_error_encode_frame(struct tk_buf *out, enum tk_msg_type type,
                                      struct tk_slice type_name, uint64_t id,
                                      const struct region_error *re, const char *msg)
{
	struct tk_arena a;
	tk_arena_init(&a);
	struct tk_error *w = region_error_to_wire(&a, re, msg);
	enum tk_err e = TK_E_NOMEM;
	if (w) {
		struct tk_msg m = {
		    .type = type, .type_name = type_name, .id = id, .kind = TK_ERROR, .body = w};
		e = tk_msg_encode_frame(out, &m);
		if (e == TK_E_TOO_LARGE) {
			/* regions of keys near the limit, many of them: the code and the
			 * rest still help the client, which asks the scheduler for them */
			w->regions.n = 0;
			e = tk_msg_encode_frame(out, &m);
		}
	}
	tk_arena_destroy(&a);
	return e;
}

static char *cstr(struct tk_arena *a, struct tk_slice s)
{
	char *p = tk_arena_alloc(a, s.n + 1);
	if (p) {
		if (s.n)
			memcpy(p, s.p, s.n);
		p[s.n] = 0;
	}
	return p;
}

enum tk_err region_error_from_wire(struct tk_arena *a, const struct tk_error *w,
                                   struct region_error *re, struct tk_errbuf *eb)
{
	memset(re, 0, sizeof *re);
	int known;
	re->code = tk_err_from_name((const char *)w->code.p, w->code.n, &known);
	re->region_id = w->region;
	if (w->leader)
		re->leader = (struct region_peer){w->leader->id, w->leader->store};
	if (w->leader_addr.p && !(re->leader_addr = cstr(a, w->leader_addr)))
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	if (w->reason.p && !(re->reason = cstr(a, w->reason)))
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	re->key = w->key;
	re->backoff_ms = w->backoff_ms;
	if (!w->regions.n)
		return TK_OK;
	struct region *rs = tk_arena_alloc(a, sizeof *rs * w->regions.n);
	if (!rs)
		return tk_err_set(eb, TK_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < w->regions.n; i++) {
		enum tk_err e = region_from_wire(a, &w->regions.v[i], &rs[i], eb);
		if (!e)
			e = region_validate(&rs[i], eb);
		if (e)
			return tk_err_wrap(eb, e, "%s: region %u", tk_err_name(re->code), i);
	}
	re->regions = rs;
	re->n_regions = w->regions.n;
	return TK_OK;
}
