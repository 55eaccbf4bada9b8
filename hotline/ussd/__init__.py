"""USSD: Africa's Talking sessions, screen by screen."""
