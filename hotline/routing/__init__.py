"""On-call routing: rosters, assignment, escalation timers, notifications, acknowledgement."""
