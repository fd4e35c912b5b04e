#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

enum tk_log_level tk_log_min_level = TK_LOG_INFO;
static FILE *log_file; /* NULL: stderr */

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

bool tk_log_parse_level(const char *s, enum tk_log_level *out)
{
	for (int i = 0; i <= TK_LOG_OFF; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum tk_log_level)i;
			return true;
		}
	}
	return false;
}

int tk_log_open(const char *path)
{
	if (!path) {
		if (log_file)
			fclose(log_file);
		log_file = NULL;
		return 0;
	}
	FILE *f = fopen(path, "a");
	if (!f)
		return -1;
	setvbuf(f, NULL, _IOLBF, 0);
	if (log_file)
		fclose(log_file);
	log_file = f;
	return 0;
}

void tk_log_write(enum tk_log_level level, const char *fmt, ...)
{
	int saved = errno;
	FILE *out = log_file ? log_file : stderr;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	char ts[32];
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(out, "%s.%03ldZ %-5s %s\n", ts, (long)(tv.tv_usec / 1000),
		level_names[level < TK_LOG_OFF ? level : TK_LOG_ERROR], line);
	errno = saved;
}
