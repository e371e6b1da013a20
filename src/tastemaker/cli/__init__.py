"""The `tastemaker` command line: one command (or command group) per pipeline stage.

Each stage lives in its own module here and registers itself on `app` through `register(app)`.
Global options (`--home`) are read by `common.settings()`.
"""

from __future__ import annotations

import importlib
import sys

import typer

from ..errors import TastemakerError
from . import common

app = typer.Typer(
    name="tastemaker",
    help="A weekly discovery playlist for every listener of a music catalogue.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

#: stage modules, in pipeline order; each defines register(app)
STAGES = ["ingest", "datasets", "analyze", "train", "text", "weekly", "evaluate", "similar", "demo", "status"]


@app.callback()
def _main(
    home: str = typer.Option(None, "--home", envvar="TASTEMAKER_HOME",
                             help="Folder of the warehouse and models [default: ./tastemaker-home]"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
):
    common.STATE["home"] = home
    if quiet:
        import os
        os.environ["TASTEMAKER_QUIET"] = "1"


for _name in STAGES:
    try:
        _module = importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _exc:  # a stage not built yet in this checkout
        if _exc.name != f"{__name__}.{_name}":
            raise
        continue
    _module.register(app)


def main() -> None:
    try:
        app()
    except TastemakerError as exc:
        common.console.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
    except KeyboardInterrupt:
        common.console.print("[yellow]interrupted: the warehouse is left as it was before the "
                             "unfinished step; run the command again to finish it.[/]")
        sys.exit(130)
