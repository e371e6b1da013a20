"""`tastemaker import SOURCE PATH…`: listening history from other services' exports, matched to
the catalogue and loaded with every rule of ingest.

For each file: its records are read into one shape (`sources`), each play is matched to a
catalogue track (`tastemaker.match`: MusicBrainz id, ISRC, then artist and title with the
duration), and the result is written as canonical files under ``HOME/imports/SOURCE/`` — the
tracks it adds (when the catalogue is empty, or with ``add_tracks``) and one event row per record
read, a record left out carrying its reason — which ingest then loads like any other file: rows
read = accepted + quarantined, each quarantined row kept with its line and reason, one
transaction per file, and a re-import adds nothing (the canonical file is the same, so ingest
skips it; an overlapping export's repeated plays are quarantined as duplicates).

    >>> report = import_files(engine, settings, "spotify", ["Streaming_History_Audio_2024.json"])
    >>> report.rules          # Counter: mbid, isrc, name, added, left out, unmatched: …
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from ..engine import Engine
from ..errors import InputError, ParameterError
from ..ingest import IngestReport, ReadOptions, ingest_catalog, ingest_events
from ..ingest.ledger import sha256_of
from ..match import MatchIndex, artist_key, title_key
from .records import Play
from .sources import CATALOGUES, READERS, TAKES_COLUMNS

SOURCES = sorted(set(READERS) | set(CATALOGUES))

__all__ = ["SOURCES", "ImportReport", "import_files"]


@dataclass
class ImportReport:
    source: str
    records: int = 0
    rules: collections.Counter = field(default_factory=collections.Counter)    # how each record went
    catalog: IngestReport | None = None
    events: IngestReport = field(default_factory=lambda: IngestReport("events"))

    @property
    def matched(self) -> int:
        return sum(n for rule, n in self.rules.items() if rule in ("id", "mbid", "isrc", "name"))


def _new_track_id(p: Play) -> str:
    """An id for a track the catalogue lacks: the source's own id, the recording's MBID, or the
    folded artist and title."""
    if p.source_id:
        return p.source_id
    if p.mbid:
        return f"mbid:{p.mbid.lower()}"
    core, markers = title_key(p.title)
    return "name:" + artist_key(p.artist) + " – " + " ".join([core, *sorted(markers)])


def _write(path: Path, rows: list[dict]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    os.replace(tmp, path)


def _load_catalogue(engine: Engine, report: ImportReport, path: Path, rows: list[dict]) -> None:
    """Write catalogue rows as a canonical file and ingest it, into the report."""
    _write(path, rows)
    report.catalog = report.catalog or IngestReport("catalog")
    report.catalog.files.extend(ingest_catalog(engine, [path], options=ReadOptions(format="jsonl")).files)


def import_files(engine: Engine, settings: Settings, source: str, paths, *, user: str | None = None,
                 add_tracks: bool | None = None, columns: list[str] | None = None) -> ImportReport:
    """Import `paths` of `source` (one of `READERS`). `user`: the listener to credit when the
    export does not name one. `add_tracks`: add the tracks the catalogue lacks (default: only
    when the catalogue is empty); otherwise an unmatched play is quarantined with the reason.
    `columns`: the order of a headerless table's columns (lastfm CSV, radio)."""
    if source not in SOURCES:
        raise ParameterError(f"Unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    if columns and source not in TAKES_COLUMNS:
        raise ParameterError(f"--columns applies to {' and '.join(sorted(TAKES_COLUMNS))} tables, not to {source}")
    files = [Path(p) for p in paths]
    for f in files:
        if source == "folder" and not f.is_dir():
            raise InputError(f"{f} is not a folder (import folder reads a folder of audio files)")
        if source != "folder" and not f.is_file():
            raise InputError(f"{f} is not a file")
    report = ImportReport(source)
    staged = settings.home / "imports" / source
    staged.mkdir(parents=True, exist_ok=True)
    if source in CATALOGUES:
        for path in files:
            rows = list(CATALOGUES[source](path))
            report.rules["catalogue tracks"] += len(rows)
            digest = hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()[:16]
            _load_catalogue(engine, report, staged / f"{path.stem or 'root'}-{digest}.catalog.jsonl", rows)
    if source not in READERS:
        return report
    index = MatchIndex.build(engine.match_rows())
    add = (len(index) == 0) if add_tracks is None else add_tracks
    for path in files:
        digest = sha256_of(path)[:16]
        events, tracks = [], {}
        read = READERS[source](path, user, columns) if source in TAKES_COLUMNS else READERS[source](path, user)
        for p in read:
            report.records += 1
            if p.rejected is None and not p.user_id:
                p.rejected = "no user named: give the listener with --user"
            track_id = None
            if p.rejected is None:
                found = index.match(artist=p.artist, title=p.title, duration_ms=p.duration_ms, mbid=p.mbid,
                                    isrc=p.isrc, track_id=p.source_id)
                if found.track_id is not None:
                    track_id = found.track_id
                    report.rules[found.rule] += 1
                elif add and (p.title or p.mbid or p.source_id):
                    track_id = _new_track_id(p)
                    if track_id not in tracks:
                        tracks[track_id] = {"track_id": track_id, "title": p.title, "artist_name": p.artist,
                                            "album": p.album, "duration_ms": p.duration_ms, "mbid": p.mbid,
                                            "isrc": p.isrc, "imported_from": source}
                        index.add(track_id, p.artist, p.title, p.duration_ms, p.mbid, p.isrc)
                    report.rules["added"] += 1
                else:
                    shown = " – ".join(x for x in (p.artist, p.title) if x) or p.mbid or "?"
                    p.rejected = f"no catalogue track matches {shown!r} ({found.rule})"
                    report.rules[f"unmatched: {found.rule}"] += 1
            else:
                report.rules["left out"] += 1
            events.append({"user_id": p.user_id, "track_id": track_id, "kind": p.kind, "ts": p.ts,
                           "count": p.count, "ms_played": p.ms_played, "rejected": p.rejected,
                           "source_line": p.line})
        if tracks:
            _load_catalogue(engine, report, staged / f"{path.stem}-{digest}.catalog.jsonl", list(tracks.values()))
        events_path = staged / f"{path.stem}-{digest}.events.jsonl"
        _write(events_path, events)
        report.events.files.extend(ingest_events(engine, [events_path], options=ReadOptions(format="jsonl"),
                                                 params=settings.ingest).files)
    return report
