/* libFuzzer target for the frame splitter, the envelope and every body
 * decoder, and the msgpack -> JSON converter: whatever the bytes, no crash,
 * no leak, no read outside the input (run with ASan + UBSan).
 * `make fuzz` runs it for FUZZ_SECONDS (default 300); `make check` runs a
 * short pass when clang is present. */
#include <stddef.h>
#include <stdint.h>

#include "codec/codec.h"
#include "codec/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_arena arena;
	struct tk_errbuf eb;
	struct tk_msg m;
	tk_arena_init(&arena);
	/* as a stream of frames */
	size_t off = 0;
	for (;;) {
		uint32_t n;
		if (tk_frame_peek(data + off, size - off, TK_MAX_FRAME_DEFAULT, &n) != TK_FRAME_READY)
			break;
		if (tk_msg_decode(tk_slice_of(data + off + 4, n), &arena, &m, &eb) == TK_OK) {
			/* what decodes must encode again */
			struct tk_buf out;
			tk_buf_init(&out);
			(void)tk_msg_encode_frame(&out, &m);
			tk_buf_destroy(&out);
		}
		off += 4 + n;
		tk_arena_reset(&arena);
	}
	/* as one payload, and as every body type */
	(void)tk_msg_decode(tk_slice_of(data, size), &arena, &m, &eb);
	for (int i = 0; i < TK_MSG__COUNT; i++) {
		tk_arena_reset(&arena);
		void *body = tk_arena_alloc(&arena, tk_msg_defs[i].req->size);
		(void)tk_obj_decode(tk_slice_of(data, size), tk_msg_defs[i].req, body, &arena, &eb);
	}
	struct tk_buf json;
	tk_buf_init(&json);
	(void)tk_msgpack_to_json(tk_slice_of(data, size), &json, &eb);
	tk_buf_destroy(&json);
	tk_arena_destroy(&arena);
	return 0;
}
