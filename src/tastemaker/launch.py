"""The `tastemaker` command's entry point: starts the CLI, so that a Ctrl-C while the libraries
load (a second or two) ends as quietly as one during a command."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from .cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted while starting: nothing was done.\n")
        sys.exit(130)
    cli_main()
