"""Sign-in, bearer tokens and role checks for the API."""
