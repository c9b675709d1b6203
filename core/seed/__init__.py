"""Synthetic, deterministic data for trials, demos, tests and benchmarks.

Nothing here describes real people or places below the county: townships, villages,
organisations, children, guardians and cases are all generated, the same on every run.
"""
