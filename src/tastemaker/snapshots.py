"""Read-only snapshots of the warehouse, for readers that must keep answering while the batch
writes (the HTTP service).

An embedded warehouse allows one writing process and no reader beside it. So, once a home has a
``snapshots/`` folder (``tastemaker serve`` makes it), every command that wrote to the warehouse
ends by publishing a consistent copy: ``snapshots/warehouse-<time>.duckdb``, then the
``snapshots/CURRENT`` pointer is replaced atomically. A reader opens the copy CURRENT names,
read-only, and swaps to a newer one when CURRENT changes; the two newest copies are kept (a
reader may still hold the previous one).

    >>> publish(engine, settings)           # after a write, when the home serves
    >>> current(settings)                   # the copy a reader should open, or None
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from .config import Settings
from .engine import Engine

#: copies kept: the newest and the one before it (a reader may not have swapped yet)
KEEP = 2


def folder(settings: Settings) -> Path:
    return settings.home / "snapshots"


def enabled(settings: Settings) -> bool:
    """Whether this home publishes snapshots (it does once it has a snapshots folder)."""
    return folder(settings).is_dir()


def publish(engine: Engine, settings: Settings) -> Path:
    """Write a consistent read-only copy of the warehouse and point CURRENT at it."""
    root = folder(settings)
    root.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    target = root / f"warehouse-{stamp}.duckdb"
    tmp = root / f".{target.name}.tmp"
    engine.copy_to(tmp)
    os.replace(tmp, target)
    pointer = root / ".CURRENT.tmp"
    pointer.write_text(target.name)
    os.replace(pointer, root / "CURRENT")
    for old in sorted(root.glob("warehouse-*.duckdb"))[:-KEEP]:
        old.unlink(missing_ok=True)
    return target


def current(settings: Settings) -> Path | None:
    """The snapshot a reader should open now, or None when none has been published."""
    pointer = folder(settings) / "CURRENT"
    try:
        name = pointer.read_text().strip()
    except OSError:
        return None
    path = folder(settings) / name
    return path if path.is_file() else None
