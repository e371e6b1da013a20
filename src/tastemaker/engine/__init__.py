"""The engine seam: where the warehouse's data lives and which engine runs the work on it.

    >>> engine = open_engine(settings)                  # DuckDB, HOME/warehouse.duckdb
    >>> engine.dimensions()
    (2000, 3000)

Orchestration (ingest, train, the week, evaluation, the query layer) is engine-independent and
calls the small hooks of `Engine` (`base.py`), which return NumPy arrays, Arrow tables or plain
values. Each engine is a package of the same files (``duckdb/``, ``spark/``) with the same
public names; `open_engine` chooses one. Every SQL statement of the package lives under this
folder: the text both engines run in `sql.py`, each engine's own in its package.
"""

from __future__ import annotations

import os
from pathlib import Path

from .base import Engine
from .duckdb import DuckDBEngine

__all__ = ["Engine", "DuckDBEngine", "ENGINES", "open_engine"]

#: the engines by name, as ``[engine] kind`` names them
ENGINES = ("duckdb", "spark")


def open_engine(where, *, read_only: bool = False, kind: str | None = None) -> Engine:
    """Open the warehouse of `where`: a `Settings` (its ``warehouse_path`` and ``[engine]``), a
    path, or None (in memory), with the engine `kind` (default: the settings' ``[engine] kind``).

    The Spark engine needs the settings (its session, its warehouse). A home whose events the
    Spark engine keeps (Parquet) is opened with it whatever `kind` says: only it reads them."""
    path = getattr(where, "warehouse_path", where)
    engine = DuckDBEngine.open(Path(path) if isinstance(path, (str, os.PathLike)) else path,
                               read_only=read_only)
    settings = where if hasattr(where, "engine") else None
    kind = kind or (settings.engine.kind if settings is not None else "duckdb")
    if settings is None or (kind == "duckdb" and not engine.events_elsewhere()):
        return engine
    from .spark import SparkEngine

    try:
        return SparkEngine.attach(engine, settings, read_only=read_only)
    except BaseException:
        engine.close()
        raise
