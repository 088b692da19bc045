"""One-off products (SPEC §8): staff manage them, everyone may list the active ones."""
