"""Limits on what one request may cost: its size, its time, and its share of the caller's rate."""
