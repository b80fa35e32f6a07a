"""CMIR DAO indexer: mirrors every on-chain event of a deployment into SQL.

`indexer.sync.Indexer` runs the sync, `indexer.db` holds the models shared with the API,
`indexer.cli` the ``cmir index`` commands.
"""
