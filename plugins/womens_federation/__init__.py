"""The womens_federation department plugin."""
