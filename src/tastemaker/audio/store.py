"""Analyses in the warehouse: tables `audio_analyses` (one row per content hash) and
`audio_files` (one row per file path), and their link to catalogue tracks.

A file maps to the catalogue track whose ``uri`` is the file's path (as given, or absolute), or
else whose ``track_id`` is the file's stem (``music/TR0042.flac`` → ``TR0042``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .analysis import ANALYSER_VERSION
from .batch import Result

_COLUMNS = ("duration", "loudness", "tempo", "tempo_confidence", "key", "key_confidence", "mode",
            "mode_confidence", "time_signature", "time_signature_confidence")


def cached_document(wh, sha256: str) -> dict | None:
    """The stored document of a successful analysis of these bytes by this analyser version."""
    row = wh.execute("SELECT analysis FROM audio_analyses WHERE content_sha256 = ? AND "
                     "status = 'ok' AND analyser_version = ?", [sha256, ANALYSER_VERSION]).fetchone()
    return json.loads(row[0]) if row and row[0] else None


def save(wh, result: Result) -> None:
    """Store one result (a cached one only refreshes its file row)."""
    now = dt.datetime.now()
    path = str(result.path)
    if result.status != "cached":
        doc = result.document
        track = doc.get("track", {})
        values = [track.get(c) for c in _COLUMNS]
        duration = values[0]
        values[0] = None if duration is None else float(duration)
        wh.execute(
            "INSERT OR REPLACE INTO audio_analyses (content_sha256, path, track_idx, "
            "analyser_version, status, reason, " + ", ".join(_COLUMNS) +
            ", features, analysis, analysed_at) VALUES (?, ?, NULL, ?, ?, ?, "
            + ", ".join("?" * len(_COLUMNS)) + ", ?, ?, ?)",
            [result.sha256, path, ANALYSER_VERSION, "ok" if result.ok else "failed", result.reason,
             *values, json.dumps(doc.get("audio_features")) if result.ok else None,
             json.dumps(doc), now])
    wh.execute("INSERT OR REPLACE INTO audio_files VALUES (?, ?, ?, NULL, ?)",
               [path, Path(path).stem, result.sha256, now])


def link_tracks(wh) -> int:
    """Match files to catalogue tracks (by uri, else by track_id = stem); returns matches."""
    wh.execute("""
        UPDATE audio_files SET track_idx = m.track_idx
        FROM (
            SELECT f.path, coalesce(
                (SELECT min(t.track_idx) FROM tracks t WHERE t.uri = f.path),
                (SELECT min(t.track_idx) FROM tracks t WHERE t.track_id = f.stem)) AS track_idx
            FROM audio_files f
        ) m
        WHERE audio_files.path = m.path
    """)
    wh.execute("""
        UPDATE audio_analyses SET track_idx = f.track_idx
        FROM audio_files f
        WHERE f.content_sha256 = audio_analyses.content_sha256 AND f.path = audio_analyses.path
    """)
    return int(wh.scalar("SELECT count(*) FROM audio_files WHERE track_idx IS NOT NULL"))
