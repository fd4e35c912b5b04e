#include "engine/ident.h"

#include <string.h>

static const char ident_key[] = "ident";

void eng_ident_encode(const struct eng_ident *id, uint8_t *out)
{
	out[0] = ENG_IDENT_ENCODING_V1;
	tk_put_be64(out + 1, id->cluster_id);
	tk_put_be64(out + 9, id->store_id);
	tk_put_be32(out + 17, id->format_version);
	memset(out + 21, 0, 16);
	size_t n = strnlen(id->mode, sizeof id->mode - 1);
	memcpy(out + 21, id->mode, n);
}

static bool mode_known(const char *m)
{
	return strcmp(m, ENG_IDENT_MODE_STANDALONE) == 0 || strcmp(m, ENG_IDENT_MODE_CLUSTER) == 0;
}

enum tk_err eng_ident_decode(struct tk_slice in, struct eng_ident *id, struct tk_errbuf *eb)
{
	if (in.n != ENG_IDENT_ENCODED_LEN)
		return tk_err_set(eb, TK_E_CORRUPTION, "store identity record has %zu bytes, want %d",
				  in.n, ENG_IDENT_ENCODED_LEN);
	if (in.p[0] != ENG_IDENT_ENCODING_V1)
		return tk_err_set(eb, TK_E_CORRUPTION,
				  "store identity record has unknown encoding version %u",
				  in.p[0]);
	memset(id, 0, sizeof *id);
	id->cluster_id = tk_get_be64(in.p + 1);
	id->store_id = tk_get_be64(in.p + 9);
	id->format_version = tk_get_be32(in.p + 17);
	const uint8_t *m = in.p + 21;
	size_t n = 0;
	while (n < 16 && m[n])
		n++;
	/* NUL-terminated within 16 bytes, zero padding after, a known mode. */
	bool ok = n < 16;
	for (size_t i = n; ok && i < 16; i++)
		ok = m[i] == 0;
	if (ok) {
		memcpy(id->mode, m, n);
		ok = mode_known(id->mode);
	}
	if (!ok)
		return tk_err_set(eb, TK_E_CORRUPTION, "store identity record has a bad mode field");
	return TK_OK;
}

enum tk_err eng_ident_read(struct eng *e, struct eng_ident *have, bool *found,
			   struct tk_errbuf *eb)
{
	struct tk_buf v;
	tk_buf_init(&v);
	enum tk_err rc = eng_get(e, ENG_CF_META, tk_slice_of(ident_key, sizeof ident_key - 1), &v,
				 found, eb);
	if (rc == TK_OK && *found) {
		rc = eng_ident_decode(tk_buf_slice(&v), have, eb);
		if (rc != TK_OK)
			tk_err_wrap(eb, rc, "data dir %s is corrupt", eng_path(e));
	}
	tk_buf_destroy(&v);
	return rc;
}

static enum tk_err init_ident(struct eng *e, const struct eng_ident *want, struct eng_ident *have,
			      struct tk_errbuf *eb)
{
	if (!mode_known(want->mode))
		return tk_err_set(eb, TK_E_BAD_CONFIG, "store identity: unknown mode \"%.16s\"",
				  want->mode);
	if (strcmp(want->mode, ENG_IDENT_MODE_CLUSTER) == 0 &&
	    (want->cluster_id == 0 || want->store_id == 0))
		return tk_err_set(eb, TK_E_BAD_CONFIG,
				  "store identity: cluster mode needs a cluster id and a store id "
				  "before the data dir %s is initialized",
				  eng_path(e));
	uint8_t rec[ENG_IDENT_ENCODED_LEN];
	eng_ident_encode(want, rec);
	struct eng_batch *b = eng_batch_new();
	if (!b)
		return tk_err_set(eb, TK_E_NOMEM, "store identity: out of memory");
	eng_batch_put(b, ENG_CF_META, tk_slice_of(ident_key, sizeof ident_key - 1),
		      tk_slice_of(rec, sizeof rec));
	enum tk_err rc = eng_write(e, b, true, eb);
	eng_batch_free(b);
	if (rc != TK_OK)
		return tk_err_wrap(eb, rc, "store identity: write");
	return eng_ident_decode(tk_slice_of(rec, sizeof rec), have, eb);
}

enum tk_err eng_ident_check_or_init(struct eng *e, const struct eng_ident *want,
				    struct eng_ident *have, struct tk_errbuf *eb)
{
	bool found;
	enum tk_err rc = eng_ident_read(e, have, &found, eb);
	if (rc != TK_OK)
		return rc;
	if (!found)
		return init_ident(e, want, have, eb);
	const char *p = eng_path(e);
	if (want->mode[0] && strncmp(want->mode, have->mode, sizeof want->mode) != 0)
		return tk_err_set(eb, TK_E_DATA_DIR,
				  "data dir %s was created in %s mode, not %.16s mode; refusing to "
				  "start; nothing was changed",
				  p, have->mode, want->mode);
	if (want->cluster_id && want->cluster_id != have->cluster_id)
		return tk_err_set(eb, TK_E_CLUSTER_MISMATCH,
				  "data dir %s belongs to cluster %llu, not cluster %llu; refusing "
				  "to start; nothing was changed",
				  p, (unsigned long long)have->cluster_id,
				  (unsigned long long)want->cluster_id);
	if (want->store_id && want->store_id != have->store_id)
		return tk_err_set(eb, TK_E_STORE_MISMATCH,
				  "data dir %s belongs to store %llu, not store %llu; refusing to "
				  "start; nothing was changed",
				  p, (unsigned long long)have->store_id,
				  (unsigned long long)want->store_id);
	if (want->format_version && want->format_version != have->format_version)
		return tk_err_set(eb, TK_E_DATA_DIR,
				  "data dir %s has format version %u, this binary uses %u; "
				  "refusing to start; nothing was changed",
				  p, have->format_version, want->format_version);
	return TK_OK;
}
