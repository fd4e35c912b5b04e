# rules for src/scheduler: filled in by the module
