"""The training room: a practice phone in the browser, scenarios, the trainer's view, a reset (issue 12)."""
