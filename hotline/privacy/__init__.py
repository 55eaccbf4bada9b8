"""Privacy by default: sealed columns, retention, requests of the people concerned, key rotation."""
