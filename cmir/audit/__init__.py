"""The auditor's independent check: the ledger recomputed from raw chain logs and contract views
(`ledger`), compared with the API (`api`); `cmir audit` (`cli`). It shares no code with the
indexer or the API."""
