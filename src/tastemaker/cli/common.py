"""What every CLI command shares: settings from --home, the open engine, the console."""

from __future__ import annotations

import contextlib
import os

from rich.console import Console, ConsoleDimensions
from rich.rule import Rule
from rich.table import Table

from ..config import Settings, load_settings
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


console = _Console()
STATE: dict = {"home": None}


def settings() -> Settings:
    return load_settings(STATE["home"])


@contextlib.contextmanager
def engine(read_only: bool = False) -> Engine:
    """The home's engine for the duration of a command (read-only: the warehouse must exist)."""
    s = settings()
    if read_only and not s.warehouse_path.exists():
        raise NotFoundError(f"No warehouse at {s.warehouse_path}: ingest data first "
                            f"(tastemaker ingest events FILE, or tastemaker demo)")
    opened = open_engine(s, read_only=read_only)
    try:
        yield opened
    finally:
        opened.close()


def table(title: str, columns: list[str], rows) -> Table:
    rows = list(rows)
    t = Table(title=title, title_justify="left")
    for i, c in enumerate(columns):
        numeric = bool(rows) and all(isinstance(r[i], (int, float)) for r in rows if r[i] != "")
        t.add_column(c, justify="right" if numeric else "left")
    for r in rows:
        t.add_row(*[f"{v:,}" if isinstance(v, int) else (f"{v:.4f}" if isinstance(v, float) else str(v))
                    for v in r])
    return t
