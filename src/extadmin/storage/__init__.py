"""The account store: load, check, lock, atomic save, audit log; and the machine's registry."""
