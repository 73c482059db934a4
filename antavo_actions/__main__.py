"""`python -m antavo_actions`: the same as the `antavo-actions` command."""

from antavo_actions.cli.app import main

main()
