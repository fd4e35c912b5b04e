/* libFuzzer target: a byte stream split into frames (tk_frame_peek), each
 * payload decoded (tk_msg_decode) as a connection does, and what decodes
 * round-trips (fuzz_check.h).  `make fuzz` runs it; see src/codec/local.mk. */
#include "codec/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_arena *arena = fuzz_arena();
	struct tk_errbuf eb;
	struct tk_msg m;
	size_t off = 0;
	uint32_t n;
	while (tk_frame_peek(data + off, size - off, TK_MAX_FRAME_DEFAULT, &n) == TK_FRAME_READY) {
		if (tk_msg_decode(tk_slice_of(data + off + TK_FRAME_HEADER, n), arena, &m, &eb) ==
		    TK_OK)
			fuzz_check_round_trip(&m);
		off += TK_FRAME_HEADER + n;
		tk_arena_reset(arena);
	}
	return 0;
}
