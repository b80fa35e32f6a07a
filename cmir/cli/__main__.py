"""``python -m cmir.cli``: the ``cmir`` command line."""

from cmir.cli import main

main()
