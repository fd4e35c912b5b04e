/* The store identity record: which cluster and store a data dir belongs to.
 *
 * Stored once, synced, under key "ident" in the META column, and never
 * overwritten: a store started on another cluster's or store's data dir is
 * refused instead of mixing data.
 *
 * Encoding (ENG_IDENT_ENCODED_LEN = 37 bytes, big-endian):
 *   u8 encoding version (1) | u64 cluster_id | u64 store_id |
 *   u32 format_version | mode, 16 bytes NUL-padded (at most 15 characters) */
#ifndef TK_ENGINE_IDENT_H
#define TK_ENGINE_IDENT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

#define ENG_IDENT_MODE_STANDALONE "standalone"
#define ENG_IDENT_MODE_CLUSTER "cluster"
#define ENG_IDENT_ENCODED_LEN 37
#define ENG_IDENT_ENCODING_V1 1

struct eng_ident {
	uint64_t cluster_id;
	uint64_t store_id;
	char mode[16]; /* "standalone" or "cluster", NUL-terminated */
	uint32_t format_version;
};

/* Encode into out[ENG_IDENT_ENCODED_LEN]. */
void eng_ident_encode(const struct eng_ident *id, uint8_t *out);
/* Decode; TK_E_CORRUPTION when the bytes are not a valid record. */
enum tk_err eng_ident_decode(struct tk_slice in, struct eng_ident *id, struct tk_errbuf *eb);

/* Read the record: *found false when the data dir has none yet. */
enum tk_err eng_ident_read(struct eng *e, struct eng_ident *have, bool *found,
			   struct tk_errbuf *eb);

/* Check the data dir's identity against want, or record want if there is
 * none yet (written with sync).  On success *have is the stored record (so a
 * caller passing store_id 0 learns its store id).
 *
 * Comparison: a non-zero want->cluster_id / want->store_id must equal the
 * record's (zero means "accept the recorded one"); a non-empty want->mode
 * and a non-zero want->format_version must equal the record's.  Nothing is
 * ever overwritten.
 *
 * Errors: TK_E_CLUSTER_MISMATCH, TK_E_STORE_MISMATCH, TK_E_DATA_DIR (mode or
 * format version differs), each with a message naming both values and the
 * path; TK_E_CORRUPTION for an undecodable record; TK_E_BAD_CONFIG when
 * initializing with an invalid want (unknown mode, or cluster mode with a
 * zero cluster or store id); engine read/write errors. */
enum tk_err eng_ident_check_or_init(struct eng *e, const struct eng_ident *want,
				    struct eng_ident *have, struct tk_errbuf *eb);

#endif
