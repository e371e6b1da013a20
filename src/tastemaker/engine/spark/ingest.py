"""Ingest on the Spark engine: the embedded engine's rules, the rows kept as Parquet by Spark.

A file is read in Arrow batches by the same readers (`tastemaker.ingest`), and each batch is
validated by the same SQL (`tastemaker.engine.sql.EVENT_REASON` and its columns) on the driver,
where the new users, artists and tracks get their dense ids in the home's ledger; the accepted
events and the quarantined rows are then staged by Spark as Parquet and moved into place with the
file's ledger commit (`store`). Duplicates of earlier events are found by Spark over the whole
Parquet table (a window over the events of the file's users in its time span) and moved from the
file's staged events to its quarantine before the commit.
"""

from __future__ import annotations

from .warehouse import Warehouse

#: the columns of an event that make two events the same
_SAME = ("user_idx", "track_idx", "artist_idx", "kind", "ts", "plays", "ms_played")


class Ingest(Warehouse):

    def _keep_events(self, select: str) -> None:
        if self._store is None:
            return super()._keep_events(select)
        self._stage("events", self.arrow(select))

    def _keep_quarantined(self, select: str) -> None:
        if self._store is None:
            return super()._keep_quarantined(select)
        self._stage("quarantine", self.arrow(select))

    def quarantine_duplicate_events(self, file_id: int) -> int:
        if self._store is None:
            return super().quarantine_duplicate_events(file_id)
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        store, file_id = self._store, int(file_id)
        new = store.staged("events", file_id).withColumn("file_id", F.lit(file_id))
        span = new.where("ts IS NOT NULL").agg(F.min("ts").alias("a"), F.max("ts").alias("b")).collect()[0]
        if span["a"] is None:
            return 0
        # only this file's users can repeat its events, only within its span
        earlier = (store.read("events", self.committed_files())
                   .where(F.col("ts").between(span["a"], span["b"]))
                   .join(new.select("user_idx").distinct(), "user_idx", "left_semi"))
        together = earlier.unionByName(new.select(*earlier.columns)).where(
            F.col("ts").between(span["a"], span["b"]))
        w = Window.partitionBy(*_SAME).orderBy("file_id", "line")
        dups = (together
                .withColumn("first_file", F.first("file_id").over(w))
                .withColumn("first_line", F.first("line").over(w))
                .withColumn("rn", F.row_number().over(w))
                .where((F.col("rn") > 1) & (F.col("file_id") == file_id))
                .drop("rn")).cache()
        try:
            n = dups.count()
            if n:
                paths = self._frame("SELECT file_id AS first_file, path FROM ingested_files")
                same_file = F.col("first_file") == F.lit(file_id)
                reason = F.concat(F.lit("duplicate event: same as line "), F.col("first_line").cast("string"),
                                  F.when(same_file, F.lit("")).otherwise(F.concat(F.lit(" of "), F.col("path"))))
                event = F.to_json(F.struct(F.col("file_id"), F.col("line"), *[F.col(c) for c in _SAME]))
                quarantined = (dups.join(paths, "first_file", "left")
                               .select("line", reason.alias("reason"), event.alias("raw")))
                store.append_staged("quarantine", file_id, quarantined)
                kept = store.staged("events", file_id).join(dups.select("line"), "line", "left_anti")
                store.restage("events", file_id, kept)
        finally:
            dups.unpersist()
        return int(n)
