"""Block Kit: pure builders, user-facing strings, action and callback ids."""
