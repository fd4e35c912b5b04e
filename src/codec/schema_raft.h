/* Wire schema: raft messages between stores (proto-spec/raft.md).  Part of
 * the table in codec/schema.h (read its header comment for the field macro
 * and types).  Keys are two letters: this is the hottest traffic there is,
 * and a heartbeat should cost a handful of bytes. */
#ifndef TK_CODEC_SCHEMA_RAFT_H
#define TK_CODEC_SCHEMA_RAFT_H

#define TK_OBJ_raft_entry(F, o)                                                  \
	F(o, term, "tm", U64, OPT)                                               \
	F(o, index, "ix", U64, OPT)                                              \
	F(o, type, "ty", U64, OPT)                                               \
	F(o, data, "d", BIN, OPT)

#define TK_OBJ_raft_snapshot(F, o)                                               \
	F(o, index, "ix", U64, OPT)                                              \
	F(o, term, "tm", U64, OPT)                                               \
	F(o, voters, "vo", U64LIST, OPT)                                         \
	F(o, data, "d", BIN, OPT)

#define TK_OBJ_raft_msg(F, o)                                                    \
	F(o, type, "ty", U64, REQ)                                               \
	F(o, from, "fr", U64, OPT)                                               \
	F(o, to, "to", U64, OPT)                                                 \
	F(o, term, "tm", U64, OPT)                                               \
	F(o, log_term, "lt", U64, OPT)                                           \
	F(o, index, "ix", U64, OPT)                                              \
	F(o, commit, "cm", U64, OPT)                                             \
	F(o, reject, "rj", BOOL, OPT)                                            \
	F(o, transfer, "tr", BOOL, OPT)                                          \
	F(o, reject_hint, "rh", U64, OPT)                                        \
	F(o, read_seq, "rs", U64, OPT)                                           \
	F(o, entries, "en", OBJLIST(raft_entry), OPT)                            \
	F(o, snapshot, "sn", OBJ(raft_snapshot), OPT)                            \
	F(o, context, "cx", BIN, OPT)                                            \
	F(o, region, "rg", U64, OPT)                                             \
	F(o, conf_ver, "ce", U64, OPT)                                           \
	F(o, version, "ve", U64, OPT)                                            \
	F(o, start_key, "sk", BIN, OPT)                                          \
	F(o, end_key, "ek", BIN, OPT)                                            \
	F(o, tombstone, "tb", BOOL, OPT)                                         \
	F(o, env_type, "et", U64, OPT)                                           \
	F(o, snap_id, "si", U64, OPT)                                            \
	F(o, seq, "sq", U64, OPT)                                                \
	F(o, last, "la", BOOL, OPT)                                              \
	F(o, snap_reject, "sr", BOOL, OPT)                                       \
	F(o, chunk, "cd", BIN, OPT)

/* fs / ts: the sending and the receiving store (every message of a batch
 * goes from one store to one store). */
#define TK_OBJ_raft_batch(F, o)                                                  \
	F(o, msgs, "msgs", OBJLIST(raft_msg), REQ)                               \
	F(o, from_store, "fs", U64, OPT)                                         \
	F(o, to_store, "ts", U64, OPT)

#define TK_OBJECTS_RAFT(X) X(raft_entry) X(raft_snapshot) X(raft_msg) X(raft_batch)

/* One-way: a store sends raft traffic and never waits for a reply. */
#define TK_MESSAGES_RAFT(M) M(raft, raft_batch, empty)

#endif
