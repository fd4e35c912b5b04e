/* Leveled logging: one line per event, "ts level message" with key=value
 * context fields in the message.  LOG() skips formatting when the level is
 * off.  The logger is process-wide state owned by main (the one exception to
 * "no globals" besides signal flags); libraries below server/ never log. */
#ifndef TK_UTIL_LOG_H
#define TK_UTIL_LOG_H

#include <stdbool.h>

enum tk_log_level { TK_LOG_DEBUG, TK_LOG_INFO, TK_LOG_WARN, TK_LOG_ERROR, TK_LOG_OFF };

extern enum tk_log_level tk_log_min_level;

/* Parse "debug|info|warn|error|off"; returns false when unknown. */
bool tk_log_parse_level(const char *s, enum tk_log_level *out);
/* Log to this file (appending) instead of stderr; NULL means stderr.
 * Returns 0 or -1 with errno set.  Call again to reopen (SIGHUP). */
int tk_log_open(const char *path);
void tk_log_write(enum tk_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define LOG(level, ...)                                                          \
	do {                                                                     \
		if ((level) >= tk_log_min_level)                                 \
			tk_log_write((level), __VA_ARGS__);                      \
	} while (0)
#define LOG_DEBUG(...) LOG(TK_LOG_DEBUG, __VA_ARGS__)
#define LOG_INFO(...) LOG(TK_LOG_INFO, __VA_ARGS__)
#define LOG_WARN(...) LOG(TK_LOG_WARN, __VA_ARGS__)
#define LOG_ERROR(...) LOG(TK_LOG_ERROR, __VA_ARGS__)

#endif
