# rules for man
dist_man_MANS += man/tinykvd.8 man/tinykv-protocol.7
dist_man_MANS += man/tinykv-cli.1 man/tkframe.1
dist_man_MANS += man/tinykv-bench.1
dist_man_MANS += man/tinykv-scheduler.8
