"""Cold tracks in the week: tracks with too few plays, placed among the others by their sound.

    >>> cold = prepare(wh, settings, model, n_items)       # None without an audio model
    >>> ids, sc, source, because = merge(cold, users, ids, sc, source, because, exclude_rows, ...)

`prepare` takes the latest audio model's predicted vectors (predicting, and storing, those of
cold tracks that arrived since it was trained) for the available tracks with fewer than
``[audio_model] min_plays`` plays. `merge` scores them for a batch of users with the user's
collaborative vector (user · predicted vector, scaled by the median length of the warm item
vectors so that it compares with collaborative scores), and lets at most ``audio_share`` of them
into each list when they beat the weakest track they would replace; the per-artist cap holds.
Each gets as reason the user's most-loved played track closest to its predicted vector
("sounds like …").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import Settings, WeeklyParams
from ..errors import NotFoundError
from ..warehouse import Warehouse
from .assemble import cap_per_artist, unit_rows


@dataclass
class ColdTracks:
    version: str
    track_idx: np.ndarray      # (n,) the cold tracks with a predicted vector
    vectors: np.ndarray        # (n, d) predicted vectors
    unit: np.ndarray           # (n, d) the same, length 1
    scale: float               # median length of the warm item vectors


def prepare(wh: Warehouse, settings: Settings, model, n_items: int) -> ColdTracks | None:
    """The cold candidates of this week, or None (no audio model, or audio_share = 0)."""
    if settings.weekly.audio_share == 0:
        return None
    from ..audio_model.predict import load_vectors, missing, predict_tracks, track_files
    from ..audio_model.train import load_audio_model, play_counts

    try:
        audio, manifest = load_audio_model(settings)
    except NotFoundError:
        return None
    version = manifest["version"]
    plays = play_counts(wh, n_items)
    available = wh.execute("SELECT track_idx FROM tracks WHERE available AND track_idx < ?",
                           [n_items]).fetchnumpy()["track_idx"]
    cold = np.asarray(available, dtype=np.int64)
    cold = cold[plays[cold] < settings.audio_model.min_plays]
    todo = missing(wh, version, cold)
    if len(todo):
        files = track_files(wh, settings, todo)
        if len(files.paths):
            predict_tracks(wh, settings, audio, version, files)
    idx, vectors = load_vectors(wh, version)
    keep = np.isin(idx, cold)
    idx, vectors = idx[keep], vectors[keep]
    if not len(idx) or vectors.shape[1] != model.item_factors_.shape[1]:
        return None
    norms = np.linalg.norm(model.item_factors_, axis=1)
    scale = float(np.median(norms[norms > 0])) if (norms > 0).any() else 1.0
    return ColdTracks(version, idx, vectors, unit_rows(vectors), scale)


def merge(cold: ColdTracks | None, user_vectors: np.ndarray, ids, sc, source, because, exclude_rows,
          played: np.ndarray, unit_items: np.ndarray, artist_of: np.ndarray, params: WeeklyParams,
          audio_source: int):
    """Let up to ``audio_share`` cold tracks into each (B, size) list; returns the new arrays."""
    if cold is None or params.audio_share == 0:
        return ids, sc, source, because
    a = min(params.audio_share, len(cold.track_idx))
    scores = (user_vectors @ cold.vectors.T) * cold.scale                      # (B, n)
    heard = exclude_rows[:, cold.track_idx].toarray() != 0
    scores[heard] = -np.inf
    listed = np.searchsorted(cold.track_idx, ids).clip(0, len(cold.track_idx) - 1)   # no repeats
    r, c = np.nonzero(cold.track_idx[listed] == ids)
    scores[r, listed[r, c]] = -np.inf
    top = np.argpartition(-scores, a - 1, axis=1)[:, :a] if a < scores.shape[1] else \
        np.tile(np.arange(scores.shape[1]), (len(scores), 1))
    top_sc = np.take_along_axis(scores, top, axis=1)
    # a cold track gets in only when it beats the weakest listed track it would push out
    weakest = np.where(ids[:, -a:] >= 0, sc[:, -a:], -np.inf).min(axis=1, initial=np.inf)
    ok = np.isfinite(top_sc) & (top_sc > weakest[:, None])
    pick = np.where(ok, cold.track_idx[top], -1)
    pick_sc = np.where(ok, top_sc, -np.inf).astype(np.float32)
    merged = np.concatenate([ids, pick], axis=1)
    merged_sc = np.concatenate([sc, pick_sc], axis=1)
    order = np.argsort(-np.where(merged >= 0, merged_sc, -np.inf), axis=1, kind="stable")
    merged, merged_sc = np.take_along_axis(merged, order, 1), np.take_along_axis(merged_sc, order, 1)
    merged_src = np.take_along_axis(np.concatenate([source, np.full(pick.shape, audio_source, np.int8)], 1),
                                    order, 1)
    merged_bec = np.take_along_axis(np.concatenate([because, _sounds_like(cold, top, played, unit_items)], 1),
                                    order, 1)
    new_ids, new_sc, cols = cap_per_artist(merged, merged_sc, artist_of, ids.shape[1], params.max_per_artist)
    c = np.maximum(cols, 0)
    new_src = np.where(cols >= 0, np.take_along_axis(merged_src, c, 1), source[:, :1])
    new_bec = np.where(cols >= 0, np.take_along_axis(merged_bec, c, 1), -1)
    return new_ids, new_sc, new_src.astype(np.int8), new_bec


def _sounds_like(cold: ColdTracks, top: np.ndarray, played: np.ndarray, unit_items: np.ndarray):
    """(B, a) the played track (among each user's most loved) closest to each pick's vector."""
    P = unit_items[np.maximum(played, 0)]                       # (B, P, d)
    R = cold.unit[top]                                          # (B, a, d)
    sims = np.matmul(P, R.transpose(0, 2, 1))                   # (B, P, a)
    sims = np.where((played >= 0)[..., None], sims, -np.inf)
    best = np.take_along_axis(played, np.argmax(sims, axis=1), axis=1)
    best[~(played >= 0).any(axis=1)] = -1
    return best
