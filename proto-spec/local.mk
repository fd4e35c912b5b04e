EXTRA_DIST += proto-spec
