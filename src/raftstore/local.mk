# src/raftstore: drives src/raft over the engine (no libevent, so a test
# fixture can run several stores in one process).  So far: the peer storage
# (the raft log storage over LevelDB with an entry cache, staged into caller
# batches), the raft column values, the region local state, raw KV commands
# and their application, a region's peer (proposals and their callbacks, log
# GC), membership changes (confchange.c), region snapshots (snap.c:
# generation, chunks, atomic apply; snap_xfer.c: the streams between stores)
# and the store (router and the group-commit ready pass; store_peers.c: peers
# born from messages, destroyed behind tombstones).
noinst_LTLIBRARIES += src/raftstore/libtkraftstore.la
src_raftstore_libtkraftstore_la_SOURCES = \
	src/raftstore/region_state.c src/raftstore/region_state.h \
	src/raftstore/ps_codec.c src/raftstore/ps_codec.h \
	src/raftstore/entry_cache.c src/raftstore/entry_cache.h \
	src/raftstore/peer_storage.c src/raftstore/peer_storage.h \
	src/raftstore/peer_storage_int.h \
	src/raftstore/peer_storage_load.c \
	src/raftstore/cmd.c src/raftstore/cmd.h \
	src/raftstore/apply.c src/raftstore/apply.h \
	src/raftstore/cas.c src/raftstore/cas.h \
	src/raftstore/overlay.c src/raftstore/overlay.h \
	src/raftstore/read_queue.c src/raftstore/read_queue.h \
	src/raftstore/peer.c src/raftstore/peer.h src/raftstore/peer_int.h \
	src/raftstore/confchange.c \
	src/raftstore/store_peers.c \
	src/raftstore/snap.c src/raftstore/snap.h \
	src/raftstore/snap_xfer.c src/raftstore/store_int.h \
	src/raftstore/store.c src/raftstore/store.h \
	src/raftstore/env_wire.c src/raftstore/env_wire.h
src_raftstore_libtkraftstore_la_LIBADD = src/raft/libtkraft.la src/engine/libtkengine.la \
	src/meta/libtkmeta.la src/codec/libtkcodec.la src/util/libtkutil.la

check_PROGRAMS += src/raftstore/test_region_state src/raftstore/test_peer_storage \
	src/raftstore/test_ps_raft src/raftstore/test_cluster src/raftstore/test_cmd \
	src/raftstore/test_read src/raftstore/test_snap src/raftstore/test_confchange \
	src/raftstore/test_generic src/raftstore/test_peer_birth src/raftstore/test_env_wire
TESTS += src/raftstore/test_region_state src/raftstore/test_peer_storage \
	src/raftstore/test_ps_raft src/raftstore/test_cluster src/raftstore/test_cmd \
	src/raftstore/test_read src/raftstore/test_snap src/raftstore/test_confchange \
	src/raftstore/test_generic src/raftstore/test_peer_birth src/raftstore/test_env_wire
EXTRA_DIST += src/raftstore/test_ps_helpers.h

src_raftstore_test_region_state_SOURCES = src/raftstore/test_region_state.c
src_raftstore_test_region_state_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raftstore_test_region_state_LDADD = src/raftstore/libtkraftstore.la $(CHECK_LIBS)

src_raftstore_test_peer_storage_SOURCES = src/raftstore/test_peer_storage.c \
	src/raftstore/test_ps_helpers.h
src_raftstore_test_peer_storage_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raftstore_test_peer_storage_LDADD = src/raftstore/libtkraftstore.la $(CHECK_LIBS)

src_raftstore_test_ps_raft_SOURCES = src/raftstore/test_ps_raft.c src/raftstore/test_ps_helpers.h
src_raftstore_test_ps_raft_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raftstore_test_ps_raft_LDADD = src/raftstore/libtkraftstore.la $(CHECK_LIBS)

src_raftstore_test_cluster_SOURCES = src/raftstore/test_cluster.c src/raftstore/fixture.c \
	src/raftstore/fixture.h src/raftstore/test_ps_helpers.h
src_raftstore_test_cluster_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raftstore_test_cluster_LDADD = src/raftstore/libtkraftstore.la $(CHECK_LIBS)

src_raftstore_test_confchange_SOURCES = src/raftstore/test_confchange.c src/raftstore/fixture.c \
	src/raftstore/fixture.h src/raftstore/test_ps_helpers.h
src_raftstore_test_confchange_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raftstore_test_confchange_LDADD = src/raftstore/libtkraftstore.la $(CHECK_LIBS)

src_raftstore_test_generic_SOURCES = src/raftstore/test_generic.c src/raftstore/fixture.c \
	src/raftstore/fixture.h src/raftstore/test_ps_helpers.h
src_raftstore_test_generic_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raftstore_test_generic_LDADD = src/raftstore/libtkraftstore.la $(CHECK_LIBS)

src_raftstore_test_peer_birth_SOURCES = src/raftstore/test_peer_birth.c \
	src/raftstore/test_ps_helpers.h
src_raftstore_test_peer_birth_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raftstore_test_peer_birth_LDADD = src/raftstore/libtkraftstore.la $(CHECK_LIBS)

src_raftstore_test_cmd_SOURCES = src/raftstore/test_cmd.c src/raftstore/test_ps_helpers.h
src_raftstore_test_cmd_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raftstore_test_cmd_LDADD = src/raftstore/libtkraftstore.la $(CHECK_LIBS)

# The compare-and-swap decision and the write overlay: pure, so each test
# links only its module (and util).
check_PROGRAMS += src/raftstore/test_cas src/raftstore/test_overlay
TESTS += src/raftstore/test_cas src/raftstore/test_overlay
src_raftstore_test_cas_SOURCES = src/raftstore/test_cas.c src/raftstore/cas.c
src_raftstore_test_cas_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raftstore_test_cas_LDADD = src/util/libtkutil.la $(CHECK_LIBS)
src_raftstore_test_overlay_SOURCES = src/raftstore/test_overlay.c src/raftstore/overlay.c
src_raftstore_test_overlay_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raftstore_test_overlay_LDADD = src/util/libtkutil.la $(CHECK_LIBS)

src_raftstore_test_read_SOURCES = src/raftstore/test_read.c src/raftstore/fixture.c \
	src/raftstore/fixture.h src/raftstore/test_ps_helpers.h
src_raftstore_test_read_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raftstore_test_read_LDADD = src/raftstore/libtkraftstore.la $(CHECK_LIBS)
src_raftstore_test_snap_SOURCES = src/raftstore/test_snap.c src/raftstore/test_ps_helpers.h
src_raftstore_test_snap_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raftstore_test_snap_LDADD = src/raftstore/libtkraftstore.la $(CHECK_LIBS)

src_raftstore_test_env_wire_SOURCES = src/raftstore/test_env_wire.c
src_raftstore_test_env_wire_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
src_raftstore_test_env_wire_LDADD = src/raftstore/libtkraftstore.la $(CHECK_LIBS)
