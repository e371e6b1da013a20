"""Events and interactions in Spark SQL, from the definitions both engines share (`engine/sql.py`).

    >>> sums = interaction_sums(spark, events_df, tracks_df, min_play_ms=30_000)   # a DataFrame

The aggregate of raw events into one row per (user, track) — plays, short plays, saves, skips,
artist visits, dislikes — is the very SQL text DuckDB runs (`tastemaker.engine.sql.interactions`),
run by Spark SQL over the DataFrames given as the ``events`` and ``tracks`` relations.

`Events` is the engine's hooks on the Parquet events (`store`): the interactions, a week's new
plays and the tracks' play counts are computed by Spark and come back as the same NumPy columns
as the embedded engine's; the materialised interactions land in the home's DuckDB file, where the
models read them. A home whose events are in DuckDB is answered by DuckDB's hooks.
"""

from __future__ import annotations

import numpy as np

from .. import sql
from .warehouse import Warehouse

#: the columns an interactions sum carries (as `tastemaker.engine.base.Engine.interaction_sums`)
SUMS = ("user_idx", "track_idx", "plays", "short_plays", "saves", "skips", "artist_visits", "dislikes")


def interactions(spark, events, tracks, min_play_ms: int, *, until: str | None = None,
                 since: str | None = None):
    """`sql.interactions` of `events` (a DataFrame with the warehouse's events columns: user_idx,
    track_idx, artist_idx, kind, ts, plays, ms_played) in [since, until) as a DataFrame of
    `sql.INTERACTION_COLUMNS`; `tracks` gives each track's artist_idx (artist visits count for
    the artist's tracks)."""
    events.createOrReplaceTempView("events")
    tracks.createOrReplaceTempView("tracks")
    return spark.sql(sql.interactions(min_play_ms, until=until, since=since))


def interaction_sums(spark, events, tracks, min_play_ms: int, *, until: str | None = None,
                     since: str | None = None):
    """The `SUMS` columns of `interactions`."""
    return interactions(spark, events, tracks, min_play_ms, until=until, since=since).select(*SUMS)


class Events(Warehouse):

    def _events(self):
        return self._store.read("events", self.committed_files())

    def _interactions(self, min_play_ms: int, *, until=None, since=None):
        return interactions(self._store.spark, self._events(),
                            self._frame("SELECT track_idx, artist_idx FROM tracks"), min_play_ms,
                            until=sql.iso(until), since=sql.iso(since))

    def _numpy(self, frame, select: str) -> dict:
        """`select` (over the relation ``r``) of a Spark result, as DuckDB's NumPy columns."""
        with self.registered("r", self._arrow(frame)):
            return self.numpy(select)

    def interaction_sums(self, min_play_ms: int, *, until=None, since=None,
                         from_table: bool = False) -> dict[str, np.ndarray]:
        if self._store is None or from_table:
            return super().interaction_sums(min_play_ms, until=until, since=since, from_table=from_table)
        frame = self._interactions(min_play_ms, until=until, since=since).select(*SUMS)
        return self._numpy(frame, f"SELECT {', '.join(SUMS)} FROM r")

    def materialize_interactions(self, min_play_ms: int, *, force: bool = True) -> int:
        if self._store is None:
            return super().materialize_interactions(min_play_ms, force=force)
        files = self.committed_files()
        source = f"spark:{self.event_count()}:{max(files, default=0)}:{min_play_ms}"
        if force or self.scalar("SELECT value FROM meta WHERE key = 'interactions_source'") != source:
            table = self._arrow(self._interactions(min_play_ms))
            with self.transaction(), self.registered("r", table):
                self.execute("DELETE FROM interactions")
                cols = ", ".join(sql.INTERACTION_COLUMNS)
                self.execute(f"INSERT INTO interactions ({cols}) SELECT {cols} FROM r")
                self.execute("INSERT OR REPLACE INTO meta VALUES ('interactions_source', ?)", [source])
        return int(self.scalar("SELECT count(*) FROM interactions"))

    def new_plays(self, min_play_ms: int, *, since, until) -> tuple[np.ndarray, np.ndarray]:
        if self._store is None:
            return super().new_plays(min_play_ms, since=since, until=until)
        frame = self._interactions(min_play_ms, since=since, until=until).where("plays > 0")
        cols = self._numpy(frame.select("user_idx", "track_idx"), "SELECT user_idx, track_idx FROM r")
        return np.asarray(cols["user_idx"]), np.asarray(cols["track_idx"])

    def track_play_counts(self, min_play_ms: int, *, until=None, since=None
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._store is None:
            return super().track_play_counts(min_play_ms, until=until, since=since)
        self._events().createOrReplaceTempView("events")
        frame = self._store.spark.sql(sql.track_play_counts(min_play_ms, until=sql.iso(until), since=sql.iso(since)))
        cols = self._numpy(frame, "SELECT track_idx, u, p FROM r")
        return np.asarray(cols["track_idx"], np.int64), np.asarray(cols["u"]), np.asarray(cols["p"])
