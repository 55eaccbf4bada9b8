"""Intake: provider deliveries become stored contacts, exactly once, then pipeline work."""
