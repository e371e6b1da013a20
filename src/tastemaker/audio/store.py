"""Analyses in the warehouse: one per content hash, one row per file path, and their link to
catalogue tracks (the engine's ``save_analysis``, ``save_audio_file``, ``link_audio_files``).

A file maps to the catalogue track whose ``uri`` is the file's path (as given, or absolute), or
else whose ``track_id`` is the file's stem (``music/TR0042.flac`` → ``TR0042``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ..engine import Engine
from .analysis import ANALYSER_VERSION
from .batch import Result

_COLUMNS = ("duration", "loudness", "tempo", "tempo_confidence", "key", "key_confidence", "mode",
            "mode_confidence", "time_signature", "time_signature_confidence")


def cached_document(engine: Engine, sha256: str) -> dict | None:
    """The stored document of a successful analysis of these bytes by this analyser version."""
    doc = engine.cached_analysis(sha256, ANALYSER_VERSION)
    return json.loads(doc) if doc else None


def save(engine: Engine, result: Result) -> None:
    """Store one result (a cached one only refreshes its file row), in one transaction."""
    now = dt.datetime.now()
    path = str(result.path)
    with engine.transaction():
        if result.status != "cached":
            doc = result.document
            track = doc.get("track", {})
            values = {c: track.get(c) for c in _COLUMNS}
            if values["duration"] is not None:
                values["duration"] = float(values["duration"])
            engine.save_analysis(sha256=result.sha256, path=path, analyser_version=ANALYSER_VERSION,
                                 status="ok" if result.ok else "failed", reason=result.reason, values=values,
                                 features=json.dumps(doc.get("audio_features")) if result.ok else None,
                                 analysis=json.dumps(doc), analysed_at=now)
        engine.save_audio_file(path, Path(path).stem, result.sha256, now)


def link_tracks(engine: Engine) -> int:
    """Match files to catalogue tracks (by uri, else by track_id = stem); returns matches."""
    return engine.link_audio_files()
