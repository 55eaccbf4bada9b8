"""1503 hotline backend."""
