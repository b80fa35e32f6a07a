"""End-to-end tests: the stack, the `cmir` command line and the auditor as real processes."""
