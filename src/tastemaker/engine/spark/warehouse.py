"""The Spark engine's warehouse: the home's DuckDB file for what is small, Parquet for the events.

    >>> engine = SparkEngine.attach(DuckDBEngine.open(settings.warehouse_path), settings)
    >>> engine.store.root
    'file:///home/me/.tastemaker/spark/warehouse'

The tables that grow with listening — the events and the quarantine — are Parquet under
``[engine.spark] warehouse`` (`store.ParquetStore`), written and read by Spark. The rest (the
catalogue and its dense ids, the ledger of files, runs, text, audio, the weeks' lists) stays in
the home's DuckDB file, which is also the ledger that marks what the Parquet tables hold: a
file's folders are moved into place inside its ledger transaction, just before it commits.

Where a home's events live is decided once, by its first ingest, and recorded in ``meta``
(``events_store``): a home that the embedded engine filled keeps its events in DuckDB, and the
Spark engine then fits and computes on Spark over them (every event hook falls back to DuckDB's);
a home the Spark engine filled keeps them in Parquet, whatever engine later opens it. Counts and
the time span of the Parquet events are kept in ``meta`` (``events_stats``) so that status and
splits answer without starting Spark.
"""

from __future__ import annotations

import contextlib
import json

import pyarrow as pa
import pyarrow.compute as pc

from ...config import Settings
from ...errors import EngineError
from ..duckdb import DuckDBEngine
from .store import ParquetStore, resolve, warehouse_location


class Warehouse(DuckDBEngine):
    """State shared by the Spark engine's hooks: its settings, the Parquet store (None when the
    home's events are in DuckDB) and the transaction that moves staged folders into place."""

    kind = "spark"
    settings: Settings
    read_only: bool = False

    @classmethod
    def attach(cls, duck: DuckDBEngine, settings: Settings, *, read_only: bool = False):
        """The Spark engine on the connection of an open DuckDB warehouse (which it now owns)."""
        engine = cls(duck.con, duck.path)
        engine.settings, engine.read_only = settings, read_only
        engine._store = engine._open_store()
        engine._swept = False
        return engine

    # -- where the events live ------------------------------------------------------------------------
    def _open_store(self) -> ParquetStore | None:
        recorded = self.events_elsewhere()
        wanted = warehouse_location(self.settings)
        home = self.path.parent if self.path is not None else self.settings.home
        if recorded:
            if self.settings.engine.spark.warehouse.strip() and resolve(recorded, home) != resolve(wanted, home):
                raise EngineError(f"This home's events are kept at {resolve(recorded, home)}, but [engine.spark] "
                                  f"warehouse says {resolve(wanted, home)}. Set warehouse back, or leave it empty "
                                  f"to use what the home recorded.")
            return ParquetStore(self.settings, resolve(recorded, home), recorded)
        if self.settings.engine.kind == "spark" and not self.scalar("SELECT count(*) FROM events"):
            return ParquetStore(self.settings, resolve(wanted, home), wanted)
        return None         # filled by the embedded engine: its events stay in DuckDB

    @property
    def store(self) -> ParquetStore | None:
        return self._store

    @property
    def location(self) -> str:
        here = super().location
        if self._store is None:
            return here
        return f"{here} (events and quarantine as Parquet at {self._store.root})"

    def committed_files(self) -> list[int]:
        """The files the ledger holds: the only folders of the Parquet tables that are read."""
        return [int(i) for (i,) in self.execute("SELECT file_id FROM ingested_files").fetchall()]

    # -- writing --------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self):
        """DuckDB's transaction; on the Parquet store, the rows staged inside it are moved into
        place (and their counts added to ``events_stats``) just before the ledger commits, and
        dropped if anything fails."""
        if self._store is None or self._depth:
            with super().transaction():
                yield self
            return
        store = self._store
        with super().transaction():
            store.begin()
            try:
                yield self
                if store.staged_parts():
                    self._add_stats()
                    store.publish()
            except BaseException:
                with contextlib.suppress(Exception):
                    store.discard()
                raise

    def _stage(self, table: str, rows: pa.Table) -> None:
        """Stage Arrow `rows` (with a file_id column) in the open transaction."""
        if self.read_only:
            raise EngineError("The warehouse was opened read-only")
        with self.transaction():
            if not self._swept:
                self._store.sweep(set(self.committed_files()))
                self._swept = True
            if not self.events_elsewhere():
                self.execute("INSERT OR REPLACE INTO meta VALUES ('events_store', ?)", [self._store.location])
            ids = rows.column("file_id")
            for file_id in pc.unique(ids).to_pylist():
                self._store.stage(table, file_id, rows.filter(pc.equal(ids, file_id)))

    def _add_stats(self) -> None:
        """Add the staged rows' counts and span to ``events_stats`` (same transaction)."""
        from pyspark.sql import functions as F

        stats = self._events_stats()
        for table, file_id in self._store.staged_parts():
            staged = self._store.staged(table, file_id)
            if table == "quarantine":
                stats["quarantined"] += staged.count()
                continue
            row = staged.agg(F.count(F.lit(1)).alias("n"), F.count("ts").alias("timed"),
                             F.min("ts").cast("timestamp_ntz").alias("first"),
                             F.max("ts").cast("timestamp_ntz").alias("last")).collect()[0]
            stats["rows"] += row["n"]
            stats["untimed"] += row["n"] - row["timed"]
            for key, pick in (("first", min), ("last", max)):
                if row[key] is not None:
                    value = row[key].isoformat(sep=" ")
                    stats[key] = pick(stats[key], value) if stats[key] else value
        self.execute("INSERT OR REPLACE INTO meta VALUES ('events_stats', ?)", [json.dumps(stats)])

    # -- reading --------------------------------------------------------------------------------------
    def _frame(self, select: str):
        """A query of the DuckDB side as a Spark DataFrame (small tables: tracks, files)."""
        table = self.arrow(select)
        return self._store.spark.createDataFrame(table)

    def _arrow(self, frame) -> pa.Table:
        """A Spark DataFrame on the driver as Arrow, times as plain UTC (as DuckDB keeps them)."""
        from pyspark.sql import functions as F

        cols = [F.col(f.name).cast("timestamp_ntz").alias(f.name) if f.dataType.typeName() == "timestamp"
                else F.col(f.name) for f in frame.schema.fields]
        return frame.select(*cols).toArrow()
