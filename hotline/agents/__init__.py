"""Accounts of the people who work the line."""
