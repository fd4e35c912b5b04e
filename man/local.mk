# rules for man
