"""The audit trail: every mutation, sensitive read, denied attempt and administrative change,
append-only and hash-chained in PostgreSQL (PIPL: every access by staff to a child's personal
information is recorded)."""
