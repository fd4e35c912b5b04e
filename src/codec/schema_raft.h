/* Wire schema: raft messages between stores (proto-spec/raft.md).  Part of the table in codec/schema.h (read its
 * header comment for the field macro and types). */
#ifndef TK_CODEC_SCHEMA_RAFT_H
#define TK_CODEC_SCHEMA_RAFT_H

/* (no messages yet) */
#define TK_OBJECTS_RAFT(X)
#define TK_MESSAGES_RAFT(M)

#endif
