# rules for src/server: filled in by the module
