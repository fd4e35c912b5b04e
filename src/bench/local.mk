# rules for src/bench: filled in by the module
