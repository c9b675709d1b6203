"""The police department plugin."""
