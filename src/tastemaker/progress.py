"""Progress of long steps: Rich bars in a terminal, one plain line per step anywhere else.

In a terminal (stderr is a tty) each step draws a live Rich bar. Where stderr is a file or a
pipe (CI logs, cron, `make demo 2> log`) there is no live display at all: each step writes one
line when it ends, such as ``Ingesting events.csv: done, 1,234,567 of 1,234,567 in 12.3 s``.
TASTEMAKER_QUIET=1 silences both.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Iterator

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True)


def enabled() -> bool:
    """Progress shows unless TASTEMAKER_QUIET is set."""
    return not os.environ.get("TASTEMAKER_QUIET")


def _interactive(stream) -> bool:
    """Whether `stream` is a terminal that a live bar can redraw in place."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):   # a closed or odd stream
        return False


@contextlib.contextmanager
def progress(description: str, total: float | None = None) -> Iterator["Step"]:
    """One step's progress: `with progress("Scoring", total=n) as step: step.advance(k)`."""
    if not enabled():
        yield Step(None, None)
        return
    if not _interactive(console.file):
        step = _PlainStep(description, total)
        try:
            yield step
        except BaseException:
            step.finish(stopped=True)
            raise
        step.finish()
        return
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    with bar:
        task = bar.add_task(escape(description), total=total)   # a file name is not markup
        yield Step(bar, task)


class Step:
    def __init__(self, bar: Progress | None, task):
        self._bar, self._task = bar, task

    def advance(self, amount: float = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, amount)

    def update(self, **kwargs) -> None:
        if self._bar is not None:
            if kwargs.get("description") is not None:
                kwargs["description"] = escape(kwargs["description"])
            self._bar.update(self._task, **kwargs)


class _PlainStep(Step):
    """A step outside a terminal: counts quietly, then writes one line when it ends."""

    def __init__(self, description: str, total: float | None):
        super().__init__(None, None)
        self.description, self.total, self.completed = description, total, 0.0
        self._start = time.perf_counter()

    def advance(self, amount: float = 1) -> None:
        self.completed += amount

    def update(self, *, total: float | None = None, completed: float | None = None,
               advance: float | None = None, description: str | None = None, **_ignored) -> None:
        if total is not None:
            self.total = total
        if completed is not None:
            self.completed = completed
        if advance is not None:
            self.completed += advance
        if description is not None:
            self.description = description

    def line(self, stopped: bool = False) -> str:
        elapsed = _seconds(time.perf_counter() - self._start)
        if self.total is not None:
            counts = f", {_count(self.completed)} of {_count(self.total)}"
        elif self.completed:
            counts = f", {_count(self.completed)}"
        else:
            counts = ""
        if stopped:
            return f"{self.description}: stopped after {elapsed}{counts}"
        return f"{self.description}: done{counts} in {elapsed}"

    def finish(self, stopped: bool = False) -> None:
        stream = console.file
        try:
            stream.write(self.line(stopped) + "\n")
            stream.flush()
        except (ValueError, OSError):   # the log went away: the step's own outcome matters more
            pass


def _count(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.1f}"


def _seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 100 else f"{s:,.0f} s"
