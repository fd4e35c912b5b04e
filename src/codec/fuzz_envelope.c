/* libFuzzer target: the input is one frame payload, decoded by
 * tk_msg_decode (envelope, type name, then the body its type names); what
 * decodes round-trips (fuzz_check.h). */
#include "codec/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_errbuf eb;
	struct tk_msg m;
	if (tk_msg_decode(tk_slice_of(data, size), fuzz_arena(), &m, &eb) == TK_OK)
		fuzz_check_round_trip(&m);
	return 0;
}
