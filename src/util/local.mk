# src/util: errors, logging, byte buffers, arena, clocks, fail points.  Links libc only.
noinst_LTLIBRARIES += src/util/libtkutil.la
src_util_libtkutil_la_SOURCES = \
	src/util/err.c src/util/err.h src/util/tk_errors.h \
	src/util/log.c src/util/log.h \
	src/util/bytes.c src/util/bytes.h \
	src/util/arena.c src/util/arena.h \
	src/util/clock.c src/util/clock.h \
	src/util/quote.c src/util/quote.h \
	src/util/failpoint.c src/util/failpoint.h

check_PROGRAMS += src/util/test_util
TESTS += src/util/test_util
src_util_test_util_SOURCES = src/util/test_util.c
src_util_test_util_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_util_test_util_LDADD = src/util/libtkutil.la $(CHECK_LIBS)
