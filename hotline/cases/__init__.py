"""Cases: lifecycle, references, the API agents read them through."""
