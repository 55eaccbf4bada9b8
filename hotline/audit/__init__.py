"""Audit: the append-only, hash-chained log of everything that happens to a case."""
