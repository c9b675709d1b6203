"""Department plugins shipped with CareGraph."""
