"""The Echo Nest Taste Profile (Million Song Dataset): (user, song, play count) triplets.

Data flow:

1. The triplets file (``train_triplets.txt``, 48M rows, or the tutorial's ``10000.txt``, or any
   ``*triplets*.txt``; tab-separated, no header: user, song, count) → ``play`` events with
   ``track_id`` = the song id (``SO…``) and ``plays`` = count. Ingested as it is, streaming.
2. Song metadata found beside it, if any, fills in the tracks of those songs:
   - a CSV with ``song_id`` and ``title`` columns (``song_data.csv``: song_id, title, release,
     artist_name, year; or a merged table such as ``song_df_random10k.csv``, whose user and count
     columns are ignored) → title, album (release), artist (by name), released (year; 0 = unknown);
   - ``unique_tracks.txt`` (MSD: track_id<SEP>song_id<SEP>artist<SEP>title) → title, artist, and
     the MSD track id in ``tracks.attrs.msd_track_id``.
   Metadata is reduced to one row per song (its first line wins) and to the songs present in the
   listening data, written to a temporary Parquet file and ingested as catalogue. Quarantine
   lines of that part are rows of the reduced file; lines the reader could not parse are
   quarantined with their line in the original.

The Taste Profile has no artist ids: artists are keyed by name (``artist_id`` = the name).
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from ..errors import InputError
from ..ingest import FileReport, ReadOptions, ingest_events
from ..ingest.readers import BadRow
from ..warehouse import Warehouse
from . import DatasetReport, ingest_rewrite, on_lines, read_into_table

NAME = "msd-taste-profile"
_TRIPLETS = ReadOptions(delimiter="\t", header=False, column_names=["user_id", "song_id", "count"])
_PATTERNS = ("train_triplets.txt*", "10000.txt*", "*triplets*.txt*")


def load(wh: Warehouse, path: Path) -> DatasetReport:
    triplets = find_triplets(path)
    report = DatasetReport(NAME, str(path))
    plays = report.add("plays", ingest_events(
        wh, [triplets], options=_TRIPLETS,
        mapping={"user_id": "user_id", "track_id": "song_id", "count": "count"}).files[0])
    if plays.status == "rejected":  # metadata is kept for the songs played: wait for the plays
        return report
    metadata = find_metadata(triplets.parent)
    for meta in metadata:
        report.add("songs", load_metadata(wh, meta, report.notes))
    if not metadata:
        report.notes.append(f"No song metadata in {triplets.parent} (song_data.csv, a CSV with "
                            f"song_id and title, or unique_tracks.txt): tracks have ids only.")
    return report


def find_triplets(path: Path) -> Path:
    """The triplets file: `path` itself, or the one triplets file in the folder `path`."""
    if path.is_file():
        found = [path]
    else:
        found = sorted({f for pattern in _PATTERNS for f in path.glob(pattern) if f.is_file()})
    if not found:
        raise InputError(f"{path}: {NAME} expects a triplets file (user<TAB>song<TAB>count): "
                         f"train_triplets.txt, 10000.txt or *triplets*.txt; none is there.")
    if len(found) > 1:
        raise InputError(f"{path}: several triplets files ({', '.join(f.name for f in found)}); "
                         f"pass the one to load as PATH.")
    first = _first_line(found[0])
    if first and first.count("\t") != 2:
        raise InputError(f"{found[0]}: the first line is not user<TAB>song<TAB>count "
                         f"({first[:80]!r}); is this the triplets file?")
    return found[0]


def find_metadata(folder: Path) -> list[Path]:
    """CSV files whose header names song_id and title, and unique_tracks.txt, sorted by name."""
    out = []
    for f in sorted(folder.iterdir()):
        if not f.is_file():
            continue
        if f.name.lower().endswith((".csv", ".csv.gz")):
            header = next(csv.reader([_first_line(f)]), [])
            if {"song_id", "title"} <= {h.strip().lower() for h in header}:
                out.append(f)
        elif f.name in ("unique_tracks.txt", "unique_tracks.txt.gz"):
            out.append(f)
    return out


def _first_line(path: Path) -> str:
    with open(path, "rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
    with (gzip.open if gz else open)(path, "rt", encoding="utf-8", errors="replace") as f:
        return f.readline().rstrip("\r\n")


def load_metadata(wh: Warehouse, meta: Path, notes: list[str]) -> FileReport:
    """One song metadata file → catalogue rows for the songs already in the warehouse."""
    errors: list[BadRow] = []

    def write(tmp: Path) -> None:
        unique_tracks = meta.name.startswith("unique_tracks")
        if unique_tracks:
            _stage_unique_tracks(wh, meta, errors)
        else:
            _stage_csv(wh, meta, errors)
        msd_track_id = ", arg_min(msd_track_id, line) AS msd_track_id" if unique_tracks else ""  # → attrs
        rows, songs, matched = wh.one("""
            SELECT count(*), count(DISTINCT song_id),
                   count(DISTINCT song_id) FILTER (WHERE song_id IN (SELECT track_id FROM tracks))
            FROM msd_meta_rows""")
        wh.execute(f"""
        COPY (
            SELECT song_id AS track_id, arg_min(title, line) AS title, arg_min(album, line) AS album,
                   arg_min(artist_name, line) AS artist_name,
                   arg_min(CASE WHEN regexp_full_match(year, '[12][0-9]{{3}}') THEN year END, line) AS released
                   {msd_track_id}
            FROM msd_meta_rows
            WHERE song_id IN (SELECT track_id FROM tracks)
            GROUP BY song_id ORDER BY min(line)
        ) TO '{str(tmp).replace("'", "''")}' (FORMAT parquet)""")
        wh.execute("DROP TABLE msd_meta_rows")
        notes.append(f"{meta.name}: {rows:,} rows describe {songs:,} songs; {matched:,} of them are in "
                     f"the listening data and got their metadata (one row per song, its first).")

    return ingest_rewrite(
        wh, meta, "catalog", write, suffix=".parquet", parse_errors=errors, options=ReadOptions(),
        mapping={"track_id": "track_id", "title": "title", "album": "album",
                 "artist_name": "artist_name", "released": "released", "uri": ""})


def _stage_csv(wh: Warehouse, meta: Path, errors: list[BadRow]) -> None:
    reader = read_into_table(wh, meta, ReadOptions(), "msd_meta_raw")
    errors.extend(reader.bad_rows)
    by_lower = {c.strip().lower(): c for c in reader.columns}

    def col(*names: str) -> str:
        for n in names:
            if n in by_lower:
                return f"nullif(trim(\"{by_lower[n]}\"), '')"
        return "CAST(NULL AS VARCHAR)"

    wh.execute(f"""
    CREATE OR REPLACE TEMP TABLE msd_meta_rows AS
    SELECT line, {col('song_id')} AS song_id, {col('title')} AS title, {col('release', 'album')} AS album,
           {col('artist_name', 'artist')} AS artist_name, {col('year')} AS year
    FROM msd_meta_raw WHERE {col('song_id')} IS NOT NULL""")
    raw = "to_json(struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in reader.columns) + "))::VARCHAR"
    for line, text in wh.execute(f"SELECT line, {raw} FROM msd_meta_raw WHERE {col('song_id')} IS NULL "
                                 f"ORDER BY line").fetchall():
        errors.append(BadRow(int(line), "missing song_id", text))
    wh.execute("DROP TABLE msd_meta_raw")


def _stage_unique_tracks(wh: Warehouse, meta: Path, errors: list[BadRow]) -> None:
    on_lines(wh, meta, lambda lines: f"""
    CREATE OR REPLACE TEMP TABLE msd_meta_lines AS
    SELECT line, text, string_split(text, '<SEP>') AS f FROM {lines} WHERE trim(text) <> ''""")
    wh.execute("""
    CREATE OR REPLACE TEMP TABLE msd_meta_rows AS
    SELECT line, nullif(trim(f[2]), '') AS song_id, nullif(trim(f[4]), '') AS title,
           CAST(NULL AS VARCHAR) AS album, nullif(trim(f[3]), '') AS artist_name,
           CAST(NULL AS VARCHAR) AS year, nullif(trim(f[1]), '') AS msd_track_id
    FROM msd_meta_lines WHERE len(f) = 4 AND nullif(trim(f[2]), '') IS NOT NULL""")
    for line, n, text in wh.execute("""SELECT line, len(f), text FROM msd_meta_lines
                                       WHERE len(f) <> 4 OR nullif(trim(f[2]), '') IS NULL
                                       ORDER BY line""").fetchall():
        reason = (f"wrong number of fields: expected 4, found {n}" if n != 4 else "missing song_id")
        errors.append(BadRow(int(line), reason, text))
    wh.execute("DROP TABLE msd_meta_lines")


