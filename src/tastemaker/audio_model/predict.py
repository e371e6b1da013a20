"""Tracks' audio in the warehouse: where each file is, and predicted vectors in ``audio_vectors``.

    >>> files = track_files(engine, settings)                   # track_idx → resolved path
    >>> stats = predict_tracks(engine, settings, model, version, files)
    >>> idx, vectors = load_vectors(engine, version)

A track's ``uri`` is used as is when absolute; a relative one resolves against
``[audio_model] audio_root`` or, when that is empty, against the folder of the catalogue file
ingested last (the demo world's ``audio/<track_id>.wav`` sits next to its ``catalog.csv``).
A file that is missing or cannot be decoded gets a row with status ``failed`` and the reason;
the rest of the batch goes on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..config import AudioModelParams, Settings
from ..engine import Engine
from .mels import MelBatch, MelParams, many_mels


def mel_params(params: AudioModelParams) -> MelParams:
    return MelParams(n_mels=params.n_mels, excerpt_seconds=params.excerpt_seconds)


def cache_dir(settings: Settings) -> Path:
    return settings.home / "cache" / "mels"


@dataclass
class TrackFiles:
    track_idx: np.ndarray
    paths: list[str]


def audio_root(engine: Engine, settings: Settings) -> Path | None:
    if settings.audio_model.audio_root:
        return Path(settings.audio_model.audio_root).expanduser()
    latest = engine.latest_catalogue_file()
    return Path(latest).parent if latest else None


def track_files(engine: Engine, settings: Settings, track_idx: np.ndarray | None = None) -> TrackFiles:
    """The resolved audio path of each track with a ``uri`` (all tracks, or those given)."""
    idx, uris = engine.track_uris()
    if track_idx is not None:
        keep = np.isin(idx, track_idx)
        idx, uris = idx[keep], [u for u, k in zip(uris, keep) if k]
    root = audio_root(engine, settings)
    paths = []
    for u in uris:
        p = Path(u.removeprefix("file://")).expanduser()
        paths.append(str(p if p.is_absolute() or root is None else root / p))
    return TrackFiles(idx, paths)


def spectrograms(settings: Settings, files: TrackFiles) -> MelBatch:
    return many_mels(files.paths, params=mel_params(settings.audio_model), cache_dir=cache_dir(settings))


def predict_tracks(engine: Engine, settings: Settings, model, version: str, files: TrackFiles,
                   batch: MelBatch | None = None) -> dict:
    """Predict and store the vectors of these tracks for `version` (replacing earlier rows).
    Returns counts: ``ok``, ``failed``, ``short`` and the reasons of the first failures."""
    batch = batch or spectrograms(settings, files)
    good = [i for i, m in enumerate(batch.ok) if m is not None]
    vectors, embeds = model.predict([batch.ok[i].mels for i in good]) if good else (None, None)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    n = len(files.paths)
    vec_col = [None] * n
    emb_col = [None] * n
    for j, i in enumerate(good):
        vec_col[i] = vectors[j].tolist()
        emb_col[i] = embeds[j].tolist()
    table = pa.table({
        "track_idx": pa.array(files.track_idx.astype(np.int32)),
        "status": pa.array(["ok" if m is not None else "failed" for m in batch.ok]),
        "reason": pa.array(batch.reasons, type=pa.string()),
        "path": pa.array(files.paths),
        "sha": pa.array([m.sha256 if m is not None else None for m in batch.ok], type=pa.string()),
        "short": pa.array([m.short if m is not None else None for m in batch.ok], type=pa.bool_()),
        "vector": pa.array(vec_col, type=pa.list_(pa.float32())),
        "embedding": pa.array(emb_col, type=pa.list_(pa.float32())),
    })
    engine.store_audio_vectors(version, table, now)
    failed = batch.failed
    return {"ok": len(good), "failed": len(failed), "cache_hits": batch.cache_hits,
            "short": int(sum(m.short for m in batch.ok if m is not None)),
            "reasons": list(failed.values())[:5]}


def load_vectors(engine: Engine, version: str, *, embeddings: bool = False
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(track_idx, vectors) of the tracks with a prediction by `version` (embeddings if asked)."""
    idx, values = engine.audio_vectors(version, embeddings=embeddings)
    if len(idx) == 0:
        return idx, np.zeros((0, 0), dtype=np.float32)
    return idx, np.stack([np.asarray(v, dtype=np.float32) for v in values])


def missing(engine: Engine, version: str, track_idx: np.ndarray) -> np.ndarray:
    """The tracks among `track_idx` that have no row (ok or failed) for `version`."""
    return np.setdiff1d(np.asarray(track_idx, dtype=np.int64), engine.audio_vector_tracks(version))
