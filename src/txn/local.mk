# src/txn: MVCC over the engine's lock/default/write columns, the Percolator
# commands (get, prewrite, commit, scan, check-txn-status, batch-rollback,
# resolve-lock, gc) and per-key latches.  Commands never write: they fill an
# eng_batch that the caller applies (eng_write, or a raft proposal).
noinst_LTLIBRARIES += src/txn/libtktxn.la
src_txn_libtktxn_la_SOURCES = \
	src/txn/mvcc.c src/txn/mvcc.h src/txn/mvcc_int.h \
	src/txn/mvcc_scan.c \
	src/txn/txn_cmds.c src/txn/txn_cmds.h src/txn/txn_int.h \
	src/txn/gc.c \
	src/txn/latches.c src/txn/latches.h
src_txn_libtktxn_la_LIBADD = src/engine/libtkengine.la src/util/libtkutil.la

check_PROGRAMS += src/txn/test_latches src/txn/test_mvcc src/txn/test_txn_cmds \
	src/txn/test_txn_resolve src/txn/test_txn_model
TESTS += src/txn/test_latches src/txn/test_mvcc src/txn/test_txn_cmds \
	src/txn/test_txn_resolve src/txn/test_txn_model

src_txn_test_latches_SOURCES = src/txn/test_latches.c
src_txn_test_latches_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_txn_test_latches_LDADD = src/txn/libtktxn.la $(CHECK_LIBS)

src_txn_test_mvcc_SOURCES = src/txn/test_mvcc.c src/txn/test_support.c src/txn/test_support.h
src_txn_test_mvcc_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_txn_test_mvcc_LDADD = src/txn/libtktxn.la $(CHECK_LIBS)

src_txn_test_txn_cmds_SOURCES = src/txn/test_txn_cmds.c src/txn/test_cmd_helpers.h \
	src/txn/test_support.c src/txn/test_support.h
src_txn_test_txn_cmds_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_txn_test_txn_cmds_LDADD = src/txn/libtktxn.la $(CHECK_LIBS)

src_txn_test_txn_resolve_SOURCES = src/txn/test_txn_resolve.c src/txn/test_cmd_helpers.h \
	src/txn/test_support.c src/txn/test_support.h
src_txn_test_txn_resolve_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_txn_test_txn_resolve_LDADD = src/txn/libtktxn.la $(CHECK_LIBS)

src_txn_test_txn_model_SOURCES = src/txn/test_txn_model.c src/txn/test_cmd_helpers.h \
	src/txn/test_support.c src/txn/test_support.h
src_txn_test_txn_model_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_txn_test_txn_model_LDADD = src/txn/libtktxn.la $(CHECK_LIBS)
