"""Rich progress bars for long steps, silenced in tests and non-interactive runs on request."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

from rich.console import Console
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
    """Progress bars show unless TASTEMAKER_QUIET is set."""
    return not os.environ.get("TASTEMAKER_QUIET")


@contextlib.contextmanager
def progress(description: str, total: float | None = None) -> Iterator["Step"]:
    """A progress bar for one step: `with progress("Scoring", total=n) as step: step.advance(k)`."""
    if not enabled():
        yield Step(None, None)
        return
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=not sys.stderr.isatty(),
        disable=False,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield Step(bar, task)


class Step:
    def __init__(self, bar: Progress | None, task):
        self._bar, self._task = bar, task

    def advance(self, amount: float = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, amount)

    def update(self, **kwargs) -> None:
        if self._bar is not None:
            self._bar.update(self._task, **kwargs)
