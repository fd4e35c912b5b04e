# rules for src/engine: filled in by the module
