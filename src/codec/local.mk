# src/codec: framing, the message table (schema.h) and the table-driven codec.
noinst_LTLIBRARIES += src/codec/libtkcodec.la
src_codec_libtkcodec_la_SOURCES = \
	src/codec/schema.c src/codec/schema.h src/codec/schema_core.h src/codec/schema_raw.h \
	src/codec/schema_raft.h src/codec/schema_sched.h src/codec/schema_txn.h \
	src/codec/mp_read.c src/codec/mp_read.h \
	src/codec/codec.c src/codec/codec.h \
	src/codec/json.c src/codec/json.h \
	src/codec/raft_wire.c src/codec/raft_wire.h
src_codec_libtkcodec_la_LIBADD = src/util/libtkutil.la $(MSGPACK_LIBS)

check_PROGRAMS += src/codec/test_codec
TESTS += src/codec/test_codec
src_codec_test_codec_SOURCES = src/codec/test_codec.c
src_codec_test_codec_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_codec_test_codec_LDADD = src/codec/libtkcodec.la $(CHECK_LIBS)
src_codec_test_codec_CPPFLAGS = $(AM_CPPFLAGS) -DTK_GOLDEN_DIR='"$(abs_top_srcdir)/proto-spec/golden"'

# libFuzzer target: built with clang when configure found it.
FUZZ_DECODE_SRCS = \
	$(top_srcdir)/src/codec/fuzz_decode.c $(top_srcdir)/src/codec/codec.c \
	$(top_srcdir)/src/codec/schema.c $(top_srcdir)/src/codec/mp_read.c \
	$(top_srcdir)/src/codec/json.c $(top_srcdir)/src/util/err.c \
	$(top_srcdir)/src/util/bytes.c $(top_srcdir)/src/util/arena.c
EXTRA_DIST += src/codec/fuzz_decode.c src/codec/fuzz-short.sh
FUZZ_SECONDS = 300
if HAVE_CLANG
src/codec/fuzz_decode: $(FUZZ_DECODE_SRCS)
	$(AM_V_CCLD)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined \
		-I$(top_srcdir)/src -I$(top_srcdir)/src/util -I$(top_builddir) $(MSGPACK_CFLAGS) \
		$(FUZZ_DECODE_SRCS) $(MSGPACK_LIBS) -o $@
check_SCRIPTS = src/codec/fuzz_decode
CLEANFILES += src/codec/fuzz_decode
TESTS += src/codec/fuzz-short.sh
fuzz: src/codec/fuzz_decode
	mkdir -p fuzz-corpus
	FUZZ_SECONDS=$(FUZZ_SECONDS) top_builddir=. top_srcdir=$(top_srcdir) $(top_srcdir)/src/codec/fuzz-short.sh
else
fuzz:
	@echo "make fuzz needs clang (apt-get install clang libclang-rt-14-dev), then re-run configure"; exit 1
endif

check_PROGRAMS += src/codec/test_raft_wire
TESTS += src/codec/test_raft_wire
src_codec_test_raft_wire_SOURCES = src/codec/test_raft_wire.c
src_codec_test_raft_wire_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_codec_test_raft_wire_LDADD = src/codec/libtkcodec.la $(CHECK_LIBS)
