/* Raft column values; see ps_codec.h. */
#include "raftstore/ps_codec.h"

#include "util/err.h"

void rs_raft_state_encode(const struct rs_raft_state *s, uint8_t out[RS_RAFT_STATE_LEN])
{
	out[0] = RS_CODEC_V1;
	tk_put_be64(out + 1, s->hs.term);
	tk_put_be64(out + 9, s->hs.vote);
	tk_put_be64(out + 17, s->hs.commit);
	tk_put_be64(out + 25, s->last_index);
}

static enum tk_err check_header(struct tk_slice in, size_t want, const char *what,
                                struct tk_errbuf *eb)
{
	if (in.n != want)
		return tk_err_set(eb, TK_E_CORRUPTION, "%s has %zu bytes, want %zu", what, in.n,
		                  want);
	if (in.p[0] != RS_CODEC_V1)
		return tk_err_set(eb, TK_E_CORRUPTION, "%s has unknown encoding version %u", what,
		                  in.p[0]);
	return TK_OK;
}

enum tk_err rs_raft_state_decode(struct tk_slice in, struct rs_raft_state *s, struct tk_errbuf *eb)
{
	enum tk_err rc = check_header(in, RS_RAFT_STATE_LEN, "raft state", eb);
	if (rc != TK_OK)
		return rc;
	s->hs.term = tk_get_be64(in.p + 1);
	s->hs.vote = tk_get_be64(in.p + 9);
	s->hs.commit = tk_get_be64(in.p + 17);
	s->last_index = tk_get_be64(in.p + 25);
	return TK_OK;
}

void rs_apply_state_encode(const struct rs_apply_state *s, uint8_t out[RS_APPLY_STATE_LEN])
{
	out[0] = RS_CODEC_V1;
	tk_put_be64(out + 1, s->applied);
	tk_put_be64(out + 9, s->truncated_index);
	tk_put_be64(out + 17, s->truncated_term);
}

enum tk_err rs_apply_state_decode(struct tk_slice in, struct rs_apply_state *s,
                                  struct tk_errbuf *eb)
{
	enum tk_err rc = check_header(in, RS_APPLY_STATE_LEN, "apply state", eb);
	if (rc != TK_OK)
		return rc;
	s->applied = tk_get_be64(in.p + 1);
	s->truncated_index = tk_get_be64(in.p + 9);
	s->truncated_term = tk_get_be64(in.p + 17);
	return TK_OK;
}

bool rs_entry_value_encode(const struct raft_entry *e, struct tk_buf *out)
{
	tk_buf_reset(out);
	if (!tk_buf_reserve(out, RS_ENTRY_HDR_LEN + e->len))
		return false;
	out->data[0] = RS_CODEC_V1;
	out->data[1] = e->type;
	tk_put_be64(out->data + 2, e->term);
	out->len = RS_ENTRY_HDR_LEN;
	return tk_buf_append(out, e->data, e->len);
}

enum tk_err rs_entry_value_decode(struct tk_slice in, raft_index index, struct raft_entry *e,
                                  struct tk_errbuf *eb)
{
	if (in.n < RS_ENTRY_HDR_LEN || in.p[0] != RS_CODEC_V1)
		return tk_err_set(eb, TK_E_CORRUPTION,
		                  "log entry %llu: bad header (%zu bytes, version %u)",
		                  (unsigned long long)index, in.n, in.n ? in.p[0] : 0);
	if (in.p[1] > RAFT_ENTRY_CONF_CHANGE)
		return tk_err_set(eb, TK_E_CORRUPTION, "log entry %llu: unknown type %u",
		                  (unsigned long long)index, in.p[1]);
	e->index = index;
	e->type = in.p[1];
	e->term = tk_get_be64(in.p + 2);
	if (e->term == 0)
		return tk_err_set(eb, TK_E_CORRUPTION, "log entry %llu: term 0",
		                  (unsigned long long)index);
	e->len = in.n - RS_ENTRY_HDR_LEN;
	e->data = e->len ? in.p + RS_ENTRY_HDR_LEN : NULL;
	return TK_OK;
}
