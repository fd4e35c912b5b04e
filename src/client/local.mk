# src/client: libtinykv, the client library (installed, with tinykv.h,
# tk_errors.h and a pkg-config file).  The codec and util convenience
# libraries are linked into it.
lib_LTLIBRARIES += src/client/libtinykv.la
include_HEADERS += src/client/tinykv.h src/util/tk_errors.h
pkgconfig_DATA = src/client/tinykv.pc
src_client_libtinykv_la_SOURCES = \
	src/client/client_int.h \
	src/client/pending.c src/client/pending.h \
	src/client/addr.c \
	src/client/async.c \
	src/client/blocking.c
src_client_libtinykv_la_LIBADD = src/codec/libtkcodec.la $(LIBEVENT_LIBS)
src_client_libtinykv_la_LDFLAGS = -version-info 0:0:0
EXTRA_DIST += src/client/tinykv.pc.in

check_PROGRAMS += src/client/test_client
TESTS += src/client/test_client
src_client_test_client_SOURCES = src/client/test_client.c \
	src/client/fake_server.c src/client/fake_server.h
src_client_test_client_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_client_test_client_LDADD = src/client/libtinykv.la src/codec/libtkcodec.la $(LIBEVENT_LIBS) $(CHECK_LIBS)

# The scheduler client (tinykv_sched.h), by the scheduler's author.
include_HEADERS += src/client/tinykv_sched.h
src_client_libtinykv_la_SOURCES += src/client/sched_client.c src/client/sched_async.c \
	src/client/sched_conv.c src/client/sched_conv.h

# The transaction client (tinykv_txn.h).
include_HEADERS += src/client/tinykv_txn.h
src_client_libtinykv_la_SOURCES += src/client/txn.c

# The asynchronous scheduler client and the blocking one over it.
check_PROGRAMS += src/client/test_sched_async
TESTS += src/client/test_sched_async
src_client_test_sched_async_SOURCES = src/client/test_sched_async.c \
	src/client/fake_server.c src/client/fake_server.h
src_client_test_sched_async_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_client_test_sched_async_LDADD = src/client/libtinykv.la src/codec/libtkcodec.la \
	src/util/libtkutil.la $(LIBEVENT_LIBS) $(CHECK_LIBS) -lpthread
