# src/codec: framing, the message table (schema.h) and the table-driven codec.
noinst_LTLIBRARIES += src/codec/libtkcodec.la
src_codec_libtkcodec_la_SOURCES = \
	src/codec/schema.c src/codec/schema.h \
	src/codec/mp_read.c src/codec/mp_read.h \
	src/codec/codec.c src/codec/codec.h \
	src/codec/json.c src/codec/json.h
src_codec_libtkcodec_la_LIBADD = src/util/libtkutil.la $(MSGPACK_LIBS)

check_PROGRAMS += src/codec/test_codec
TESTS += src/codec/test_codec
src_codec_test_codec_SOURCES = src/codec/test_codec.c
src_codec_test_codec_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_codec_test_codec_LDADD = src/codec/libtkcodec.la $(CHECK_LIBS)
src_codec_test_codec_CPPFLAGS = $(AM_CPPFLAGS) -DTK_GOLDEN_DIR='"$(abs_top_srcdir)/proto-spec/golden"'
