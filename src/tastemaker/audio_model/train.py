"""The audio train stage: spectrograms + the latest collaborative vectors → network → vectors.

    >>> result = train_audio(engine, settings)    # after train_collaborative
    >>> result.manifest["collaborative_version"], result.manifest["tracks"]

1. every track with a ``uri``: its spectrogram (cached by content; unreadable files are kept
   with the reason);
2. targets: the unit-normalised item vectors of the latest collaborative model for the tracks
   with at least ``min_plays`` plays;
3. fit the network (validation split, early stopping; `AudioModel.fit`);
4. save it as a version of kind ``audio`` whose manifest names the collaborative version;
5. predict and store a vector for every track with audio (``audio_vectors``), so that cold
   tracks are ready for the weekly job and every track for ``similar --model audio``.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np

from ..config import AudioModelParams, Settings
from ..engine import Engine
from ..errors import InputError, NotFoundError
from ..kernels import unit_rows
from ..models import registry
from ..models.registry import TrainResult
from ..runs import record_run
from ..train import load_collaborative
from .model import AudioModel, device
from .predict import missing, predict_tracks, spectrograms, track_files

AUDIO = "audio"


def play_counts(engine: Engine, n_items: int) -> np.ndarray:
    """Plays per track (full-length plays in the materialised interactions)."""
    idx, n = engine.interaction_plays()
    out = np.zeros(n_items, dtype=np.int64)
    keep = idx < n_items
    out[idx[keep]] = n[keep]
    return out


def train_audio(engine: Engine, settings: Settings, *, params: AudioModelParams | None = None,
                collaborative_version: str | None = None) -> TrainResult:
    params = params or settings.audio_model
    started = time.perf_counter()
    als, cf_manifest = load_collaborative(settings, collaborative_version)
    engine.materialize_interactions(settings.signals.min_play_ms, force=False)
    items = als.item_factors_
    files = track_files(engine, settings)
    if not len(files.paths):
        raise InputError("No track has a uri: the catalogue must say where each track's audio is "
                         "(column uri; relative paths resolve against [audio_model] audio_root)")
    batch = spectrograms(settings, files)
    plays = play_counts(engine, max(len(items), int(files.track_idx.max()) + 1))
    ok = np.array([m is not None for m in batch.ok])
    in_model = files.track_idx < len(items)
    has_vec = np.zeros(len(ok), dtype=bool)
    has_vec[in_model] = np.abs(items[files.track_idx[in_model]]).sum(axis=1) > 0
    warm = ok & has_vec & (plays[files.track_idx] >= params.min_plays)
    if warm.sum() < 10:
        raise InputError(f"The audio model needs at least 10 tracks with audio and >= {params.min_plays} "
                         f"plays ([audio_model] min_plays); got {int(warm.sum())} "
                         f"({int(ok.sum())} readable of {len(ok)} files)")
    rows = np.flatnonzero(warm)
    model = AudioModel(params).fit([batch.ok[i].mels for i in rows], unit_rows(items[files.track_idx[rows]]))
    version = registry.new_version(cf_manifest["data_fingerprint"])
    manifest = {
        "version": version,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "collaborative_version": cf_manifest["version"],
        "data_fingerprint": cf_manifest["data_fingerprint"],
        "device": str(device()),
        "tracks": {"with_uri": len(ok), "readable": int(ok.sum()), "failed": int((~ok).sum()),
                   "trained_on": int(model.n_train_), "validation": int(model.n_val_),
                   "short": int(sum(m.short for m in batch.ok if m is not None)),
                   "spectrogram_cache_hits": batch.cache_hits},
        "epochs": len(model.history_), "best_val_mse": round(model.best_val_mse_, 6),
        "fit_seconds": model.fit_seconds_,
    }
    registry.save_version(settings.models_dir, AUDIO, model, manifest)
    stats = predict_tracks(engine, settings, model, version, files, batch)
    registry.update_manifest(settings.models_dir, AUDIO, version, predicted=stats,
                             total_seconds=round(time.perf_counter() - started, 3))
    record_run(engine, "train", version, {"kind": AUDIO, "collaborative_version": cf_manifest["version"],
                                      **model.get_params()})
    return TrainResult(AUDIO, version, registry.manifest(settings.models_dir, AUDIO, version), model)


def load_audio_model(settings: Settings, version: str | None = None) -> tuple[AudioModel, dict]:
    return registry.load(settings.models_dir, AUDIO, AudioModel.load, version)


def predict_missing(engine: Engine, settings: Settings, track_idx: np.ndarray) -> dict | None:
    """Predict, with the latest audio model, the vectors of those of `track_idx` that have none
    for it yet (tracks that arrived since it was trained): a step of ``weekly generate``, so that
    reading the vectors afterwards never writes. None when no audio model is trained."""
    try:
        model, manifest = load_audio_model(settings)
    except NotFoundError:
        return None
    todo = missing(engine, manifest["version"], track_idx)
    files = track_files(engine, settings, todo) if len(todo) else None
    if files is None or not len(files.paths):
        return {"ok": 0, "failed": 0, "cache_hits": 0, "short": 0, "reasons": []}
    return predict_tracks(engine, settings, model, manifest["version"], files)
