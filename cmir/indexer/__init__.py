"""CMIR DAO indexer: mirrors every on-chain event of a deployment into SQL.

`cmir.indexer.sync.Indexer` runs the sync, `cmir.store` holds the models shared with the API,
`cmir.indexer.cli` the ``cmir index`` commands.
"""
