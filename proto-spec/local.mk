# rules for proto-spec
