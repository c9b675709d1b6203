"""CareGraph core: children, guardians and protection cases shared by every department."""
