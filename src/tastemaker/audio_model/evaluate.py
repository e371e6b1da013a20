"""Cold-start evaluation of the audio model (``tastemaker evaluate --cold audio``).

    >>> report = cold_start(engine, settings, fraction=0.2, seed=42, k=30)

A seeded 20 % of the tracks leave the data with all their plays (`cold_item_split`); ALS and the
network are trained on the rest; each user's list ranks the held-out tracks only, by
user vector · predicted vector. References on the same lists: random order, and popularity order
(the held-out tracks' true number of listeners: an oracle no real cold track has). The mean
cosine compares each held-out track's predicted vector with its "true" vector: the item vector
ALS would give it from its held-out plays with the user vectors fixed (one ALS half-step).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from ..config import AudioModelParams, Settings
from ..engine import Engine
from ..evaluate import Interactions, cold_item_split, evaluate_model
from ..evaluate.splits import catalogue_artists
from ..kernels import unit_rows
from ..models.als import scale_confidence
from ..models.base import Recommender
from .cold import AudioCold
from .predict import spectrograms, track_files
from .train import play_counts


class RandomOrder(Recommender):
    """A seeded random order of the items (the floor any model must clear)."""

    name = "random"

    def __init__(self, seed: int = 42):
        self.seed = seed

    def fit(self, user_items):
        self.n_items_ = user_items.shape[1]
        return self

    def _score(self, userids, user_items):
        rng = np.random.default_rng([self.seed, int(userids[0]) if len(userids) else 0])
        return rng.random((len(userids), self.n_items_)).astype(np.float32)


class PopularityOrder(Recommender):
    """Items by a given count (here the held-out tracks' true listeners: an oracle)."""

    name = "popularity (oracle)"

    def __init__(self, counts: np.ndarray):
        self.counts = np.asarray(counts, dtype=np.float32)

    def get_params(self) -> dict:
        return {}

    def fit(self, user_items):
        self.fitted_ = True
        return self

    def _score(self, userids, user_items):
        return np.broadcast_to(self.counts, (len(userids), len(self.counts))).copy()


def fold_in(user_factors: np.ndarray, conf: sp.csc_matrix, items: np.ndarray, reg: float) -> np.ndarray:
    """Item vectors that ALS would compute from these items' confidence columns with the user
    vectors fixed: (YᵀY + Yᵀ(C − I)Y + λI)⁻¹ YᵀCp, positives p where confidence > 0."""
    Y = user_factors.astype(np.float64)
    YtY = Y.T @ Y
    out = np.zeros((len(items), Y.shape[1]), dtype=np.float32)
    for j, i in enumerate(items):
        col = conf[:, i]
        users, c = col.indices, np.abs(col.data)
        p = (col.data > 0).astype(np.float64)
        Yu = Y[users]
        A = YtY + (Yu.T * (c - 1)) @ Yu + reg * np.eye(Y.shape[1])
        out[j] = np.linalg.solve(A, Yu.T @ (c * p))
    return out


def cold_start(engine: Engine, settings: Settings, *, fraction: float = 0.2, seed: int = 42,
               k: int = 30, params: AudioModelParams | None = None) -> dict:
    """The cold-start report: metrics at k of audio, random and popularity order, mean cosine."""
    params = params or settings.audio_model
    started = time.perf_counter()
    data = Interactions.from_engine(engine, settings.signals)
    split = cold_item_split(data, fraction=fraction, seed=seed, item_artists=catalogue_artists(engine))
    files = track_files(engine, settings)
    batch = spectrograms(settings, files)
    specs = {int(t): m.mels for t, m in zip(files.track_idx, batch.ok) if m is not None}
    plays = play_counts(engine, data.shape[1])
    audio = AudioCold(specs, plays, params=params, als=settings.als)
    listeners = np.bincount(data.items[data.signal > 0], minlength=data.shape[1])
    results = [evaluate_model(m, split, weights=settings.signals, k=k)
               for m in (audio, RandomOrder(seed), PopularityOrder(listeners))]
    cold = np.setdiff1d(np.arange(data.shape[1]), split.filter_items)
    cold = cold[audio.has_audio_[cold]]
    conf = scale_confidence(data.confidence(settings.signals), settings.als.confidence_scale).tocsc()
    true = fold_in(audio.user_factors_, conf, cold, settings.als.regularization)
    has = np.abs(true).sum(axis=1) > 0
    cos = (unit_rows(audio.item_vectors_[cold[has]]) * unit_rows(true[has])).sum(axis=1)
    return {
        "protocol": f"cold_item_split: {fraction:.0%} of the liked tracks held out with all their "
                    f"plays (seed {seed}); lists rank held-out tracks only; K = {k}",
        "k": k, "users": int(len(split.users)), "cold_tracks": int(len(cold)),
        "trained_on": int(audio.model_.n_train_ + audio.model_.n_val_),
        "unreadable_audio": len(batch.failed),
        "results": {r.name: {m: float(v) for m, v in r.metrics.items()} for r in results},
        "mean_cosine": float(cos.mean()) if len(cos) else float("nan"),
        "mean_cosine_random": float(_random_cosine(true[has], seed)),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _random_cosine(true: np.ndarray, seed: int) -> float:
    """The mean cosine of the true vectors with shuffled true vectors (what chance gives)."""
    if len(true) < 2:
        return float("nan")
    perm = np.random.default_rng(seed).permutation(len(true))
    return float((unit_rows(true) * unit_rows(true[perm])).sum(axis=1).mean())
