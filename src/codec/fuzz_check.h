/* Shared by the libFuzzer targets (fuzz_*.c): the property every decoded
 * message must have, and the arena they decode into.  Built only with clang
 * by `make fuzz` / `make check` (src/codec/local.mk). */
#ifndef TK_CODEC_FUZZ_CHECK_H
#define TK_CODEC_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "codec/codec.h"

/* libFuzzer's entry point, defined once by each target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One arena for the whole run, reset before each input: a fresh arena per
 * input would cost a malloc and a free of its first chunk every execution. */
struct tk_arena *fuzz_arena(void);

/* What decodes must encode, and encoding is a fixed point: encode m, decode
 * that frame, encode again: the two frames must be the same bytes (the first
 * may differ from the input: str for bin, key order, explicit zeros).  Aborts
 * (a libFuzzer crash) when not. */
void fuzz_check_round_trip(const struct tk_msg *m);

#endif
