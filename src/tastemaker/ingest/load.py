"""Validate staged batches in SQL and load them into the warehouse, one transaction per file.

Every row read ends either in its table or in ``quarantine`` with the file, line and reason; a
file that cannot be read at all ends in ``rejected_files``. Nothing of a file is kept unless all of
it is (a crash or Ctrl-C rolls the file back; the next run ingests it again).
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from ..errors import InputError
from ..progress import progress
from ..warehouse import Warehouse
from .columns import CATALOG_COLUMNS, EVENT_COLUMNS, KIND_ALIASES, resolve_columns
from .readers import FileReader, ReadOptions


@dataclass
class FileReport:
    path: str
    status: str                      # ingested | skipped | rejected
    rows_read: int = 0
    accepted: int = 0
    quarantined: int = 0
    blank_lines: int = 0
    reasons: collections.Counter = field(default_factory=collections.Counter)
    message: str = ""


@dataclass
class IngestReport:
    target: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    @property
    def reasons(self) -> collections.Counter:
        total = collections.Counter()
        for f in self.files:
            total.update(f.reasons)
        return total

    @property
    def rejected_files(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "rejected"]


def sha256_of(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def ingest_file(wh: Warehouse, path: Path, target: str, *, mapping: dict[str, str],
                options: ReadOptions, default_kind: str = "play", dedupe: bool = True) -> FileReport:
    """Ingest one file into `target` ("events" or "catalog"); never raises for bad input."""
    path = Path(path)
    report = FileReport(str(path), "ingested")
    sha = None
    try:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if path.is_dir():
            raise InputError(f"{path}: is a folder, not a file")
        if path.stat().st_size == 0:
            raise InputError(f"{path}: empty file (0 bytes)")
        sha = sha256_of(path)
        earlier = wh.one("SELECT path FROM ingested_files WHERE sha256 = ? AND target = ?",
                         [sha, target])
        if earlier:
            report.status, report.message = "skipped", f"same content already ingested from {earlier[0]}"
            return report
        with wh.transaction():
            _load(wh, path, sha, target, mapping, options, default_kind, dedupe, report)
    except InputError as exc:
        _reject(wh, report, path, sha, target, str(exc))
    except duckdb.Error as exc:
        _reject(wh, report, path, sha, target, f"{path}: {exc}")
    return report


def _reject(wh, report, path, sha, target, reason):
    report.status, report.message = "rejected", reason
    report.rows_read = report.accepted = report.quarantined = 0
    report.reasons.clear()
    wh.execute("INSERT INTO rejected_files VALUES (?, ?, ?, ?, ?)",
               [str(path), sha, target, reason, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)])


def _load(wh, path, sha, target, mapping, options, default_kind, dedupe, report):
    con = wh.con
    con.execute("SET TimeZone = 'UTC'")
    file_id = int(wh.scalar("SELECT coalesce(max(file_id), 0) + 1 FROM ingested_files"))
    reader = FileReader(path, options)
    spec = EVENT_COLUMNS if target == "events" else CATALOG_COLUMNS
    required = [("user_id",), ("track_id", "artist_id")] if target == "events" else [("track_id",)]
    resolved = None
    with progress(f"Ingesting {path.name}", total=reader.size) as step:
        for batch in reader.batches():
            if resolved is None:
                resolved = resolve_columns(reader.columns, spec, mapping, path=path, required=required)
            cols = _register(con, batch, reader.columns, resolved)
            if target == "events":
                _stage_events(con, cols, default_kind)
            else:
                _stage_catalog(con, cols, reader.columns)
            n, bad = con.execute(
                "SELECT count(*), count(reason) FROM staged").fetchall()[0]
            report.rows_read += n
            if bad:
                con.execute(f"""INSERT INTO quarantine SELECT ?, s.line, s.reason, {_raw_json(reader.columns)}
                               FROM staged s JOIN raw_batch b ON b.__line = s.line
                               WHERE s.reason IS NOT NULL""", [file_id])
                for reason, k in con.execute(
                        "SELECT reason_kind, count(*) FROM staged WHERE reason IS NOT NULL GROUP BY 1").fetchall():
                    report.reasons[reason] += k
            if target == "events":
                _insert_events(con, file_id)
            else:
                _upsert_catalog(con)
            report.accepted += n - bad
            report.quarantined += bad
            step.update(completed=reader.bytes_read())
    if resolved is None and not reader.bad_rows:
        # a header with no rows, or nothing at all: resolve to report missing columns anyway
        resolve_columns(reader.columns, spec, mapping, path=path, required=required)
    for bad in reader.bad_rows:
        con.execute("INSERT INTO quarantine VALUES (?, ?, ?, ?)", [file_id, bad.line, bad.reason, bad.raw])
        report.reasons[_reason_kind(bad.reason)] += 1
    report.rows_read += len(reader.bad_rows)
    report.quarantined += len(reader.bad_rows)
    report.blank_lines = reader.blank_lines
    if target == "events" and dedupe and report.accepted:
        dups = _quarantine_duplicates(con, file_id)
        if dups:
            report.reasons["duplicate event"] += dups
            report.accepted -= dups
            report.quarantined += dups
    con.execute("INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [file_id, str(path), sha, target, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                 report.rows_read, report.accepted, report.quarantined])
    if resolved is not None:
        con.unregister("raw_batch")


def _reason_kind(reason: str) -> str:
    """The reason without the offending value, for counting (\"bad timestamp 'x'\" → \"bad timestamp\")."""
    return reason.split(":")[0].split(" '")[0]


def _register(con, batch: pa.RecordBatch, columns: list[str], resolved: dict[str, str]) -> "Columns":
    names = batch.schema.names
    missing = [c for c in columns if c not in names]
    if missing:  # JSON lines may add keys in later batches; earlier batches lack them
        batch = pa.RecordBatch.from_arrays(
            list(batch.columns) + [pa.nulls(batch.num_rows, pa.string()) for _ in missing],
            names=list(names) + missing)
    con.register("raw_batch", pa.Table.from_batches([batch]))
    return Columns(resolved, {f.name: f.type for f in batch.schema})


def _raw_json(columns: list[str]) -> str:
    """SQL for the row as read (all its columns), as a JSON object."""
    fields = ", ".join(f"\"{c.replace(chr(34), '')}\" := b.\"{c.replace(chr(34), chr(34) * 2)}\"" for c in columns)
    return f"to_json(struct_pack({fields}))::VARCHAR"


#: text → timestamp: ISO 8601 (an offset is converted to UTC), or Unix seconds / milliseconds
_TS = """coalesce(TRY_CAST(TRY_CAST({x} AS TIMESTAMPTZ) AS TIMESTAMP),
    CASE WHEN TRY_CAST({x} AS DOUBLE) >= 1e11 THEN make_timestamp(CAST(TRY_CAST({x} AS DOUBLE) * 1000 AS BIGINT))
         WHEN TRY_CAST({x} AS DOUBLE) >= 1e8 THEN make_timestamp(CAST(TRY_CAST({x} AS DOUBLE) * 1000000 AS BIGINT))
    END)"""


class Columns:
    """SQL expressions for the canonical columns of ``raw_batch`` (alias b), by their Arrow type:
    text files arrive as strings, Parquet keeps its numbers and timestamps."""

    def __init__(self, resolved: dict[str, str], types: dict[str, pa.DataType]):
        self.resolved, self.types = resolved, types

    def _ref(self, name: str) -> tuple[str, pa.DataType] | None:
        if name not in self.resolved:
            return None
        col = self.resolved[name]
        return f'b."{col.replace(chr(34), chr(34) * 2)}"', self.types[col]

    def text(self, name: str) -> str:
        """The value as trimmed text, NULL when absent or empty."""
        ref = self._ref(name)
        if ref is None:
            return "CAST(NULL AS VARCHAR)"
        expr, t = ref
        if pa.types.is_string(t):
            return f"nullif(trim({expr}), '')"
        return f"CAST({expr} AS VARCHAR)"

    def number(self, name: str) -> str:
        ref = self._ref(name)
        if ref is not None and (pa.types.is_integer(ref[1]) or pa.types.is_floating(ref[1])):
            return f"CAST({ref[0]} AS DOUBLE)"
        return f"TRY_CAST({self.text(name)} AS DOUBLE)"

    def timestamp(self, name: str) -> str:
        ref = self._ref(name)
        if ref is not None and (pa.types.is_timestamp(ref[1]) or pa.types.is_date(ref[1])):
            return f"CAST({ref[0]} AS TIMESTAMP)"
        return _TS.format(x=self.text(name))


def _stage_events(con, c: Columns, default_kind) -> None:
    kinds = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in KIND_ALIASES.items())
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE staged AS
    WITH r AS (
        SELECT b.__line AS line, {c.text('user_id')} AS user_id,
               {c.text('track_id')} AS track_id, {c.text('artist_id')} AS artist_id,
               coalesce({c.text('kind')}, '{default_kind}') AS kind_raw,
               {c.text('ts')} AS ts_raw, {c.timestamp('ts')} AS ts,
               {c.text('count')} AS count_raw, {c.number('count')} AS count_d,
               {c.text('ms_played')} AS ms_raw, {c.number('ms_played')} AS ms_d
        FROM raw_batch b
    ), p AS (
        SELECT *, CASE lower(kind_raw) {kinds} END AS kind
        FROM r
    ), v AS (
        SELECT *, CASE
            WHEN user_id IS NULL THEN 'missing user_id'
            WHEN track_id IS NULL AND artist_id IS NULL THEN 'missing track_id'
            WHEN kind IS NULL THEN 'unknown event kind ''' || kind_raw || ''' (expected play, save, skip or artist_visit)'
            WHEN track_id IS NULL AND kind <> 'artist_visit' THEN 'missing track_id: a ' || kind || ' needs a track'
            WHEN ts_raw IS NOT NULL AND ts IS NULL THEN 'bad timestamp ''' || ts_raw || ''''
            WHEN count_raw IS NOT NULL AND count_d IS NULL THEN 'count is not a number: ''' || count_raw || ''''
            WHEN count_d < 0 THEN 'negative count: ' || count_raw
            WHEN count_d <> floor(count_d) THEN 'count is not a whole number: ' || count_raw
            WHEN count_d = 0 THEN 'zero count: nothing happened'
            WHEN count_d > 2147483647 THEN 'count too large: ' || count_raw
            WHEN ms_raw IS NOT NULL AND ms_d IS NULL THEN 'ms_played is not a number: ''' || ms_raw || ''''
            WHEN ms_d < 0 THEN 'negative ms_played: ' || ms_raw
            END AS reason
        FROM p
    )
    SELECT line, user_id, track_id, artist_id, kind, ts,
           CAST(coalesce(count_d, 1) AS INTEGER) AS plays, CAST(ms_d AS BIGINT) AS ms_played,
           reason, CASE WHEN reason IS NULL THEN NULL ELSE split_part(split_part(reason, ':', 1), ' ''', 1) END AS reason_kind
    FROM v
    """)


def _new_ids(con, table: str, key: str, idx: str, source_sql: str) -> None:
    """Give dense indices to keys of `source_sql` (column k) not yet in `table`."""
    con.execute(f"""
    INSERT INTO {table} ({idx}, {key})
    SELECT (SELECT coalesce(max({idx}), -1) FROM {table}) + row_number() OVER (ORDER BY k), k
    FROM (SELECT DISTINCT k FROM ({source_sql}) WHERE k IS NOT NULL) n
    WHERE NOT EXISTS (SELECT 1 FROM {table} x WHERE x.{key} = n.k)
    """)


def _insert_events(con, file_id: int) -> None:
    ok = "FROM staged WHERE reason IS NULL"
    _new_ids(con, "users", "user_id", "user_idx", f"SELECT user_id AS k {ok}")
    _new_ids(con, "artists", "artist_id", "artist_idx", f"SELECT artist_id AS k {ok}")
    con.execute(f"""
    INSERT INTO tracks (track_idx, track_id, artist_idx)
    SELECT (SELECT coalesce(max(track_idx), -1) FROM tracks) + row_number() OVER (ORDER BY n.k), n.k, a.artist_idx
    FROM (SELECT track_id AS k, min(artist_id) AS artist_id {ok} AND track_id IS NOT NULL GROUP BY track_id) n
    LEFT JOIN artists a ON a.artist_id = n.artist_id
    WHERE NOT EXISTS (SELECT 1 FROM tracks x WHERE x.track_id = n.k)
    """)
    con.execute(f"""
    INSERT INTO events
    SELECT {file_id}, s.line, u.user_idx, t.track_idx, coalesce(a.artist_idx, t.artist_idx), s.kind, s.ts,
           s.plays, s.ms_played
    FROM staged s
    JOIN users u ON u.user_id = s.user_id
    LEFT JOIN tracks t ON t.track_id = s.track_id
    LEFT JOIN artists a ON a.artist_id = s.artist_id
    WHERE s.reason IS NULL
    """)


def _quarantine_duplicates(con, file_id: int) -> int:
    """Timestamped events of this file that repeat an earlier one (same user, track, artist,
    kind, time, count, duration) move to quarantine. Returns how many."""
    span = con.execute("SELECT min(ts), max(ts) FROM events WHERE file_id = ? AND ts IS NOT NULL",
                       [file_id]).fetchall()[0]
    if span[0] is None:
        return 0
    # only users of this file can have duplicates of its events: compare within them
    con.execute("""
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
    n = con.execute("SELECT count(*) FROM dups").fetchall()[0][0]
    if n:
        con.execute("""
        INSERT INTO quarantine
        SELECT d.file_id, d.line,
               'duplicate event: same as line ' || d.first_line ||
               CASE WHEN d.first_file = d.file_id THEN '' ELSE ' of ' || f.path END,
               to_json(e)::VARCHAR
        FROM dups d JOIN events e ON e.file_id = d.file_id AND e.line = d.line
        LEFT JOIN ingested_files f ON f.file_id = d.first_file
        """)
        con.execute("DELETE FROM events WHERE file_id = ? AND line IN (SELECT line FROM dups)", [file_id])
    return int(n)


def _stage_catalog(con, c: Columns, columns) -> None:
    used = set(c.resolved.values())
    extra = [col for col in columns if col not in used]
    fields = []
    for col in extra:
        ref = f'b."{col.replace(chr(34), chr(34) * 2)}"'
        value = f"nullif(trim({ref}), '')" if pa.types.is_string(c.types.get(col, pa.string())) else ref
        fields.append(f'"{col.replace(chr(34), "")}" := {value}')
    attrs = f"to_json(struct_pack({', '.join(fields)}))::VARCHAR" if extra else "CAST(NULL AS VARCHAR)"
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE staged AS
    WITH r AS (
        SELECT b.__line AS line, {c.text('track_id')} AS track_id, {c.text('title')} AS title,
               {c.text('artist_id')} AS artist_id_raw, {c.text('artist_name')} AS artist_name,
               {c.text('album')} AS album, {c.text('duration_ms')} AS dur_ms_raw,
               {c.text('duration')} AS dur_s_raw, {c.text('released')} AS released_raw,
               {c.text('style')} AS style, {c.text('uri')} AS uri,
               {c.text('available')} AS available_raw, {attrs} AS attrs
        FROM raw_batch b
    ), p AS (
        SELECT *, coalesce(artist_id_raw, artist_name) AS artist_id,
               coalesce(TRY_CAST(dur_ms_raw AS DOUBLE), TRY_CAST(dur_s_raw AS DOUBLE) * 1000) AS dur_ms,
               CASE WHEN regexp_full_match(released_raw, '[0-9]{{4}}')
                    THEN make_date(CAST(released_raw AS INTEGER), 1, 1)
                    ELSE TRY_CAST(TRY_CAST(released_raw AS TIMESTAMP) AS DATE) END AS released,
               TRY_CAST(available_raw AS BOOLEAN) AS available,
               row_number() OVER (PARTITION BY track_id ORDER BY line DESC) AS rn,
               max(line) OVER (PARTITION BY track_id) AS kept_line
        FROM r
    )
    SELECT line, track_id, title, artist_id, artist_name, album, CAST(dur_ms AS BIGINT) AS duration_ms,
           released, style, uri, coalesce(available, TRUE) AS available, attrs, reason,
           CASE WHEN reason IS NULL THEN NULL ELSE split_part(split_part(reason, ':', 1), ' ''', 1) END AS reason_kind
    FROM (SELECT *, CASE
            WHEN track_id IS NULL THEN 'missing track_id'
            WHEN (dur_ms_raw IS NOT NULL OR dur_s_raw IS NOT NULL) AND dur_ms IS NULL
                THEN 'duration is not a number: ''' || coalesce(dur_ms_raw, dur_s_raw) || ''''
            WHEN dur_ms < 0 THEN 'negative duration: ' || coalesce(dur_ms_raw, dur_s_raw)
            WHEN released_raw IS NOT NULL AND released IS NULL THEN 'bad release date ''' || released_raw || ''''
            WHEN available_raw IS NOT NULL AND available IS NULL THEN 'available is not true/false: ''' || available_raw || ''''
            WHEN rn > 1 THEN 'repeated track_id: line ' || kept_line || ' of this file is kept'
          END AS reason FROM p)
    """)


def _upsert_catalog(con) -> None:
    ok = "FROM staged WHERE reason IS NULL"
    _new_ids(con, "artists", "artist_id", "artist_idx", f"SELECT artist_id AS k {ok}")
    con.execute(f"""
    UPDATE artists SET name = s.artist_name
    FROM (SELECT artist_id, max(artist_name) AS artist_name {ok} AND artist_name IS NOT NULL GROUP BY 1) s
    WHERE artists.artist_id = s.artist_id
    """)
    con.execute(f"""
    UPDATE tracks SET title = coalesce(s.title, tracks.title),
        artist_idx = coalesce(a.artist_idx, tracks.artist_idx), album = coalesce(s.album, tracks.album),
        duration_ms = coalesce(s.duration_ms, tracks.duration_ms),
        released = coalesce(s.released, tracks.released), style = coalesce(s.style, tracks.style),
        uri = coalesce(s.uri, tracks.uri), available = s.available,
        attrs = coalesce(s.attrs, tracks.attrs)
    FROM staged s LEFT JOIN artists a ON a.artist_id = s.artist_id
    WHERE s.reason IS NULL AND tracks.track_id = s.track_id
    """)
    con.execute(f"""
    INSERT INTO tracks
    SELECT (SELECT coalesce(max(track_idx), -1) FROM tracks) + row_number() OVER (ORDER BY s.line),
           s.track_id, s.title, a.artist_idx, s.album, s.duration_ms, s.released, s.style, s.uri,
           s.available, s.attrs
    FROM staged s LEFT JOIN artists a ON a.artist_id = s.artist_id
    WHERE s.reason IS NULL AND NOT EXISTS (SELECT 1 FROM tracks x WHERE x.track_id = s.track_id)
    """)
