"""Engines: explicit-state search and z3, over the same IR and properties."""
