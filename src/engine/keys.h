/* Key encodings shared by MVCC (src/txn) and region ranges (raftstore).
 *
 * Memcomparable bytes: the raw key is cut into groups of 8 bytes; each group
 * is written as 8 bytes (the last one padded with 0x00) followed by a marker
 * byte 0xFF - <number of pad bytes>.  A key whose length is a multiple of 8
 * ends with an all-padding group (marker 0xF7).  So encoded order equals raw
 * byte order, and no encoding is a prefix of another, which lets fixed-width
 * suffixes (timestamps) follow without mixing keys.  Encoded length is
 * (n / 8 + 1) * 9.
 *
 * MVCC keys: mc(user_key) ++ be64(~ts), so that for one user key newer
 * versions (larger ts) sort first. */
#ifndef TK_ENGINE_KEYS_H
#define TK_ENGINE_KEYS_H

#include <stdint.h>

#include "util/bytes.h"
#include "util/err.h"

#define ENG_MC_GROUP 8
#define ENG_MVCC_TS_LEN 8

/* Bytes that the memcomparable encoding of n raw bytes takes. */
static inline size_t eng_mc_encoded_len(size_t n)
{
	return (n / ENG_MC_GROUP + 1) * (ENG_MC_GROUP + 1);
}

/* Write the encoding of raw into dst, which has eng_mc_encoded_len(raw.n)
 * bytes; returns the bytes written. */
size_t eng_mc_encode_to(uint8_t *dst, struct tk_slice raw);
/* Append the encoding of raw to out; false on allocation failure. */
bool eng_mc_encode(struct tk_buf *out, struct tk_slice raw);
/* Decode one memcomparable key at the start of in.  Appends the raw bytes to
 * out (out may be NULL to only validate) and sets *consumed to the encoded
 * bytes used (the rest of in is left alone).  TK_E_CORRUPTION on malformed
 * input (truncated group, bad marker, non-zero padding), TK_E_NOMEM. */
enum tk_err eng_mc_decode(struct tk_slice in, struct tk_buf *out, size_t *consumed,
			  struct tk_errbuf *eb);

/* Append mvcc_key(user_key, ts) to out; false on allocation failure. */
bool eng_mvcc_key(struct tk_buf *out, struct tk_slice user_key, uint64_t ts);
/* Split an MVCC key into its encoded user key (borrowed from key, still
 * memcomparable: compare these to group versions of one key) and ts.
 * Validates the encoding; TK_E_CORRUPTION when key is not exactly one
 * memcomparable key followed by 8 bytes. */
enum tk_err eng_mvcc_key_split(struct tk_slice key, struct tk_slice *enc_user, uint64_t *ts,
			       struct tk_errbuf *eb);
/* Decode an MVCC key: the raw user key is appended to user_key (reset first)
 * and the timestamp stored in *ts.  Errors as eng_mvcc_key_split. */
enum tk_err eng_mvcc_key_decode(struct tk_slice key, struct tk_buf *user_key, uint64_t *ts,
				struct tk_errbuf *eb);

#endif
