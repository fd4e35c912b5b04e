# rules for src/raft: filled in by the module
