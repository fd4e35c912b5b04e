# src/store: tinykvd, the store daemon: the one command table (raw and
# transactional), the group commit as the store's end-of-iteration work,
# the regions on Raft (replica.c), cluster membership (join.c: at startup,
# blocking), heartbeats (heartbeat.c: in the reactor), the raft traffic
# between stores (transport.c), and main, over the
# protocol core (src/net) and libtinykv's scheduler client.
bin_PROGRAMS += src/store/tinykvd
src_store_tinykvd_SOURCES = \
	src/store/store.h \
	src/store/main.c \
	src/store/commands.c \
	src/store/raw_cmds.c \
	src/store/txn_cmds.c \
	src/store/group_commit.c \
	src/store/replica.c \
	src/store/join.c \
	src/store/heartbeat.c \
	src/store/transport.c \
	src/store/operator.c
# libtkclient: libtinykv's code, linked in statically (no libtool wrapper)
src_store_tinykvd_LDADD = src/net/libtknet.la src/raftstore/libtkraftstore.la \
	src/meta/libtkmetawire.la \
	src/client/libtkclient.la \
	src/txn/libtktxn.la src/engine/libtkengine.la \
	src/codec/libtkcodec.la src/util/libtkutil.la $(LIBEVENT_LIBS)
