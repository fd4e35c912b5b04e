# src/server: tinykvd, the store daemon.
bin_PROGRAMS += src/server/tinykvd
src_server_tinykvd_SOURCES = \
	src/server/main.c \
	src/server/server.h \
	src/server/srv_config.c src/server/srv_config.h \
	src/server/conn.c \
	src/server/framed.c \
	src/server/inline.c \
	src/server/commit.c \
	src/server/raw_cmds.c \
	src/server/txn_service.c \
	src/server/status.c \
	src/server/metrics.c src/server/metrics.h
src_server_tinykvd_LDADD = src/txn/libtktxn.la src/engine/libtkengine.la src/codec/libtkcodec.la src/util/libtkutil.la \
	$(LIBEVENT_LIBS)
