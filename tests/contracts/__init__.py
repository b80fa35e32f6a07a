"""Contract tests, run by Ape's pytest plugin (`ape test tests/contracts`)."""
