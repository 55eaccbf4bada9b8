"""The agents' web console: server-rendered pages (Jinja2 + htmx), sessions, live queue."""
