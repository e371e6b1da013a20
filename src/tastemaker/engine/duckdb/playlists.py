"""The weeks' playlists: staged batch by batch under a run, swapped in whole, read back for
exports, the query layer and the feedback report."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt

import numpy as np
import pyarrow as pa

from .. import sql
from .connection import Connection
from .runs import Runs

#: columns of a playlist row as `playlist_rows` gives them
PLAYLIST_COLUMNS = ("user_id", "position", "track_id", "title", "artist", "album", "duration_ms", "uri",
                    "score", "source", "reason", "model_version")

_ROWS = """
SELECT u.user_id, p.position, t.track_id, t.title, a.name AS artist, t.album, t.duration_ms, t.uri,
       p.score, p.source, p.reason, p.model_version
FROM playlists p
JOIN users u ON u.user_idx = p.user_idx
JOIN tracks t ON t.track_idx = p.track_idx
LEFT JOIN artists a ON a.artist_idx = t.artist_idx
WHERE p.week = ? {user_filter}
ORDER BY p.user_idx, p.position
"""

_NAMED = """CASE WHEN a.name IS NULL OR a.name = t.title THEN coalesce(t.title, t.track_id)
                 ELSE a.name || ' – ' || coalesce(t.title, t.track_id) END"""

_FEEDBACK = """
WITH wk AS (
    SELECT unnest($weeks) AS week, unnest(range(len($weeks))) AS wi, unnest($mondays) AS start
),
delivered AS NOT MATERIALIZED (
    SELECT w.wi, w.start, p.user_idx, p.track_idx, p.source
    FROM playlists p JOIN wk w ON w.week = p.week
),
pairs AS (         -- the delivered tracks the user did something with, and what
    SELECT d.wi, d.user_idx, d.track_idx, any_value(d.source) AS source,
           bool_or(e.ts IS NOT NULL AND e.kind = 'play' AND NOT {short}) AS played,
           bool_or(e.ts IS NOT NULL AND e.kind = 'save') AS saved,
           bool_or(e.ts IS NOT NULL AND (e.kind IN ('skip', 'dislike') OR e.kind = 'play' AND {short})) AS skipped,
           count(*) FILTER (WHERE e.ts IS NULL) AS untimed
    FROM {events} e JOIN delivered d ON e.user_idx = d.user_idx AND e.track_idx = d.track_idx
    WHERE e.ts IS NULL OR e.ts >= $since AND e.ts < $until
                          AND e.ts >= d.start AND e.ts < d.start + INTERVAL 7 DAY
    GROUP BY d.wi, d.user_idx, d.track_idx
),
per_user AS (      -- one row per week, user and source
    SELECT wi, user_idx, source, count(*) AS tracks FROM delivered GROUP BY wi, user_idx, source
),
received AS (
    SELECT wi, user_idx, source, count_if(played) AS played, count_if(saved) AS saved,
           count_if(skipped) AS skipped, sum(untimed) AS untimed
    FROM pairs GROUP BY wi, user_idx, source
)
SELECT u.wi, u.source, count(DISTINCT u.user_idx), sum(u.tracks), sum(r.played), sum(r.saved),
       sum(r.skipped), count(DISTINCT u.user_idx) FILTER (WHERE r.played > 0), sum(r.untimed)
FROM per_user u LEFT JOIN received r USING (wi, user_idx, source)
GROUP BY GROUPING SETS ((u.wi), (u.wi, u.source))
"""


class Playlists(Runs, Connection):

    # -- writing a week ---------------------------------------------------------------------------
    def recommended_pairs(self, weeks: list[str]) -> tuple[np.ndarray, np.ndarray]:
        if not weeks:
            return np.array([], np.int32), np.array([], np.int32)
        cols = self.numpy("SELECT user_idx, track_idx FROM playlists WHERE list_contains(?, week)", [list(weeks)])
        return np.asarray(cols["user_idx"]), np.asarray(cols["track_idx"])

    def start_weekly_run(self, run) -> np.ndarray:
        existing = self.run_status(run.run_id)
        with self.transaction():
            self.execute("DELETE FROM playlist_staging WHERE week = ? AND run_id <> ?", [run.week, run.run_id])
            # an interrupted run of this week that this one does not resume will never finish
            self.execute("""UPDATE runs SET status = 'superseded', finished_at = ?
                            WHERE kind = 'weekly' AND week = ? AND status = 'running' AND run_id <> ?""",
                         [run.started_at, run.week, run.run_id])
            if existing is None or existing == "done":
                self.execute("DELETE FROM playlist_staging WHERE run_id = ?", [run.run_id])
                self._delete_run(run.run_id)
                self.write_run(run)
        done = self.numpy("SELECT DISTINCT user_idx FROM playlist_staging WHERE run_id = ?", [run.run_id])
        return np.asarray(done["user_idx"], dtype=np.int64)

    def stage_playlist_batch(self, week: str, run_id: str, model_version: str, table: pa.Table) -> None:
        with self.registered("staged_batch", table):
            self.execute("""INSERT INTO playlist_staging
                            SELECT ?, user_idx, position, track_idx, score, source, reason_track_idx, reason, ?, ?
                            FROM staged_batch""", [week, model_version, run_id])

    def finish_weekly_run(self, run) -> int:
        with self.transaction():
            self.execute("DELETE FROM playlists WHERE week = ?", [run.week])
            self.execute(f"""
            INSERT INTO playlists
            SELECT s.week, s.user_idx, s.position, s.track_idx, s.score, s.source, s.reason_track_idx,
                CASE WHEN s.reason <> '' THEN s.reason
                     WHEN s.source = 'collaborative' AND t.track_idx IS NOT NULL THEN 'because you play ' || {_NAMED}
                     WHEN s.source = 'collaborative' THEN 'listeners with your taste play it'
                     WHEN s.source = 'audio' AND t.track_idx IS NOT NULL THEN 'new; sounds like ' || {_NAMED}
                     WHEN s.source = 'audio' THEN 'new; sounds like what you play'
                     WHEN s.source = 'text' THEN 'people who write about music place it near what you play'
                     ELSE 'popular with listeners lately' END,
                s.model_version, s.run_id
            FROM playlist_staging s
            LEFT JOIN tracks t ON t.track_idx = s.reason_track_idx
            LEFT JOIN artists a ON a.artist_idx = t.artist_idx
            WHERE s.run_id = ?
            """, [run.run_id])
            self.execute("DELETE FROM playlist_staging WHERE run_id = ?", [run.run_id])
            started = self.scalar("SELECT started_at FROM runs WHERE run_id = ?", [run.run_id])
            self.write_run(dataclasses.replace(run, started_at=started or run.started_at))  # a resumed run keeps its start
        return int(self.scalar("SELECT count(*) FROM playlists WHERE week = ?", [run.week]))

    # -- reading the weeks ------------------------------------------------------------------------
    def playlist_weeks(self) -> list[str]:
        return [w for (w,) in self.execute("SELECT DISTINCT week FROM playlists ORDER BY 1").fetchall()]

    def user_weeks(self, user_idx: int) -> list[str]:
        return [w for (w,) in self.execute("SELECT DISTINCT week FROM playlists WHERE user_idx = ? ORDER BY 1",
                                           [int(user_idx)]).fetchall()]

    def playlist_rows(self, week: str, users: list[str] | None = None, *, batch: int = 100_000):
        if users is not None and len(users) == 1:
            yield from self._one_users_rows(week, users[0])
            return
        flt = "AND u.user_id IN (SELECT unnest(?))" if users else ""
        cur = self.con.cursor()
        try:
            res = cur.execute(_ROWS.format(user_filter=flt), [week, users] if users else [week])
            while chunk := res.fetchmany(batch):
                yield from chunk
        finally:
            cur.close()

    def _one_users_rows(self, week: str, user_id: str):
        """One user's rows without joining whole tables: the week's rows of that user_idx (the
        table's min/max per row group skip the rest), then their tracks by index. The answer of
        a lookup by the service, in milliseconds at any size."""
        idx = self.user_index(user_id)
        if idx is None:
            return
        rows = self.execute("""SELECT position, track_idx, score, source, reason, model_version FROM playlists
                               WHERE week = ? AND user_idx = ? ORDER BY position""", [week, int(idx)]).fetchall()
        if not rows:
            return
        info = {r[0]: r[1:] for r in self.execute(
            """SELECT t.track_idx, t.track_id, t.title, a.name, t.album, t.duration_ms, t.uri
               FROM tracks t LEFT JOIN artists a ON a.artist_idx = t.artist_idx
               WHERE t.track_idx IN (SELECT unnest(?))""", [[r[1] for r in rows]]).fetchall()}
        for position, track_idx, score, source, reason, version in rows:
            track_id, title, artist, album, duration_ms, uri = info[track_idx]
            yield (user_id, position, track_id, title, artist, album, duration_ms, uri, score, source, reason,
                   version)

    def playlist_columns(self, week: str) -> dict:
        sources = [v for (v,) in self.execute(
            "SELECT DISTINCT source FROM playlists WHERE week = ? ORDER BY 1", [week]).fetchall()]
        reasons = [v for (v,) in self.execute(
            "SELECT DISTINCT reason FROM playlists WHERE week = ? ORDER BY 1", [week]).fetchall()]
        cols = self.numpy("""
            WITH s AS (SELECT unnest(?) AS source, CAST(generate_subscripts(?, 1) - 1 AS INTEGER) AS code),
                 r AS (SELECT unnest(?) AS reason, CAST(generate_subscripts(?, 1) - 1 AS INTEGER) AS code)
            SELECT p.user_idx, p.position, p.track_idx, coalesce(p.score, 'NaN'::FLOAT) AS score,
                   s.code AS source, r.code AS reason
            FROM playlists p JOIN s USING (source) JOIN r USING (reason)
            WHERE p.week = ? ORDER BY p.user_idx, p.position""", [sources, sources, reasons, reasons, week])
        out = {name: np.asarray(cols[name], dtype) for name, dtype in (
            ("user_idx", np.int32), ("position", np.int16), ("track_idx", np.int32), ("score", np.float32),
            ("source", np.int32), ("reason", np.int32))}
        out["sources"], out["reasons"] = sources, reasons
        return out

    def playlist_source_counts(self, week: str) -> dict[str, int]:
        return dict(self.execute("SELECT source, count(*) FROM playlists WHERE week = ? GROUP BY 1 "
                                 "ORDER BY 2 DESC", [week]).fetchall())

    def listed_users(self, week: str, limit: int, prefix: str = "") -> list[str]:
        return [u for (u,) in self.execute(
            """SELECT DISTINCT u.user_id FROM playlists p JOIN users u USING (user_idx)
               WHERE p.week = ? AND starts_with(u.user_id, ?) ORDER BY 1 LIMIT ?""",
            [week, prefix, int(limit)]).fetchall()]

    def first_listed_user(self, week: str, source: str) -> str | None:
        return self.scalar("""SELECT u.user_id FROM playlists p JOIN users u USING (user_idx)
                              WHERE week = ? AND source = ? ORDER BY p.user_idx LIMIT 1""", [week, source])

    def playlist_run(self, week: str) -> dict | None:
        row = self.one("""SELECT r.run_id, r.started_at, r.finished_at, r.model_version, r.params
                          FROM runs r WHERE r.kind = 'weekly' AND r.week = ? AND r.status = 'done'
                          ORDER BY r.finished_at DESC LIMIT 1""", [week])
        if row is None:
            return None
        return dict(zip(("run_id", "started_at", "finished_at", "model_version", "params"), row))

    def list_feedback(self, week: str, user_idx: int, monday, min_play_ms: int) -> list[tuple]:
        short = sql.short_play(min_play_ms)
        with self._events_between(monday, monday + dt.timedelta(weeks=1), users=[int(user_idx)]) as events:
            return self.execute(f"""
                SELECT p.position, any_value(t.track_id), any_value(t.title), any_value(a.name), p.source,
                       coalesce(sum(e.plays) FILTER (WHERE e.kind = 'play' AND NOT {short}), 0),
                       coalesce(bool_or(e.kind = 'save'), false),
                       coalesce(bool_or(e.kind = 'skip' OR e.kind = 'play' AND {short}), false),
                       coalesce(bool_or(e.kind = 'dislike'), false)
                FROM playlists p
                JOIN tracks t ON t.track_idx = p.track_idx
                LEFT JOIN artists a ON a.artist_idx = t.artist_idx
                LEFT JOIN {events} e ON e.user_idx = p.user_idx AND e.track_idx = p.track_idx
                                  AND e.ts >= $monday AND e.ts < $monday + INTERVAL 7 DAY
                WHERE p.week = $week AND p.user_idx = $user
                GROUP BY p.position, p.track_idx, p.source ORDER BY p.position""",
                {"week": week, "user": int(user_idx), "monday": monday}).fetchall()

    def feedback_counts(self, weeks: list[str], mondays: list, min_play_ms: int) -> list[tuple]:
        since, until = min(mondays), max(mondays) + dt.timedelta(weeks=1)
        with self._events_between(since, until) as events:
            return self.execute(_FEEDBACK.format(short=sql.short_play(min_play_ms), events=events), {
                "weeks": list(weeks), "mondays": list(mondays), "since": since, "until": until}).fetchall()

    @contextlib.contextmanager
    def _events_between(self, since, until, users: list[int] | None = None):
        """The relation the feedback reads events from (those of `users` from `since` to
        `until` and the untimed ones, at least): here the events table itself."""
        self._events_here("the feedback on the lists")
        yield "events"
