"""``python -m cmir.indexer``: the ``cmir index`` commands."""

from cmir.indexer.cli import main

main()
