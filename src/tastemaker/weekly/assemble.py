"""Engine-independent assembly of weekly lists, vectorised over a batch of users (pure NumPy).

* `cap_per_artist` keeps, row by row and in score order, at most N tracks of each artist and the
  first `size` survivors.
* `top_played` picks each user's most-loved played tracks (for reasons).
* `explain` finds, for every recommended track, the played track that contributes most: among
  the user's most-loved tracks (`top_played`), the one whose vector is closest (cosine) to the
  recommended track's; ties go to the more-played track.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def cap_per_artist(ids: np.ndarray, scores: np.ndarray, artist_of: np.ndarray, size: int,
                   max_per_artist: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B, C) candidates best first (id -1 = none) → (B, size) with ≤ max_per_artist per artist.

    Returns ids, scores and the column of each kept candidate in the input (-1 for padding).
    Tracks with no artist (artist_of = -1) are each their own artist.
    """
    B, C = ids.shape
    valid = ids >= 0
    art = np.where(valid, artist_of[np.where(valid, ids, 0)], -1).astype(np.int64)
    # a unique pseudo-artist for tracks without one, so they never cap each other
    art = np.where(art < 0, -(ids.astype(np.int64) + 2), art)
    # one integer key per candidate: (row, artist); a stable sort keeps score order inside a group
    art -= art.min(initial=0)
    key = np.arange(B, dtype=np.int64)[:, None] * (int(art.max(initial=0)) + 1) + art
    order = np.argsort(key.ravel(), kind="stable")
    sorted_key = key.ravel()[order]
    new_group = np.ones(len(order), dtype=bool)
    new_group[1:] = sorted_key[1:] != sorted_key[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(order)), 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - group_start
    keep = valid & (rank.reshape(B, C) < max_per_artist)
    keep &= np.cumsum(keep, axis=1) <= size
    out_ids = np.full((B, size), -1, dtype=np.int64)
    out_scores = np.full((B, size), -np.inf, dtype=np.float32)
    out_cols = np.full((B, size), -1, dtype=np.int64)
    pos = np.cumsum(keep, axis=1) - 1
    r, c = np.nonzero(keep)
    out_ids[r, pos[r, c]] = ids[r, c]
    out_scores[r, pos[r, c]] = scores[r, c]
    out_cols[r, pos[r, c]] = c
    return out_ids, out_scores, out_cols


def top_played(rows: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row the k columns with the largest positive values: (B, k) ids (-1 pad) and values."""
    rows = sp.csr_matrix(rows)
    B = rows.shape[0]
    counts = np.diff(rows.indptr)
    row_of = np.repeat(np.arange(B), counts)
    data = rows.data.astype(np.float32)
    order = np.lexsort((-data, row_of))
    start = np.repeat(rows.indptr[:-1], counts)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - start
    keep = (rank < k) & (data > 0)
    ids = np.full((B, k), -1, dtype=np.int64)
    vals = np.zeros((B, k), dtype=np.float32)
    ids[row_of[keep], rank[keep]] = rows.indices[keep]
    vals[row_of[keep], rank[keep]] = data[keep]
    return ids, vals


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)


def explain(recommended: np.ndarray, played: np.ndarray, weights: np.ndarray,
            unit_vectors: np.ndarray, played_vectors: np.ndarray | None = None) -> np.ndarray:
    """(B, K) recommended ids, (B, P) played ids with weights, item vectors of length 1 →
    (B, K) played id behind each recommendation (-1 where there is none).

    ``played_vectors`` (default: the same) are the played tracks' vectors when the recommended
    ones come from elsewhere (the audio model's predictions, in the same space)."""
    R = unit_vectors[np.maximum(recommended, 0)]
    P = (unit_vectors if played_vectors is None else played_vectors)[np.maximum(played, 0)]
    sims = np.matmul(P, R.transpose(0, 2, 1))                  # (B, P, K)
    has = played >= 0
    tiebreak = 1e-6 * np.log1p(np.maximum(weights, 0))
    sims = np.where(has[..., None], sims + tiebreak[..., None], -np.inf)
    best = np.argmax(sims, axis=1)                             # (B, K)
    out = np.take_along_axis(played, best, axis=1)
    out[(recommended < 0) | ~has.any(axis=1)[:, None]] = -1
    return out
