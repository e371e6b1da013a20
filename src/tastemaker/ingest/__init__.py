"""Ingest: listening events and catalogue files into the warehouse.

    >>> report = ingest_events(engine, ["plays.csv.gz"], mapping={"user_id": "listener"})
    >>> report.rows_read == report.accepted + report.quarantined
    True

Formats: CSV/TSV (any delimiter), JSON Lines, Parquet; gzip allowed. Files stream in batches
(a 30M-row file never becomes 30M Python objects). Each file is one transaction; a file whose
content was already ingested is skipped; rejected rows go to ``quarantine`` with file, line and
reason; unreadable files go to ``rejected_files``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..config import IngestParams
from ..engine import Engine
from ..errors import ParameterError
from .columns import CATALOG_COLUMNS, EVENT_COLUMNS, KIND_ALIASES, parse_mapping
from .ledger import FileReport, IngestReport
from .load import ingest_file
from .readers import ReadOptions

__all__ = ["ingest_events", "ingest_catalog", "expand_paths", "IngestReport", "FileReport",
           "ReadOptions", "parse_mapping", "EVENT_COLUMNS", "CATALOG_COLUMNS"]

_SUFFIXES = {".csv", ".tsv", ".txt", ".dat", ".jsonl", ".ndjson", ".json", ".parquet", ".pq", ".gz"}


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders become their data files (sorted, recursively)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in _SUFFIXES))
        else:
            out.append(p)
    return out


def ingest_events(engine: Engine, paths: Iterable[str | Path], *, mapping: dict[str, str] | None = None,
                  options: ReadOptions | None = None, default_kind: str = "play",
                  dedupe: bool = True, params: IngestParams | None = None) -> IngestReport:
    """Ingest event files (play, save, skip, dislike, artist_visit). See the module docstring. Events
    outside the plausible window of `params` (`IngestParams`) are quarantined."""
    if default_kind not in set(KIND_ALIASES.values()):
        raise ParameterError(f"The 'default_kind' parameter must be one of play, save, skip, dislike, "
                             f"artist_visit. Got {default_kind!r} instead.")
    window = (params or IngestParams()).window()
    return _ingest(engine, paths, "events", mapping, options, default_kind=default_kind, dedupe=dedupe,
                   window=window)


def ingest_catalog(engine: Engine, paths: Iterable[str | Path], *, mapping: dict[str, str] | None = None,
                   options: ReadOptions | None = None) -> IngestReport:
    """Ingest catalogue files (tracks with title, artist, album, duration, release, style, uri).
    Re-ingesting a track updates its metadata."""
    return _ingest(engine, paths, "catalog", mapping, options)


def _ingest(engine, paths, target, mapping, options, **kwargs) -> IngestReport:
    report = IngestReport(target)
    for path in expand_paths(paths):
        report.files.append(ingest_file(engine, path, target, mapping=dict(mapping or {}),
                                        options=options or ReadOptions(), **kwargs))
    return report
