"""`python -m core` is the `caregraph` command."""

from core.cli import main

main()
