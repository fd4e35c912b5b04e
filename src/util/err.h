/* Error handling helpers over the list in tk_errors.h.  Functions that act
 * return enum tk_err (TK_OK is 0) and put detail into a struct tk_errbuf that
 * each layer may prefix with its context. */
#ifndef TK_UTIL_ERR_H
#define TK_UTIL_ERR_H

#include <stdarg.h>
#include <stddef.h>

#include "tk_errors.h"

/* The message parts of tk_err_set and tk_err_wrap (no-ops when eb is NULL). */
void tk_err_vset(struct tk_errbuf *eb, enum tk_err code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void tk_err_vwrap(struct tk_errbuf *eb, enum tk_err code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Set code and message (printf format); returns code for `return tk_err_set(...)`. */
enum tk_err tk_err_set(struct tk_errbuf *eb, enum tk_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Wrap the error code that a lower layer returned (and described in eb):
 * prefix eb's message with "context: " and set eb->code to code.  Returns
 * code, also when eb is NULL (callers may pass no buffer: the code must
 * survive), for `return tk_err_wrap(eb, rc, ...)`. */
enum tk_err tk_err_wrap(struct tk_errbuf *eb, enum tk_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The static analyzer never inlines a variadic function, so it cannot see
 * that both return the code they are given, and reports every output left
 * unset behind an error return.  These forms (a GNU statement expression,
 * code evaluated once) say it at each call.  The functions stay, for the
 * rare caller that takes their address. */
#define tk_err_set(eb, code, ...)                                                          \
	__extension__({                                                                    \
		enum tk_err tk_err_code_ = (code);                                         \
		(tk_err_set)((eb), tk_err_code_, __VA_ARGS__);                             \
		tk_err_code_;                                                              \
	})
#define tk_err_wrap(eb, code, ...)                                                         \
	__extension__({                                                                    \
		enum tk_err tk_err_code_ = (code);                                         \
		(tk_err_wrap)((eb), tk_err_code_, __VA_ARGS__);                            \
		tk_err_code_;                                                              \
	})

void tk_err_clear(struct tk_errbuf *eb);

#endif
