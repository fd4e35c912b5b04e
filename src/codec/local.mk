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

# libFuzzer targets, one per decoder, built with clang when configure found
# it (the rest of the tree builds with $(CC)).  The decoders are compiled once
# into .fzo objects with ASan + UBSan and coverage hooks; each target links
# them with its fuzz_*.c.  src/codec/fuzz-short.sh runs them: briefly in
# `make check`, for FUZZ_SECONDS (or FUZZ_RUNS executions) each in `make fuzz`.
# Other modules add targets with FUZZ_TARGETS += and FUZZ_LIB_OBJS += (src/net).
FUZZ_CFLAGS = -std=gnu11 -g -O2 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter \
	-Werror -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-I$(top_srcdir)/src -I$(top_builddir) $(MSGPACK_CFLAGS) $(LIBEVENT_CFLAGS)
FUZZ_LIB_OBJS = \
	src/codec/codec.fzo src/codec/schema.fzo src/codec/mp_read.fzo src/codec/json.fzo \
	src/codec/raft_wire.fzo src/codec/fuzz_check.fzo \
	src/util/err.fzo src/util/bytes.fzo src/util/arena.fzo
FUZZ_TARGETS = src/codec/fuzz_frame src/codec/fuzz_envelope src/codec/fuzz_body \
	src/codec/fuzz_raft_wire src/codec/fuzz_json
EXTRA_DIST += src/codec/fuzz_check.c src/codec/fuzz_check.h src/codec/fuzz_frame.c \
	src/codec/fuzz_envelope.c src/codec/fuzz_body.c src/codec/fuzz_raft_wire.c \
	src/codec/fuzz_json.c src/codec/fuzz-short.sh
# .fzo objects have no automatic dependency tracking: every one depends on
# the headers the decoders share (Makefile.am)
FUZZ_HDRS = $(srcdir)/src/codec/codec.h $(srcdir)/src/codec/schema.h \
	$(srcdir)/src/codec/schema_core.h $(srcdir)/src/codec/schema_raw.h \
	$(srcdir)/src/codec/schema_raft.h $(srcdir)/src/codec/schema_sched.h \
	$(srcdir)/src/codec/schema_txn.h $(srcdir)/src/codec/mp_read.h \
	$(srcdir)/src/codec/json.h $(srcdir)/src/codec/raft_wire.h \
	$(srcdir)/src/codec/fuzz_check.h $(srcdir)/src/util/err.h $(srcdir)/src/util/bytes.h \
	$(srcdir)/src/util/arena.h $(srcdir)/src/util/quote.h $(srcdir)/src/net/net.h
# Objects built without comparison tracing (-fno-sanitize-coverage=trace-cmp,
# the rule is in Makefile.am): libFuzzer calls a hook for every comparison
# they make, which cost fuzz_inline and fuzz_json a third to half of their
# time, while their comparisons are of single bytes and lengths that random
# mutation finds as well: with the hooks off, the coverage and features a
# campaign reaches stay within a few of those with them on (the issue 10 note
# gives the figures).  Buffers, errors and the arena are plumbing, not
# parsing; the harnesses compare what the code under test produced.  The
# decoders the other targets share (codec, schema, mp_read, raft_wire) keep
# their hooks.
FUZZ_NOCMP_OBJS = src/util/err.fzo src/util/bytes.fzo src/util/arena.fzo \
	src/codec/json.fzo src/codec/fuzz_json.fzo
SUFFIXES = .fzo
FUZZ_SECONDS = 300
FUZZ_RUNS =
.c.fzo:
	@mkdir -p $(@D)
	$(AM_V_CC)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
CLEANFILES += $(FUZZ_TARGETS) $(FUZZ_LIB_OBJS) $(FUZZ_TARGETS:=.fzo)
# The link rules and `make fuzz` are in Makefile.am, after every module added
# its targets.

check_PROGRAMS += src/codec/test_raft_wire
TESTS += src/codec/test_raft_wire
src_codec_test_raft_wire_SOURCES = src/codec/test_raft_wire.c
src_codec_test_raft_wire_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_codec_test_raft_wire_LDADD = src/codec/libtkcodec.la $(CHECK_LIBS)
