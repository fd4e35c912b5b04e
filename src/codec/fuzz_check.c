#include "codec/fuzz_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tk_arena *fuzz_arena(void)
{
	static struct tk_arena arena; /* zero is an empty arena */
	tk_arena_reset(&arena);
	return &arena;
}

void fuzz_check_round_trip(const struct tk_msg *m)
{
	struct tk_buf a, b;
	struct tk_arena arena;
	struct tk_errbuf eb;
	struct tk_msg again;
	tk_buf_init(&a);
	tk_buf_init(&b);
	tk_arena_init(&arena);
	enum tk_err e = tk_msg_encode_frame(&a, m);
	if (e == TK_E_TOO_LARGE)
		goto out; /* only from inputs near the frame limit */
	if (e != TK_OK) {
		fprintf(stderr, "fuzz: a decoded message does not encode: %s\n", tk_err_name(e));
		abort();
	}
	e = tk_msg_decode(tk_slice_of(a.data + TK_FRAME_HEADER, a.len - TK_FRAME_HEADER), &arena,
	                  &again, &eb);
	if (e != TK_OK) {
		fprintf(stderr, "fuzz: an encoded message does not decode: %s\n", eb.msg);
		abort();
	}
	if (tk_msg_encode_frame(&b, &again) != TK_OK || a.len != b.len ||
	    memcmp(a.data, b.data, a.len) != 0) {
		fprintf(stderr, "fuzz: encode(decode(encode(m))) differs from encode(m)\n");
		abort();
	}
out:
	tk_arena_destroy(&arena);
	tk_buf_destroy(&a);
	tk_buf_destroy(&b);
}
