"""The lists' feedback on the Spark engine: the events of the weeks asked about are read by Spark
from the Parquet table and handed to DuckDB's feedback queries (DuckDB's `Playlists`)."""

from __future__ import annotations

import contextlib

from .warehouse import Warehouse


class Playlists(Warehouse):

    @contextlib.contextmanager
    def _events_between(self, since, until, users: list[int] | None = None):
        if self._store is None:
            with super()._events_between(since, until, users) as relation:
                yield relation
            return
        from pyspark.sql import functions as F

        events = self._store.read("events", self.committed_files())
        events = events.where(F.col("ts").isNull() | ((F.col("ts") >= F.lit(since).cast("timestamp"))
                                                      & (F.col("ts") < F.lit(until).cast("timestamp"))))
        if users is not None:
            events = events.where(F.col("user_idx").isin([int(u) for u in users]))
        with self.registered("spark_events", self._arrow(events)):
            yield "spark_events"
