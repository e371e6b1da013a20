"""Events and interactions: what users did, aggregated per (user, track), as NumPy columns.

A home whose events were ingested by the Spark engine keeps them as Parquet under its Spark
warehouse (``meta.events_store``, `tastemaker.engine.spark.store`); this file then holds their
counts and span (``meta.events_stats``), which these hooks answer, and refuses the reads only
Spark can do (open the home with ``--engine spark``)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from .. import sql
from .connection import Connection

_SUMS = "user_idx, track_idx, plays, short_plays, saves, skips, artist_visits, dislikes"


class Events(Connection):

    def interaction_sums(self, min_play_ms: int, *, until=None, since=None,
                         from_table: bool = False) -> dict[str, np.ndarray]:
        if not from_table:
            self._events_here("the interactions")
        source = "SELECT * FROM interactions" if from_table else sql.interactions(
            min_play_ms, until=sql.iso(until), since=sql.iso(since))
        return self.numpy(f"SELECT {_SUMS} FROM ({source})")

    def materialize_interactions(self, min_play_ms: int, *, force: bool = True) -> int:
        self._events_here("the interactions")
        n, last_file = self.one("SELECT count(*), coalesce(max(file_id), 0) FROM events")
        source = f"{n}:{last_file}:{min_play_ms}"
        if force or self.scalar("SELECT value FROM meta WHERE key = 'interactions_source'") != source:
            with self.transaction():
                self.execute("DELETE FROM interactions")
                self.execute(f"INSERT INTO interactions {sql.interactions(min_play_ms)}")
                self.execute("INSERT OR REPLACE INTO meta VALUES ('interactions_source', ?)", [source])
        return int(self.scalar("SELECT count(*) FROM interactions"))

    def new_plays(self, min_play_ms: int, *, since, until) -> tuple[np.ndarray, np.ndarray]:
        self._events_here("the plays of a week")
        cols = self.numpy(f"SELECT user_idx, track_idx FROM ({sql.interactions(min_play_ms, since=sql.iso(since), until=sql.iso(until))}) "
                          f"WHERE plays > 0")
        return np.asarray(cols["user_idx"]), np.asarray(cols["track_idx"])

    def event_span(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        if self.events_elsewhere():
            stats = self._events_stats()
            return tuple(dt.datetime.fromisoformat(stats[k]) if stats[k] else None for k in ("first", "last"))
        first, last = self.one("SELECT min(ts), max(ts) FROM events")
        return first, last

    def untimed_events(self) -> int:
        if self.events_elsewhere():
            return int(self._events_stats()["untimed"])
        return int(self.scalar("SELECT count(*) FROM events WHERE ts IS NULL"))

    def event_count(self) -> int:
        if self.events_elsewhere():
            return int(self._events_stats()["rows"])
        return int(self.scalar("SELECT count(*) FROM events"))

    def track_play_counts(self, min_play_ms: int, *, until=None, since=None
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self._events_here("the tracks' play counts")
        cols = self.numpy(sql.track_play_counts(min_play_ms, until=sql.iso(until), since=sql.iso(since)))
        return np.asarray(cols["track_idx"], np.int64), np.asarray(cols["u"]), np.asarray(cols["p"])

    def interaction_plays(self) -> tuple[np.ndarray, np.ndarray]:
        cols = self.numpy("SELECT track_idx, sum(plays) AS n FROM interactions GROUP BY 1")
        return np.asarray(cols["track_idx"], np.int64), np.asarray(cols["n"], np.int64)
