/* A bump allocator for short-lived decoded messages: everything allocated
 * from it is freed at once by tk_arena_reset/destroy.  Decoders use it for
 * lists and nested objects so a decoded message is one free. */
#ifndef TK_UTIL_ARENA_H
#define TK_UTIL_ARENA_H

#include <stddef.h>

struct tk_arena_chunk;
struct tk_arena {
	struct tk_arena_chunk *head;
	size_t total; /* bytes handed out since the last reset */
};

void tk_arena_init(struct tk_arena *a);
void tk_arena_destroy(struct tk_arena *a);
/* Frees everything but keeps the first chunk for reuse. */
void tk_arena_reset(struct tk_arena *a);
/* Zeroed, max_align_t-aligned memory; NULL on allocation failure. */
void *tk_arena_alloc(struct tk_arena *a, size_t n);
/* Copy of bytes, owned by the arena. */
void *tk_arena_dup(struct tk_arena *a, const void *p, size_t n);

#endif
