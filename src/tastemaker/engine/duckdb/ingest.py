"""Ingest of one batch: validate its rows in SQL, quarantine the bad ones, load the rest.

A batch arrives as an Arrow table (text files as strings, Parquet with its own types) with a
``__line`` column and the map from canonical columns to the file's. `Columns` turns each
canonical column into a typed SQL expression; the rules (`tastemaker.engine.sql.EVENT_REASON`,
`CATALOG_REASON`) give every row its reason or none; accepted rows get dense ids for new users,
artists and tracks and are inserted. All inside the caller's transaction (one per file).
"""

from __future__ import annotations

import collections

import pyarrow as pa

from .. import sql
from ..base import BatchResult
from . import dialect
from .connection import Connection

#: the plausible window of event times when the caller gives none (`tastemaker.config.IngestParams`)
DEFAULT_WINDOW = ("2000-01-01", "9999-01-01")


class Columns:
    """SQL expressions for the canonical columns of ``raw_batch`` (alias b), by their Arrow type:
    text files arrive as strings, Parquet keeps its numbers and timestamps."""

    def __init__(self, resolved: dict[str, str], types: dict[str, pa.DataType]):
        self.resolved, self.types = resolved, types

    def _ref(self, name: str) -> tuple[str, pa.DataType] | None:
        if name not in self.resolved:
            return None
        col = self.resolved[name]
        return f"b.{dialect.ident(col)}", self.types[col]

    def text(self, name: str) -> str:
        """The value as trimmed text, NULL when absent or empty."""
        ref = self._ref(name)
        if ref is None:
            return "CAST(NULL AS VARCHAR)"
        expr, t = ref
        if pa.types.is_string(t):
            return f"nullif(trim({expr}), '')"
        return f"CAST({expr} AS VARCHAR)"

    def ident(self, name: str) -> str:
        """An id as text: trimmed, NFC-normalised, zero-width characters removed; NULL when
        absent or empty (so the NFC and NFD spellings of one name are one user)."""
        return dialect.normalise_id(self.text(name))

    def id_problem(self, names: tuple[str, ...]) -> str:
        """The first id column whose value cannot be an id (a JSON object or list, or a control
        character such as NUL inside it), as a reason; NULL when every id is fine."""
        whens, controls, raw = [], [], []
        for name in (n for n in names if n in self.resolved):
            if self.nested:
                whens.append(f"WHEN {dialect.listed('b.__nested', self.resolved[name])} THEN "
                             f"'{name} is a JSON object or list, not a single value'")
            ref, t = self._ref(name)
            if pa.types.is_string(t):       # numbers and times hold no control characters
                raw.append(f"coalesce({ref}, '')")
                controls.append(f"WHEN {dialect.has_control(ref)} THEN "
                                f"'{name} contains a control character (such as NUL)'")
        if controls:    # one scan of all the ids as they were read; the column named only if needed
            whens.append(f"WHEN {dialect.has_control(' || '.join(raw))} THEN CASE {' '.join(controls)} END")
        return f"CASE {' '.join(whens)} END" if whens else "CAST(NULL AS VARCHAR)"

    @property
    def nested(self) -> bool:
        return "__nested" in self.types

    def number(self, name: str) -> str:
        ref = self._ref(name)
        if ref is not None and (pa.types.is_integer(ref[1]) or pa.types.is_floating(ref[1])):
            return f"CAST({ref[0]} AS DOUBLE)"
        return f"TRY_CAST({self.text(name)} AS DOUBLE)"

    def timestamp(self, name: str) -> str:
        ref = self._ref(name)
        if ref is not None and (pa.types.is_timestamp(ref[1]) or pa.types.is_date(ref[1])):
            return f"CAST({ref[0]} AS TIMESTAMP)"
        return dialect.timestamp_from_text(self.text(name))


class Ingest(Connection):

    def load_event_batch(self, file_id: int, batch: pa.Table, resolved: dict[str, str],
                         columns: list[str], *, kinds: dict[str, str], default_kind: str = "play",
                         window: tuple[str, str] = DEFAULT_WINDOW) -> BatchResult:
        with self.registered("raw_batch", batch):
            c = Columns(resolved, {f.name: f.type for f in batch.schema})
            self._stage_events(c, kinds, default_kind, window)
            result = self._quarantine_staged(file_id, columns)
            self._insert_events(file_id)
            self._keep_spellings(c, file_id, {"user": "user_id", "track": "track_id", "artist": "artist_id"})
        return result

    def load_catalog_batch(self, file_id: int, batch: pa.Table, resolved: dict[str, str],
                           columns: list[str]) -> BatchResult:
        with self.registered("raw_batch", batch):
            c = Columns(resolved, {f.name: f.type for f in batch.schema})
            self._stage_catalog(c, columns)
            result = self._quarantine_staged(file_id, columns)
            self._upsert_catalog()
            self._keep_spellings(c, file_id, {"track": "track_id"})
        return result

    def _keep_spellings(self, c: Columns, file_id: int, ids: dict[str, str]) -> None:
        """Where normalising changed an accepted id (NFC, zero-width characters), keep the
        spelling as the file had it in ``id_spellings``. Only batches with non-ASCII ids pay."""
        for kind, name in ids.items():
            ref = c._ref(name)
            if ref is None or not pa.types.is_string(ref[1]):
                continue
            if not self.scalar(f"SELECT count(*) FROM raw_batch b WHERE length({ref[0]}) <> strlen({ref[0]})"):
                continue
            self.execute(f"""
            INSERT INTO id_spellings
            SELECT DISTINCT '{kind}', s.{name}, {c.text(name)}, ?
            FROM staged s JOIN raw_batch b ON b.__line = s.line
            WHERE s.reason IS NULL AND s.{name} IS NOT NULL AND {c.text(name)} <> s.{name}
              AND NOT EXISTS (SELECT 1 FROM id_spellings x
                              WHERE x.kind = '{kind}' AND x.id = s.{name} AND x.spelling = {c.text(name)})
            """, [file_id])

    def _quarantine_staged(self, file_id: int, columns: list[str]) -> BatchResult:
        n, bad = self.one("SELECT count(*), count(reason) FROM staged")
        reasons = collections.Counter()
        if bad:
            self._keep_quarantined(f"""SELECT {int(file_id)} AS file_id, s.line, s.reason, {dialect.row_json('b', columns)} AS raw
                                       FROM staged s JOIN raw_batch b ON b.__line = s.line
                                       WHERE s.reason IS NOT NULL""")
            for reason, k in self.execute(
                    "SELECT reason_kind, count(*) FROM staged WHERE reason IS NOT NULL GROUP BY 1").fetchall():
                reasons[reason] += k
        return BatchResult(int(n), int(bad), reasons)

    def _stage_events(self, c: Columns, kinds: dict[str, str], default_kind: str,
                      window: tuple[str, str]) -> None:
        self.execute(f"""
        CREATE OR REPLACE TEMP TABLE staged AS
        WITH r AS (
            SELECT b.__line AS line, {c.ident('user_id')} AS user_id,
                   {c.ident('track_id')} AS track_id, {c.ident('artist_id')} AS artist_id,
                   {c.id_problem(('user_id', 'track_id', 'artist_id'))} AS id_problem,
                   coalesce({c.text('kind')}, '{default_kind}') AS kind_raw,
                   {c.text('ts')} AS ts_raw, {c.timestamp('ts')} AS ts,
                   {c.text('count')} AS count_raw, {c.number('count')} AS count_d,
                   {c.text('ms_played')} AS ms_raw, {c.number('ms_played')} AS ms_d,
                   {c.text('rejected')} AS rejected
            FROM raw_batch b
        ), p AS (
            SELECT *, {sql.kind_case(kinds, 'kind_raw')} AS kind FROM r
        ), v AS (
            SELECT *, {sql.event_reason(*window)} AS reason FROM p
        )
        SELECT line, user_id, track_id, artist_id, kind, ts,
               CASE WHEN reason IS NULL THEN CAST(coalesce(count_d, 1) AS INTEGER) END AS plays,
               CASE WHEN reason IS NULL THEN CAST(ms_d AS BIGINT) END AS ms_played,
               reason, {sql.REASON_KIND} AS reason_kind
        FROM v
        """)

    def _new_ids(self, table: str, key: str, idx: str, source_sql: str) -> None:
        """Give dense indices to keys of `source_sql` (column k) not yet in `table`."""
        self.execute(f"""
        INSERT INTO {table} ({idx}, {key})
        SELECT (SELECT coalesce(max({idx}), -1) FROM {table}) + row_number() OVER (ORDER BY k), k
        FROM (SELECT DISTINCT k FROM ({source_sql}) WHERE k IS NOT NULL) n
        WHERE NOT EXISTS (SELECT 1 FROM {table} x WHERE x.{key} = n.k)
        """)

    def _insert_events(self, file_id: int) -> None:
        ok = "FROM staged WHERE reason IS NULL"
        self._new_ids("users", "user_id", "user_idx", f"SELECT user_id AS k {ok}")
        self._new_ids("artists", "artist_id", "artist_idx", f"SELECT artist_id AS k {ok}")
        self.execute(f"""
        INSERT INTO tracks (track_idx, track_id, artist_idx)
        SELECT (SELECT coalesce(max(track_idx), -1) FROM tracks) + row_number() OVER (ORDER BY n.k), n.k, a.artist_idx
        FROM (SELECT track_id AS k, min(artist_id) AS artist_id {ok} AND track_id IS NOT NULL GROUP BY track_id) n
        LEFT JOIN artists a ON a.artist_id = n.artist_id
        WHERE NOT EXISTS (SELECT 1 FROM tracks x WHERE x.track_id = n.k)
        """)
        self._keep_events(f"""
        SELECT {int(file_id)} AS file_id, s.line, u.user_idx, t.track_idx, coalesce(a.artist_idx, t.artist_idx) AS artist_idx, s.kind, s.ts,
               s.plays, s.ms_played
        FROM staged s
        JOIN users u ON u.user_id = s.user_id
        LEFT JOIN tracks t ON t.track_id = s.track_id
        LEFT JOIN artists a ON a.artist_id = s.artist_id
        WHERE s.reason IS NULL
        """)

    def quarantine_duplicate_events(self, file_id: int) -> int:
        span = self.one("SELECT min(ts), max(ts) FROM events WHERE file_id = ? AND ts IS NOT NULL", [file_id])
        if span[0] is None:
            return 0
        # only users of this file can have duplicates of its events: compare within them
        self.execute("""
        CREATE OR REPLACE TEMP TABLE dups AS
        SELECT file_id, line, first_file, first_line FROM (
            SELECT file_id, line,
                   first_value(file_id) OVER w AS first_file, first_value(line) OVER w AS first_line,
                   row_number() OVER w AS rn
            FROM events
            WHERE ts BETWEEN ? AND ?
              AND user_idx IN (SELECT DISTINCT user_idx FROM events WHERE file_id = ?)
            WINDOW w AS (PARTITION BY user_idx, track_idx, artist_idx, kind, ts, plays, ms_played
                         ORDER BY file_id, line)
        ) WHERE rn > 1 AND file_id = ?
        """, [span[0], span[1], file_id, file_id])
        n = self.scalar("SELECT count(*) FROM dups")
        if n:
            self.execute("""
            INSERT INTO quarantine
            SELECT d.file_id, d.line,
                   'duplicate event: same as line ' || d.first_line ||
                   CASE WHEN d.first_file = d.file_id THEN '' ELSE ' of ' || f.path END,
                   to_json(e)::VARCHAR
            FROM dups d JOIN events e ON e.file_id = d.file_id AND e.line = d.line
            LEFT JOIN ingested_files f ON f.file_id = d.first_file
            """)
            self.execute("DELETE FROM events WHERE file_id = ? AND line IN (SELECT line FROM dups)", [file_id])
        return int(n)

    def _stage_catalog(self, c: Columns, columns: list[str]) -> None:
        used = set(c.resolved.values())
        extra = {col: (f"nullif(trim(b.{dialect.ident(col)}), '')"
                       if pa.types.is_string(c.types.get(col, pa.string())) else f"b.{dialect.ident(col)}")
                 for col in columns if col not in used}
        attrs = dialect.struct_json(extra) if extra else "CAST(NULL AS VARCHAR)"
        self.execute(f"""
        CREATE OR REPLACE TEMP TABLE staged AS
        WITH r AS (
            SELECT b.__line AS line, {c.ident('track_id')} AS track_id, {c.text('title')} AS title,
                   {c.ident('artist_id')} AS artist_id_raw, {c.text('artist_name')} AS artist_name,
                   {c.id_problem(('track_id', 'artist_id'))} AS id_problem,
                   {c.text('album')} AS album, {c.text('duration_ms')} AS dur_ms_raw,
                   {c.text('duration')} AS dur_s_raw, {c.text('released')} AS released_raw,
                   {c.text('style')} AS style, {c.text('uri')} AS uri,
                   {c.text('available')} AS available_raw, {attrs} AS attrs
            FROM raw_batch b
        ), p AS (
            SELECT *, coalesce(artist_id_raw, {dialect.normalise_id('artist_name')}) AS artist_id,
                   coalesce(TRY_CAST(dur_ms_raw AS DOUBLE), TRY_CAST(dur_s_raw AS DOUBLE) * 1000) AS dur_ms,
                   CASE WHEN regexp_full_match(released_raw, '[0-9]{{4}}')
                        THEN make_date(CAST(released_raw AS INTEGER), 1, 1)
                        ELSE TRY_CAST(TRY_CAST(released_raw AS TIMESTAMP) AS DATE) END AS released,
                   TRY_CAST(available_raw AS BOOLEAN) AS available,
                   row_number() OVER (PARTITION BY track_id ORDER BY line DESC) AS rn,
                   max(line) OVER (PARTITION BY track_id) AS kept_line
            FROM r
        )
        SELECT line, track_id, title, artist_id, artist_name, album,
               CASE WHEN reason IS NULL THEN CAST(dur_ms AS BIGINT) END AS duration_ms,
               released, style, uri, available, attrs, reason,
               {sql.REASON_KIND} AS reason_kind
        FROM (SELECT *, {sql.CATALOG_REASON} AS reason FROM p)
        """)

    def _upsert_catalog(self) -> None:
        ok = "FROM staged WHERE reason IS NULL"
        self._new_ids("artists", "artist_id", "artist_idx", f"SELECT artist_id AS k {ok}")
        self.execute(f"""
        UPDATE artists SET name = s.artist_name
        FROM (SELECT artist_id, max(artist_name) AS artist_name {ok} AND artist_name IS NOT NULL GROUP BY 1) s
        WHERE artists.artist_id = s.artist_id
        """)
        self.execute("""
        UPDATE tracks SET title = coalesce(s.title, tracks.title),
            artist_idx = coalesce(a.artist_idx, tracks.artist_idx), album = coalesce(s.album, tracks.album),
            duration_ms = coalesce(s.duration_ms, tracks.duration_ms),
            released = coalesce(s.released, tracks.released), style = coalesce(s.style, tracks.style),
            uri = coalesce(s.uri, tracks.uri), available = coalesce(s.available, tracks.available),
            attrs = coalesce(s.attrs, tracks.attrs)
        FROM staged s LEFT JOIN artists a ON a.artist_id = s.artist_id
        WHERE s.reason IS NULL AND tracks.track_id = s.track_id
        """)
        self.execute("""
        INSERT INTO tracks
        SELECT (SELECT coalesce(max(track_idx), -1) FROM tracks) + row_number() OVER (ORDER BY s.line),
               s.track_id, s.title, a.artist_idx, s.album, s.duration_ms, s.released, s.style, s.uri,
               coalesce(s.available, TRUE), s.attrs
        FROM staged s LEFT JOIN artists a ON a.artist_id = s.artist_id
        WHERE s.reason IS NULL AND NOT EXISTS (SELECT 1 FROM tracks x WHERE x.track_id = s.track_id)
        """)
