"""The engine seam: where the warehouse's data lives and which engine runs the work on it.

    >>> engine = open_engine(settings)                  # DuckDB, HOME/warehouse.duckdb
    >>> engine.dimensions()
    (2000, 3000)

Orchestration (ingest, train, the week, evaluation, the query layer) is engine-independent and
calls the small hooks of `Engine` (`base.py`), which return NumPy arrays, Arrow tables or plain
values. Each engine is a package of the same files (``duckdb/``; Spark is the next) with the same
public names; `open_engine` chooses one. Every SQL statement of the package lives under this
folder: the text both engines run in `sql.py`, each engine's own in its package.
"""

from __future__ import annotations

import os
from pathlib import Path

from .base import Engine
from .duckdb import DuckDBEngine

__all__ = ["Engine", "DuckDBEngine", "ENGINES", "open_engine"]

#: the engines by name, as ``[engine] kind`` will name them
ENGINES = {"duckdb": DuckDBEngine}


def open_engine(where, *, read_only: bool = False, kind: str = "duckdb") -> Engine:
    """Open the warehouse of `where`: a `Settings` (its ``warehouse_path``), a path, or None (in
    memory), with the engine `kind`."""
    path = getattr(where, "warehouse_path", where)
    return ENGINES[kind].open(Path(path) if isinstance(path, (str, os.PathLike)) else path,
                              read_only=read_only)
