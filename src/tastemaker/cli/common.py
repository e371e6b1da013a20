"""What every CLI command shares: settings from --home, the open engine, the console."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import sys
import tempfile
import traceback
from pathlib import Path

from rich.console import Console, ConsoleDimensions
from rich.markup import escape as esc  # noqa: F401 - the commands escape user text with it
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from .. import __version__, snapshots
from ..config import Settings, load_settings, resolve_home
from ..engine import Engine, open_engine
from ..errors import NotFoundError

# Where stdout is not a terminal, lines are as long as they need to be (up to this) ...
LOG_WIDTH = 10_000
# ... and a rule is this wide (or $COLUMNS wide, where that is set).
RULE_WIDTH = 80


class _Console(Console):
    """Rich's console, which in a terminal behaves exactly as Rich's does. Where stdout is a file or
    a pipe (CI logs, cron, `make demo > log`) Rich would wrap every line and squeeze every table
    into 80 columns; this one soft-wraps (no line is broken), lets tables take their natural
    width (no cell wrapped or cut short with an ellipsis) and draws rules RULE_WIDTH wide."""

    def _to_log(self) -> bool:
        if self._width is not None:      # a width chosen by the caller wins
            return False
        isatty = getattr(self.file, "isatty", None)
        try:
            return not (isatty and isatty())
        except (ValueError, OSError):
            return True

    @property
    def size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)
        return ConsoleDimensions(LOG_WIDTH, size.height) if self._to_log() else size

    @size.setter
    def size(self, new_size) -> None:
        Console.size.fset(self, new_size)

    @property
    def soft_wrap(self) -> bool:
        return self._soft_wrap or self._to_log()

    @soft_wrap.setter
    def soft_wrap(self, value: bool) -> None:
        self._soft_wrap = value

    def rule(self, title="", *, characters: str = "─", style="rule.line", align="center") -> None:
        if not self._to_log():
            return super().rule(title, characters=characters, style=style, align=align)
        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() and int(columns) > 0 else RULE_WIDTH
        self.print(Rule(title=title, characters=characters, style=style, align=align),
                   width=width, soft_wrap=False)


#: Markup is off by default: text from users (file names, ids, settings) prints as it is. A line
#: with styles passes markup=True and wraps every value it interpolates in `esc`.
console = _Console(markup=False)
#: errors and the interruption notice go to stderr
error_console = _Console(stderr=True, markup=False)
STATE: dict = {"home": None, "engine": None}

#: where the home's log goes (errors with their tracebacks), under the home
LOG_NAME = "logs/tastemaker.log"


def log_path() -> Path:
    """The home's log file; a file in the temporary folder when the home cannot hold one."""
    try:
        home = resolve_home(STATE["home"])
        path = home / LOG_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        if os.access(path.parent, os.W_OK):
            return path
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / "tastemaker.log"


def start_logging() -> None:
    """Errors that the library logs (a file rejected for an unexpected reason, with its
    traceback) go to the home's log; nothing is written until there is one."""
    logger = logging.getLogger("tastemaker")
    if not any(getattr(h, "_tastemaker", False) for h in logger.handlers):
        handler = _LazyFileHandler()
        handler.setLevel(logging.ERROR)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._tastemaker = True
        logger.addHandler(handler)


class _LazyFileHandler(logging.Handler):
    """Appends to `log_path()`, opened for each record (errors are rare)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            with open(log_path(), "a", encoding="utf-8") as f:
                f.write(self.format(record) + "\n")
        except OSError:
            pass


def log_exception(exc: BaseException) -> Path:
    """Write the traceback of `exc`, with the command line, to the home's log; its path."""
    path = log_path()
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')} tastemaker "
                    f"{__version__}: {' '.join(sys.argv[1:])}\n")
            f.write("".join(traceback.format_exception(exc)))
    except OSError:
        pass
    return path


def settings() -> Settings:
    """The home's settings, with ``--engine`` (when given) in place of ``[engine] kind``."""
    s = load_settings(STATE["home"])
    if STATE.get("engine") and STATE["engine"] != s.engine.kind:
        s = dataclasses.replace(s, engine=dataclasses.replace(s.engine, kind=STATE["engine"]))
    return s


@contextlib.contextmanager
def engine(read_only: bool = False) -> Engine:
    """The home's engine for the duration of a command (read-only: the warehouse must exist).
    A command that wrote publishes a read-only snapshot at its end when the home serves."""
    s = settings()
    if read_only and not s.warehouse_path.exists():
        raise NotFoundError(f"No warehouse at {s.warehouse_path}: ingest data first "
                            f"(tastemaker ingest events FILE, or tastemaker demo)")
    opened = open_engine(s, read_only=read_only)
    try:
        yield opened
        if not read_only and snapshots.enabled(s):
            snapshots.publish(opened, s)     # the service swaps to it; see tastemaker.snapshots
    finally:
        opened.close()


def table(title: str, columns: list[str], rows) -> Table:
    rows = list(rows)
    t = Table(title=Text(title), title_justify="left")
    for i, c in enumerate(columns):
        numeric = bool(rows) and all(isinstance(r[i], (int, float)) for r in rows if r[i] != "")
        t.add_column(c, justify="right" if numeric else "left")
    for r in rows:
        t.add_row(*[Text(f"{v:,}" if isinstance(v, int) else (f"{v:.4f}" if isinstance(v, float) else str(v)))
                    for v in r])
    return t
