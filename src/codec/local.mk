# rules for src/codec
