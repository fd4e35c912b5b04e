/* libFuzzer target: the JSON tool's two converters (tools/tkframe reads
 * frames off the network and JSON off a terminal).  The first byte chooses
 * the direction.  msgpack -> JSON: whatever JSON comes out must parse again.
 * JSON -> msgpack: whatever msgpack comes out must convert to JSON again. */
#include <stdio.h>
#include <stdlib.h>

#include "codec/fuzz_check.h"
#include "codec/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct tk_slice in = tk_slice_of(data + 1, size - 1);
	struct tk_errbuf eb;
	/* reused: a fresh pair would cost mallocs and frees every input, and
	 * each input's output is bounded by its size (4 KiB input, -max_len) */
	static struct tk_buf a, b;
	a.len = b.len = 0;
	size_t used;
	if (data[0] & 1) {
		if (tk_msgpack_to_json(in, &a, &eb) == TK_OK &&
		    tk_json_to_msgpack(tk_buf_slice(&a), &used, &b, &eb) != TK_OK) {
			fprintf(stderr, "fuzz: JSON we wrote does not parse: %s\n", eb.msg);
			abort();
		}
	} else {
		if (tk_json_to_msgpack(in, &used, &a, &eb) == TK_OK &&
		    tk_msgpack_to_json(tk_buf_slice(&a), &b, &eb) != TK_OK) {
			fprintf(stderr, "fuzz: msgpack we wrote does not convert back: %s\n",
			        eb.msg);
			abort();
		}
	}
	return 0;
}
