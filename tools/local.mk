# tools/: tkframe (installed: JSON <-> frames, see tkframe(1)), set-up and
# benchmark scripts.
bin_PROGRAMS += tools/tkframe
tools_tkframe_SOURCES = tools/tkframe.c
tools_tkframe_LDADD = src/codec/libtkcodec.la
dist_noinst_SCRIPTS += tools/setup-deps.sh
