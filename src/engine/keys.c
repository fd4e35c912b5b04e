#include "engine/keys.h"

#include <string.h>

#define MARKER_FULL 0xFF /* a full group: more groups follow */

size_t eng_mc_encode_to(uint8_t *dst, struct tk_slice raw)
{
	uint8_t *d = dst;
	size_t left = raw.n;
	const uint8_t *s = raw.p;
	while (left >= ENG_MC_GROUP) {
		memcpy(d, s, ENG_MC_GROUP);
		d[ENG_MC_GROUP] = MARKER_FULL;
		d += ENG_MC_GROUP + 1;
		s += ENG_MC_GROUP;
		left -= ENG_MC_GROUP;
	}
	/* The final group (possibly empty) is padded and its marker says how
	 * many bytes are real, so shorter keys sort before their extensions. */
	if (left)
		memcpy(d, s, left);
	memset(d + left, 0, ENG_MC_GROUP - left);
	d[ENG_MC_GROUP] = (uint8_t)(MARKER_FULL - (ENG_MC_GROUP - left));
	d += ENG_MC_GROUP + 1;
	return (size_t)(d - dst);
}

bool eng_mc_encode(struct tk_buf *out, struct tk_slice raw)
{
	size_t n = eng_mc_encoded_len(raw.n);
	if (!tk_buf_reserve(out, n))
		return false;
	out->len += eng_mc_encode_to(out->data + out->len, raw);
	return true;
}

enum tk_err eng_mc_decode(struct tk_slice in, struct tk_buf *out, size_t *consumed,
			  struct tk_errbuf *eb)
{
	size_t off = 0;
	*consumed = 0;
	for (;;) {
		if (in.n - off < ENG_MC_GROUP + 1)
			return tk_err_set(eb, TK_E_CORRUPTION,
					  "memcomparable key: truncated group at offset %zu", off);
		const uint8_t *g = in.p + off;
		uint8_t marker = g[ENG_MC_GROUP];
		unsigned pad = MARKER_FULL - marker;
		if (pad > ENG_MC_GROUP)
			return tk_err_set(eb, TK_E_CORRUPTION,
					  "memcomparable key: bad marker 0x%02x at offset %zu",
					  marker, off + ENG_MC_GROUP);
		size_t real = ENG_MC_GROUP - pad;
		for (size_t i = real; i < ENG_MC_GROUP; i++)
			if (g[i] != 0)
				return tk_err_set(eb, TK_E_CORRUPTION,
						  "memcomparable key: non-zero padding at offset %zu",
						  off + i);
		if (out && !tk_buf_append(out, g, real))
			return tk_err_set(eb, TK_E_NOMEM, "memcomparable key: out of memory");
		off += ENG_MC_GROUP + 1;
		if (pad) {
			*consumed = off;
			return TK_OK;
		}
	}
}

bool eng_mvcc_key(struct tk_buf *out, struct tk_slice user_key, uint64_t ts)
{
	size_t n = eng_mc_encoded_len(user_key.n);
	if (!tk_buf_reserve(out, n + ENG_MVCC_TS_LEN))
		return false;
	uint8_t *d = out->data + out->len;
	eng_mc_encode_to(d, user_key);
	tk_put_be64(d + n, ~ts);
	out->len += n + ENG_MVCC_TS_LEN;
	return true;
}

enum tk_err eng_mvcc_key_split(struct tk_slice key, struct tk_slice *enc_user, uint64_t *ts,
			       struct tk_errbuf *eb)
{
	size_t used;
	enum tk_err rc = eng_mc_decode(key, NULL, &used, eb);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "mvcc key");
	if (key.n - used != ENG_MVCC_TS_LEN)
		return tk_err_set(eb, TK_E_CORRUPTION,
				  "mvcc key: %zu bytes after the user key, want %d", key.n - used,
				  ENG_MVCC_TS_LEN);
	*enc_user = tk_slice_of(key.p, used);
	*ts = ~tk_get_be64(key.p + used);
	return TK_OK;
}

enum tk_err eng_mvcc_key_decode(struct tk_slice key, struct tk_buf *user_key, uint64_t *ts,
				struct tk_errbuf *eb)
{
	struct tk_slice enc = {0};
	tk_buf_reset(user_key);
	enum tk_err rc = eng_mvcc_key_split(key, &enc, ts, eb);
	if (rc != TK_OK)
		return rc;
	size_t used;
	return eng_mc_decode(enc, user_key, &used, eb);
}
