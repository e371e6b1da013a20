"""The `tastemaker` command line: one command (or command group) per pipeline stage.

Each stage lives in its own module here and registers itself on `app` through `register(app)`.
Global options (`--home`) are read by `common.settings()`.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.text import Text

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
STAGES = ["ingest", "imports", "datasets", "analyze", "train", "text", "weekly", "evaluate", "similar", "demo", "status", "serve", "keys", "deliver"]


@app.callback()
def _main(
    home: str = typer.Option(None, "--home", envvar="TASTEMAKER_HOME",
                             help="Folder of the warehouse and models [default: ./tastemaker-home]"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    engine: str = typer.Option(None, "--engine", envvar="TASTEMAKER_ENGINE", metavar="duckdb|spark",
                               help="Engine for this command, in place of the home's engine kind "
                                    "(spark: ALS on MLlib and the weekly job on Spark; docs/spark.md)"),
):
    common.STATE["home"] = home
    if engine is not None:
        from ..config import ENGINE_KINDS
        if engine not in ENGINE_KINDS:
            raise typer.BadParameter(f"expected one of {', '.join(ENGINE_KINDS)}; got {engine!r}",
                                     param_hint="--engine")
    common.STATE["engine"] = engine
    common.start_logging()
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


#: exit codes: 0 done, 1 done with rejected input (or nothing to show), 2 a usage or input error
#: with its message, 3 an unexpected failure (a bug: the traceback is in the home's log), 130 Ctrl-C
EXIT_BUG = 3
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> None:
    """Run the CLI behind one error boundary: no traceback ever reaches the terminal."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    """The CLI on `argv` (default: sys.argv); returns the exit code."""
    if not (sys.argv[1:] if argv is None else argv):
        argv = ["--help"]       # a bare `tastemaker` shows what it can do
    try:
        code = app(args=argv, standalone_mode=False, prog_name="tastemaker")
        if code == EXIT_INTERRUPTED:
            _interrupted()      # typer turns Ctrl-C into this exit code, silently
        return code if isinstance(code, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:      # bad usage: the parser's own message, with the usage
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            _error(exc.format_message())
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        _interrupted()
        return EXIT_INTERRUPTED
    except TastemakerError as exc:
        _error(str(exc))
        return 2
    except OSError as exc:                               # the machine's refusal, not our bug
        where = f" {exc.filename}" if exc.filename else ""
        _error(f"cannot use{where}: {exc.strerror or exc}")
        return 2
    except Exception as exc:  # noqa: BLE001 - the boundary: everything else is a bug, logged
        log = common.log_exception(exc)
        _error(f"unexpected {type(exc).__name__}: {exc}. This is a bug in tastemaker; the "
               f"traceback is in {log}. Please report it with that file.")
        return EXIT_BUG


def _interrupted() -> None:
    common.error_console.print("interrupted: the warehouse is left as it was before the unfinished "
                               "step; run the command again to finish it.", style="yellow")


def _error(message: str) -> None:
    common.error_console.print(Text.assemble(("error: ", "bold red"), message))
