#include "util/err.h"

#include <stdio.h>
#include <string.h>

static const char *const names[] = {
#define TK_ERR_NAME(name, msg) #name,
	TK_ERRORS(TK_ERR_NAME)
#undef TK_ERR_NAME
};

static const char *const messages[] = {
#define TK_ERR_MSG(name, msg) msg,
	TK_ERRORS(TK_ERR_MSG)
#undef TK_ERR_MSG
};

const char *tk_err_name(enum tk_err e)
{
	if ((unsigned)e >= TK_E__COUNT)
		return "INTERNAL";
	return names[e];
}

const char *tk_strerror(enum tk_err e)
{
	if ((unsigned)e >= TK_E__COUNT)
		return "unknown error";
	return messages[e];
}

enum tk_err tk_err_from_name(const char *name, size_t len, int *known)
{
	for (int i = 0; i < TK_E__COUNT; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) {
			if (known)
				*known = 1;
			return (enum tk_err)i;
		}
	}
	if (known)
		*known = 0;
	return TK_E_INTERNAL;
}

enum tk_err (tk_err_set)(struct tk_errbuf *eb, enum tk_err code, const char *fmt, ...)
{
	if (!eb)
		return code;
	eb->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(eb->msg, sizeof eb->msg, fmt, ap);
	va_end(ap);
	return code;
}

enum tk_err (tk_err_wrap)(struct tk_errbuf *eb, enum tk_err code, const char *fmt, ...)
{
	if (!eb)
		return code;
	char prefix[256], old[sizeof eb->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, eb->msg, sizeof old);
	snprintf(eb->msg, sizeof eb->msg, "%s: %s", prefix, old);
	eb->code = code;
	return code;
}

void tk_err_clear(struct tk_errbuf *eb)
{
	eb->code = TK_OK;
	eb->msg[0] = '\0';
}
