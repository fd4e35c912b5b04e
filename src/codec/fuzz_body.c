/* libFuzzer target: every body schema directly, without the envelope in
 * front.  The first byte chooses the schema: request or response of message
 * (byte / 2) % count, or the error object past the last message; the rest is
 * the body.  What decodes round-trips inside an envelope (fuzz_check.h). */
#include "codec/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned sel = data[0] % (2 * TK_MSG__COUNT + 1);
	struct tk_msg m = {.type = (enum tk_msg_type)(sel / 2), .id = 1};
	const struct tk_obj_def *def;
	if (sel == 2 * TK_MSG__COUNT) {
		m.type = TK_MSG_ping;
		m.kind = TK_ERROR;
		def = &tk_def_error;
	} else {
		m.kind = sel % 2 ? TK_RESPONSE : TK_REQUEST;
		def = sel % 2 ? tk_msg_defs[m.type].resp : tk_msg_defs[m.type].req;
	}
	struct tk_arena *arena = fuzz_arena();
	struct tk_errbuf eb;
	void *body = tk_arena_alloc(arena, def->size);
	if (!body)
		return 0;
	if (tk_obj_decode(tk_slice_of(data + 1, size - 1), def, body, arena, &eb) == TK_OK) {
		m.body = body;
		fuzz_check_round_trip(&m);
	}
	return 0;
}
