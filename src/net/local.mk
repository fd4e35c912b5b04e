# src/net: the protocol core both daemons share (libtknet): configuration
# and flags, connections, framed and inline protocols, deferred replies,
# the end-of-iteration hook, signals, status.  It knows no command.
noinst_LTLIBRARIES += src/net/libtknet.la
src_net_libtknet_la_SOURCES = \
	src/net/net.h \
	src/net/options.c src/net/options.h \
	src/net/conn.c \
	src/net/slot.c \
	src/net/framed.c \
	src/net/inline.c \
	src/net/inline_line.c \
	src/net/daemon.c \
	src/net/status.c \
	src/net/metrics.c src/net/metrics.h
src_net_libtknet_la_SOURCES += src/net/peer.c src/net/peer.h

check_PROGRAMS += src/net/test_peer
TESTS += src/net/test_peer
src_net_test_peer_SOURCES = src/net/test_peer.c
src_net_test_peer_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_net_test_peer_LDADD = src/net/libtknet.la src/engine/libtkengine.la src/codec/libtkcodec.la \
	src/util/libtkutil.la $(LIBEVENT_LIBS) $(CHECK_LIBS)

check_PROGRAMS += src/net/test_slot
TESTS += src/net/test_slot
src_net_test_slot_SOURCES = src/net/test_slot.c
src_net_test_slot_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_net_test_slot_LDADD = src/net/libtknet.la src/engine/libtkengine.la src/meta/libtkmetawire.la \
	src/meta/libtkmeta.la src/codec/libtkcodec.la src/util/libtkutil.la $(LIBEVENT_LIBS) \
	$(CHECK_LIBS)

check_PROGRAMS += src/net/test_options
TESTS += src/net/test_options
src_net_test_options_SOURCES = src/net/test_options.c
src_net_test_options_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_net_test_options_LDADD = src/net/libtknet.la src/engine/libtkengine.la \
	src/meta/libtkmetawire.la src/meta/libtkmeta.la src/codec/libtkcodec.la \
	src/util/libtkutil.la $(LIBEVENT_LIBS) $(CHECK_LIBS)

# libFuzzer target for the inline protocol's line parser (see src/codec/local.mk).
FUZZ_LIB_OBJS += src/net/inline_line.fzo src/util/quote.fzo
FUZZ_TARGETS += src/net/fuzz_inline
FUZZ_NOCMP_OBJS += src/util/quote.fzo src/net/inline_line.fzo src/net/fuzz_inline.fzo
EXTRA_DIST += src/net/fuzz_inline.c
