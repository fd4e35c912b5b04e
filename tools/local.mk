# rules for tools
