"""``python -m cmir.apps.cli``: the ``cmir`` command line."""

from cmir.apps.cli import main

main()
