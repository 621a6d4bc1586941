"""Use cases: one function each; each owns its transaction and after-commit timer sync."""
