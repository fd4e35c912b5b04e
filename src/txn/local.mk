# rules for src/txn: filled in by the module
