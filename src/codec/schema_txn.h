/* Wire schema: transactional KV (proto-spec/txn.md).  Part of the table in codec/schema.h (read its
 * header comment for the field macro and types). */
#ifndef TK_CODEC_SCHEMA_TXN_H
#define TK_CODEC_SCHEMA_TXN_H

/* (no messages yet) */
#define TK_OBJECTS_TXN(X)
#define TK_MESSAGES_TXN(M)

#endif
