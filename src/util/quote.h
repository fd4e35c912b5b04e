/* Quoting of binary-safe arguments on a text line, shared by the inline
 * protocol of tinykvd and the tinykv-cli shell (proto-spec/inline.md).
 *
 *   plain         any run of bytes other than space, tab, quote characters
 *   "double"      C-like escapes: \" \\ \n \r \t \0 \xHH
 *   'single'      literal, except \' for a quote
 * Arguments are separated by spaces or tabs.  tk_quote produces the shortest
 * safe form: the bytes as they are when they are printable and need no
 * quoting, otherwise a double-quoted string with escapes. */
#ifndef TK_UTIL_QUOTE_H
#define TK_UTIL_QUOTE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/bytes.h"

struct tk_args {
	struct tk_buf *argv; /* each argument's bytes */
	size_t argc, cap;
};

void tk_args_init(struct tk_args *a);
void tk_args_destroy(struct tk_args *a);

/* Split a line (without its newline) into arguments.  Returns false and sets
 * *why on an unbalanced quote or a bad escape, or when there are more than
 * max_args arguments. */
bool tk_split_args(const char *line, size_t len, struct tk_args *out, size_t max_args,
		   const char **why);

/* Append the quoted form of bytes to out (see above). */
bool tk_quote(struct tk_buf *out, struct tk_slice bytes);

#endif
