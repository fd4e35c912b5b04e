# rules for src/client: filled in by the module
