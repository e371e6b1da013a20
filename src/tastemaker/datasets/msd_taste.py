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

from ..engine import Engine
from ..errors import InputError
from ..ingest import FileReport, ReadOptions, ingest_events
from ..ingest.readers import BadRow
from . import DatasetReport, ingest_rewrite, read_table

NAME = "msd-taste-profile"
_TRIPLETS = ReadOptions(delimiter="\t", header=False, column_names=["user_id", "song_id", "count"])
_PATTERNS = ("train_triplets.txt*", "10000.txt*", "*triplets*.txt*")


def load(engine: Engine, path: Path) -> DatasetReport:
    triplets = find_triplets(path)
    report = DatasetReport(NAME, str(path))
    plays = report.add("plays", ingest_events(
        engine, [triplets], options=_TRIPLETS,
        mapping={"user_id": "user_id", "track_id": "song_id", "count": "count"}).files[0])
    if plays.status == "rejected":  # metadata is kept for the songs played: wait for the plays
        return report
    metadata = find_metadata(triplets.parent)
    for meta in metadata:
        report.add("songs", load_metadata(engine, meta, report.notes))
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


def load_metadata(engine: Engine, meta: Path, notes: list[str]) -> FileReport:
    """One song metadata file → catalogue rows for the songs already in the warehouse."""
    errors: list[BadRow] = []

    def write(tmp: Path) -> None:
        unique_tracks = meta.name.startswith("unique_tracks")
        found: list[tuple] = []
        if unique_tracks:
            engine.msd_metadata_rows(None, meta, {}, found)
        else:
            reader, table = read_table(meta, ReadOptions())
            errors.extend(reader.bad_rows)
            by_lower = {c.strip().lower(): c for c in reader.columns}
            fields = {"song_id": ("song_id",), "title": ("title",), "album": ("release", "album"),
                      "artist_name": ("artist_name", "artist"), "year": ("year",)}
            columns = {f: next((by_lower[n] for n in names if n in by_lower), None) for f, names in fields.items()}
            engine.msd_metadata_rows(table, None, columns, found)
        errors.extend(BadRow(line, reason, raw) for line, reason, raw in found)
        rows, songs, matched = engine.write_msd_metadata(tmp, with_track_id=unique_tracks)  # MSD track id → attrs
        notes.append(f"{meta.name}: {rows:,} rows describe {songs:,} songs; {matched:,} of them are in "
                     f"the listening data and got their metadata (one row per song, its first).")

    return ingest_rewrite(
        engine, meta, "catalog", write, suffix=".parquet", parse_errors=errors, options=ReadOptions(),
        mapping={"track_id": "track_id", "title": "title", "album": "album",
                 "artist_name": "artist_name", "released": "released", "uri": ""})
