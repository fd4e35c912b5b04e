# tools/: the frame tool, set-up and benchmark scripts.
noinst_PROGRAMS += tools/tkframe
tools_tkframe_SOURCES = tools/tkframe.c
tools_tkframe_LDADD = src/codec/libtkcodec.la
dist_noinst_SCRIPTS += tools/setup-deps.sh
