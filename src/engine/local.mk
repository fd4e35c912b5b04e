# src/engine: the storage engine over LevelDB (column prefixes, batches,
# iterators, snapshots, recovery), the store identity record, the data dir
# lock and the key encodings.  The only module that includes leveldb/c.h.
noinst_LTLIBRARIES += src/engine/libtkengine.la
src_engine_libtkengine_la_SOURCES = \
	src/engine/engine.c src/engine/engine.h src/engine/engine_int.h \
	src/engine/iter.c \
	src/engine/ident.c src/engine/ident.h \
	src/engine/datadir.c src/engine/datadir.h \
	src/engine/keys.c src/engine/keys.h \
	src/engine/raft_keys.c src/engine/raft_keys.h
src_engine_libtkengine_la_LIBADD = src/util/libtkutil.la $(LEVELDB_LIBS)

check_PROGRAMS += src/engine/test_engine src/engine/test_engine_faults src/engine/test_keys \
	src/engine/test_raft_keys
TESTS += src/engine/test_engine src/engine/test_engine_faults src/engine/test_keys \
	src/engine/test_raft_keys
EXTRA_DIST += src/engine/test_helpers.h

src_engine_test_engine_SOURCES = src/engine/test_engine.c src/engine/test_helpers.h
src_engine_test_engine_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_engine_test_engine_LDADD = src/engine/libtkengine.la $(CHECK_LIBS)

src_engine_test_engine_faults_SOURCES = src/engine/test_engine_faults.c src/engine/test_helpers.h
src_engine_test_engine_faults_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_engine_test_engine_faults_LDADD = src/engine/libtkengine.la $(CHECK_LIBS)

src_engine_test_keys_SOURCES = src/engine/test_keys.c
src_engine_test_keys_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_engine_test_keys_LDADD = src/engine/libtkengine.la $(CHECK_LIBS)

src_engine_test_raft_keys_SOURCES = src/engine/test_raft_keys.c
src_engine_test_raft_keys_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_engine_test_raft_keys_LDADD = src/engine/libtkengine.la $(CHECK_LIBS)
