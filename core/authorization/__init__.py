"""Who may read or change what: Casbin policies compiled into per-role decisions, applied to
every field (read, read_masked, write), every root field (execute) and every row (scopes)."""
