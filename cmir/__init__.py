"""CMIR DAO: deployment and shared on-chain helpers used by scripts, tests and the CLI."""
