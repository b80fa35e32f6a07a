"""The auditor's independent check: the pool's rules replayed from raw chain logs (`replay`),
the ledger and its identities against the contract views at one block (`ledger`), compared with
the API (`api`); `cmir audit` (`cli`). It shares no code with the indexer or the API."""
