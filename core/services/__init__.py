"""Writes to the core records. Each function runs inside the caller's transaction, validates
its input completely before writing, and raises a CareGraphError the caller can act on."""
