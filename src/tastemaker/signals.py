"""From behaviour to preference and confidence: the engine-independent logic.

The aggregation of raw events into one row per (user, track) is SQL that every engine runs as it
is (`tastemaker.engine.sql.interactions`); what happens to those sums is here, shared by every
engine:

* `signal_sum` — the weighted sum of a pair's signals;
* `confidence` — the formula of `tastemaker.config.SignalWeights` on NumPy arrays, returning a
  signed confidence: positive values are preference 1, negative values preference 0 (more skips
  than listening), as the `implicit` library reads them.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .config import SignalWeights

#: event kinds the warehouse accepts
EVENT_KINDS = ("play", "save", "skip", "artist_visit", "dislike")


def signal_sum(weights: SignalWeights, *, plays, short_plays, saves, skips, artist_visits,
               dislikes=0) -> np.ndarray:
    """The weighted sum s of the signals (float64), one value per (user, track)."""
    return (weights.play * np.asarray(plays, dtype=np.float64)
            - weights.dislike * np.asarray(dislikes, dtype=np.float64)
            + weights.save * np.asarray(saves, dtype=np.float64)
            + weights.artist_visit * np.asarray(artist_visits, dtype=np.float64)
            - weights.skip * (np.asarray(skips, dtype=np.float64) + np.asarray(short_plays, dtype=np.float64)))


def confidence(s: np.ndarray, weights: SignalWeights) -> np.ndarray:
    """Signed confidence from the signal sum: sign = preference, magnitude = c ≥ 1.

    ``log``: ``c = 1 + alpha·log(1 + |s|/epsilon)``; ``linear``: ``c = 1 + alpha·|s|``. An exact
    s = 0 (signals that cancel) gives preference 0 with the baseline confidence 1.

    >>> confidence(np.array([0.0, 1.0, -2.0]), SignalWeights(alpha=1.0, epsilon=1.0)).round(3)
    array([-1.   ,  1.693, -2.099], dtype=float32)
    """
    s = np.asarray(s, dtype=np.float64)
    mag = np.abs(s)
    if weights.scheme == "linear":
        c = 1.0 + weights.alpha * mag
    else:  # "log" and the per-entry part of "bm25"
        c = 1.0 + weights.alpha * np.log1p(mag / weights.epsilon)
    return np.where(s > 0, c, -c).astype(np.float32)


def confidence_matrix(users: np.ndarray, items: np.ndarray, s: np.ndarray, shape: tuple[int, int],
                      weights: SignalWeights) -> sp.csr_matrix:
    """The (n_users, n_items) signed confidence matrix of `confidence`, or of BM25 when asked.

    With ``scheme = "bm25"`` the positive sums are BM25-weighted over the item's users (popular
    tracks count less, long histories are normalised), then ``c = 1 + alpha·bm25``; negative sums
    keep their ``log`` confidence.
    """
    if weights.scheme != "bm25":
        data = confidence(s, weights)
        return sp.csr_matrix((data, (users, items)), shape=shape, dtype=np.float32)
    from implicit.nearest_neighbours import bm25_weight

    pos = s > 0
    m = sp.csr_matrix((s[pos], (users[pos], items[pos])), shape=shape, dtype=np.float64)
    weighted = bm25_weight(m, K1=weights.bm25_k1, B=weights.bm25_b).tocsr()
    weighted.data = 1.0 + weights.alpha * weighted.data
    neg = sp.csr_matrix((confidence(s[~pos], weights), (users[~pos], items[~pos])), shape=shape)
    return (weighted + neg).astype(np.float32).tocsr()
