"""Events and interactions: what users did, aggregated per (user, track), as NumPy columns."""

from __future__ import annotations

import datetime as dt

import numpy as np

from .. import sql
from .connection import Connection

_SUMS = "user_idx, track_idx, plays, short_plays, saves, skips, artist_visits, dislikes"


def _iso(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.strftime("%Y-%m-%d %H:%M:%S")


class Events(Connection):

    def interaction_sums(self, min_play_ms: int, *, until=None, since=None,
                         from_table: bool = False) -> dict[str, np.ndarray]:
        source = "SELECT * FROM interactions" if from_table else sql.interactions(
            min_play_ms, until=_iso(until), since=_iso(since))
        return self.numpy(f"SELECT {_SUMS} FROM ({source})")

    def materialize_interactions(self, min_play_ms: int, *, force: bool = True) -> int:
        n, last_file = self.one("SELECT count(*), coalesce(max(file_id), 0) FROM events")
        source = f"{n}:{last_file}:{min_play_ms}"
        if force or self.scalar("SELECT value FROM meta WHERE key = 'interactions_source'") != source:
            with self.transaction():
                self.execute("DELETE FROM interactions")
                self.execute(f"INSERT INTO interactions {sql.interactions(min_play_ms)}")
                self.execute("INSERT OR REPLACE INTO meta VALUES ('interactions_source', ?)", [source])
        return int(self.scalar("SELECT count(*) FROM interactions"))

    def new_plays(self, min_play_ms: int, *, since, until) -> tuple[np.ndarray, np.ndarray]:
        cols = self.numpy(f"SELECT user_idx, track_idx FROM ({sql.interactions(min_play_ms, since=_iso(since), until=_iso(until))}) "
                          f"WHERE plays > 0")
        return np.asarray(cols["user_idx"]), np.asarray(cols["track_idx"])

    def event_span(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        first, last = self.one("SELECT min(ts), max(ts) FROM events")
        return first, last

    def untimed_events(self) -> int:
        return int(self.scalar("SELECT count(*) FROM events WHERE ts IS NULL"))

    def event_count(self) -> int:
        return int(self.scalar("SELECT count(*) FROM events"))

    def track_play_counts(self, min_play_ms: int, *, until=None, since=None
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        where = ["track_idx IS NOT NULL", "kind = 'play'", f"(ms_played IS NULL OR ms_played >= {int(min_play_ms)})",
                 sql.time_window(until=_iso(until), since=_iso(since))]
        cols = self.numpy(f"SELECT track_idx, count(DISTINCT user_idx) AS u, sum(plays) AS p FROM events "
                          f"WHERE {' AND '.join(where)} GROUP BY 1")
        return np.asarray(cols["track_idx"], np.int64), np.asarray(cols["u"]), np.asarray(cols["p"])

    def interaction_plays(self) -> tuple[np.ndarray, np.ndarray]:
        cols = self.numpy("SELECT track_idx, sum(plays) AS n FROM interactions GROUP BY 1")
        return np.asarray(cols["track_idx"], np.int64), np.asarray(cols["n"], np.int64)
