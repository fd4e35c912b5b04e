# src/meta: the one definition of regions, peers and epochs and the epoch
# rules (libtkmeta, pure), and their wire conversion (libtkmetawire, which
# needs the codec) for the scheduler, the store and the client.
noinst_LTLIBRARIES += src/meta/libtkmeta.la src/meta/libtkmetawire.la
src_meta_libtkmeta_la_SOURCES = src/meta/region.c src/meta/region.h
src_meta_libtkmeta_la_LIBADD = src/util/libtkutil.la
src_meta_libtkmetawire_la_SOURCES = src/meta/region_wire.c src/meta/region_wire.h \
	src/meta/region_error.c src/meta/region_error.h
src_meta_libtkmetawire_la_LIBADD = src/meta/libtkmeta.la src/codec/libtkcodec.la

check_PROGRAMS += src/meta/test_meta
TESTS += src/meta/test_meta
src_meta_test_meta_SOURCES = src/meta/test_meta.c
src_meta_test_meta_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_meta_test_meta_LDADD = src/meta/libtkmetawire.la src/meta/libtkmeta.la src/codec/libtkcodec.la \
	src/util/libtkutil.la $(CHECK_LIBS)

check_PROGRAMS += src/meta/test_region_error
TESTS += src/meta/test_region_error
src_meta_test_region_error_SOURCES = src/meta/test_region_error.c
src_meta_test_region_error_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_meta_test_region_error_CPPFLAGS = $(AM_CPPFLAGS) -DTK_GOLDEN_DIR='"$(abs_top_srcdir)/proto-spec/golden"'
src_meta_test_region_error_LDADD = src/meta/libtkmetawire.la src/meta/libtkmeta.la \
	src/codec/libtkcodec.la src/util/libtkutil.la $(CHECK_LIBS)
