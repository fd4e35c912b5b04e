# rules for src/cli: filled in by the module
