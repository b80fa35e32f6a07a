"""``python -m indexer``: the ``cmir index`` commands."""

from indexer.cli import main

main()
