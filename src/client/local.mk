# src/client: libtinykv, the client library (installed, with tinykv.h,
# tinykv_sched.h, tinykv_txn.h, tk_errors.h and a pkg-config file).
#
# The code is built once as a convenience library, libtkclient (with the
# codec and util convenience libraries in it), which the unit tests link to
# reach internals; libtinykv is that library with only the functions of the
# installed headers exported (libtinykv.sym, checked by check-exports.sh).
noinst_LTLIBRARIES += src/client/libtkclient.la
src_client_libtkclient_la_SOURCES = \
	src/client/client_int.h \
	src/client/pending.c src/client/pending.h \
	src/client/addr.c \
	src/client/async.c \
	src/client/blocking.c \
	src/client/region_error.c \
	src/client/region_cache.c src/client/region_cache.h \
	src/client/route.c src/client/route.h \
	src/client/async_leader.c
src_client_libtkclient_la_LIBADD = src/codec/libtkcodec.la $(LIBEVENT_LIBS)

lib_LTLIBRARIES += src/client/libtinykv.la
include_HEADERS += src/client/tinykv.h src/util/tk_errors.h
pkgconfig_DATA = src/client/tinykv.pc
src_client_libtinykv_la_SOURCES =
src_client_libtinykv_la_LIBADD = src/client/libtkclient.la $(LIBEVENT_LIBS)
src_client_libtinykv_la_LDFLAGS = -version-info 0:0:0 \
	-Wl,--version-script=$(top_srcdir)/src/client/libtinykv.sym
src_client_libtinykv_la_DEPENDENCIES = src/client/libtkclient.la src/client/libtinykv.sym
EXTRA_DIST += src/client/tinykv.pc.in src/client/libtinykv.sym

check_PROGRAMS += src/client/test_client
TESTS += src/client/test_client
src_client_test_client_SOURCES = src/client/test_client.c \
	src/client/fake_server.c src/client/fake_server.h
src_client_test_client_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_client_test_client_LDADD = src/client/libtkclient.la src/codec/libtkcodec.la $(LIBEVENT_LIBS) $(CHECK_LIBS)

# libtinykv exports its public functions only.
dist_noinst_SCRIPTS += src/client/check-exports.sh
TESTS += src/client/check-exports.sh

# The scheduler client (tinykv_sched.h): asynchronous, and blocking over it.
include_HEADERS += src/client/tinykv_sched.h
src_client_libtkclient_la_SOURCES += src/client/sched_async.c src/client/sched_client.c \
	src/client/sched_conv.c src/client/sched_conv.h

# The transaction client (tinykv_txn.h).
include_HEADERS += src/client/tinykv_txn.h
src_client_libtkclient_la_SOURCES += src/client/txn.c

# The scheduler client through the public API only, against a fake scheduler.
check_PROGRAMS += src/client/test_sched_async
TESTS += src/client/test_sched_async
src_client_test_sched_async_SOURCES = src/client/test_sched_async.c \
	src/client/fake_server.c src/client/fake_server.h
src_client_test_sched_async_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_client_test_sched_async_LDADD = src/client/libtinykv.la src/codec/libtkcodec.la \
	src/util/libtkutil.la $(LIBEVENT_LIBS) $(CHECK_LIBS) -lpthread

# Routing (route.h) against fake stores in cluster mode and a fake scheduler.
check_PROGRAMS += src/client/test_route
TESTS += src/client/test_route
src_client_test_route_SOURCES = src/client/test_route.c \
	src/client/fake_server.c src/client/fake_server.h
src_client_test_route_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_client_test_route_LDADD = src/client/libtkclient.la src/codec/libtkcodec.la \
	src/util/libtkutil.la $(LIBEVENT_LIBS) $(CHECK_LIBS) -lpthread
