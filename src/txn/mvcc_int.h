/* Internals shared by src/txn's .c files (mvcc.c, mvcc_scan.c, the commands,
 * gc).  Nothing outside src/txn includes this. */
#ifndef TK_TXN_MVCC_INT_H
#define TK_TXN_MVCC_INT_H

#include "txn/mvcc.h"

/* out = memcomparable(key) (reset first); false on allocation failure. */
bool mvcc_enc_user(struct tk_buf *out, struct tk_slice key);
/* out = mvcc_key(key, ts) (reset first). */
bool mvcc_enc_version(struct tk_buf *out, struct tk_slice key, uint64_t ts);
/* out = the smallest key above every version of the encoded user key. */
bool mvcc_enc_after_versions(struct tk_buf *out, struct tk_slice enc_user);

/* Point read through the view's snapshot (or the latest state). */
enum tk_err mvcc_view_get(const struct mvcc_view *v, enum eng_cf cf, struct tk_slice key,
			  struct tk_buf *val, bool *found, struct tk_errbuf *eb);
/* The value a txn started at start_ts wrote for key; TK_E_CORRUPTION when
 * it is missing (a committed PUT always has one). */
enum tk_err mvcc_read_default(const struct mvcc_view *v, struct tk_slice key, uint64_t start_ts,
			      struct tk_buf *val, struct tk_errbuf *eb);
/* An iterator over the versions of key in the write column with commit_ts in
 * [lo_ts, hi_ts], newest first, positioned on the first.  Free it with
 * eng_iter_free. */
enum tk_err mvcc_versions_iter(const struct mvcc_view *v, struct tk_slice key, uint64_t hi_ts,
			       uint64_t lo_ts, struct eng_iter **out, struct tk_errbuf *eb);
/* Decode the write-column entry under a valid iterator. */
enum tk_err mvcc_iter_write(struct eng_iter *it, uint64_t *commit_ts, struct mvcc_write *w,
			    struct tk_errbuf *eb);

#endif
