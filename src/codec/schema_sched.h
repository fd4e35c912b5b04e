/* Wire schema: scheduler traffic (proto-spec/scheduler.md).  Part of the table in codec/schema.h (read its
 * header comment for the field macro and types). */
#ifndef TK_CODEC_SCHEMA_SCHED_H
#define TK_CODEC_SCHEMA_SCHED_H

/* (no messages yet) */
#define TK_OBJECTS_SCHED(X)
#define TK_MESSAGES_SCHED(M)

#endif
