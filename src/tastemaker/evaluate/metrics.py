"""Ranking metrics at K, in plain NumPy.

Every function reads the recommended lists as an int array ``recs`` of shape (n_users, K), best
first, padded with -1 where a model had fewer than K answers. Accuracy metrics work from the
boolean ``hits`` array of `hits_at_k` and the number of relevant (held-out) items of each user,
and return one value per user; `ranking_metrics` averages them over the users evaluated.

Definitions (T = the user's test items, rel_r = 1 when the item at rank r is in T):

* precision@K = hits / K
* recall@K    = hits / |T|                      (the standard form; it cannot reach 1 when |T| > K)
* NDCG@K      = Σ_r rel_r / log2(r + 1)  over  Σ_{r ≤ min(K, |T|)} 1 / log2(r + 1)   (binary gains)
* AP@K        = Σ_r precision@r · rel_r / min(K, |T|);  MAP@K is its mean over users
* hit rate@K  = 1 when at least one hit
* coverage    = distinct items recommended to anyone / items in the catalogue
* novelty     = mean self-information −log2(p_i) of the recommended items, p_i the share of
                training users who interacted with i (at least one user is assumed, so unseen
                items are finite); averaged per list, then over users
* diversity   = distinct artists in a list / K, averaged over users (an item whose artist is
                unknown counts as its own artist)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import ParameterError

#: the names `ranking_metrics` returns, in report order
METRICS = ("precision", "recall", "ndcg", "map", "hit_rate", "coverage", "novelty", "diversity")


def hits_at_k(recs: np.ndarray, test: sp.csr_matrix) -> np.ndarray:
    """Boolean (n, K): whether ``recs[u, r]`` is one of the non-zeros of row u of ``test``.

    ``test`` has one row per row of ``recs`` (same order). Padding ids (-1) are never hits.

    >>> hits_at_k(np.array([[2, 0, -1]]), sp.csr_matrix(np.array([[1, 0, 1]]))).tolist()
    [[True, True, False]]
    """
    recs = np.asarray(recs)
    if recs.ndim != 2:
        raise ParameterError(f"recs must be a 2-D array (users, K); got shape {recs.shape}")
    test = sp.csr_matrix(test)
    if test.shape[0] != recs.shape[0]:
        raise ParameterError(
            f"test must have one row per row of recs ({recs.shape[0]}); got {test.shape[0]} rows")
    n_items = test.shape[1]
    test = test.copy()
    test.eliminate_zeros()
    rows = np.repeat(np.arange(test.shape[0], dtype=np.int64), np.diff(test.indptr))
    truth = np.sort(rows * n_items + test.indices.astype(np.int64))
    valid = (recs >= 0) & (recs < n_items)
    keys = np.arange(recs.shape[0], dtype=np.int64)[:, None] * n_items + np.where(valid, recs, 0)
    found = np.zeros(recs.shape, dtype=bool)
    if truth.size:
        pos = np.minimum(np.searchsorted(truth, keys), truth.size - 1)
        found = truth[pos] == keys
    return found & valid


def _check(hits: np.ndarray, n_relevant: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    hits = np.asarray(hits, dtype=bool)
    n_relevant = np.asarray(n_relevant, dtype=np.float64)
    if hits.ndim != 2 or n_relevant.shape != (hits.shape[0],):
        raise ParameterError(f"hits must be (users, K) and n_relevant (users,); got {hits.shape} "
                             f"and {n_relevant.shape}")
    if np.any(n_relevant < 1):
        raise ParameterError("every user evaluated needs at least one test item; got a user with 0")
    return hits, n_relevant


def precision_at_k(hits: np.ndarray) -> np.ndarray:
    """Hits over K, per user."""
    hits = np.asarray(hits, dtype=bool)
    return hits.sum(axis=1) / hits.shape[1]


def recall_at_k(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    """Hits over the number of test items, per user."""
    hits, n_relevant = _check(hits, n_relevant)
    return hits.sum(axis=1) / n_relevant


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))


def ndcg_at_k(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    """Binary-gain NDCG, the ideal list holding min(K, |T|) hits, per user."""
    hits, n_relevant = _check(hits, n_relevant)
    k = hits.shape[1]
    disc = _discounts(k)
    ideal = np.concatenate([[0.0], np.cumsum(disc)])[np.minimum(n_relevant, k).astype(np.int64)]
    return (hits * disc).sum(axis=1) / ideal


def average_precision_at_k(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    """AP@K: the precision at each hit's rank, summed, over min(K, |T|); per user."""
    hits, n_relevant = _check(hits, n_relevant)
    k = hits.shape[1]
    prec = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    return (prec * hits).sum(axis=1) / np.minimum(n_relevant, k)


def hit_rate_at_k(hits: np.ndarray) -> np.ndarray:
    """1.0 for users with at least one hit, else 0.0."""
    return np.asarray(hits, dtype=bool).any(axis=1).astype(np.float64)


def catalogue_coverage(recs: np.ndarray, n_items: int) -> float:
    """Distinct items recommended (padding excluded) over the catalogue size."""
    if n_items < 1:
        raise ParameterError(f"n_items must be >= 1; got {n_items}")
    recs = np.asarray(recs)
    return float(np.unique(recs[recs >= 0]).size / n_items)


def item_popularity(train: sp.spmatrix) -> np.ndarray:
    """Users per item with a positive value in ``train`` (int64, one per column)."""
    train = sp.csc_matrix(train)
    return np.diff((train > 0).tocsc().indptr).astype(np.int64)


def novelty(recs: np.ndarray, popularity: np.ndarray, n_users: int) -> np.ndarray:
    """Mean −log2(max(pop_i, 1) / n_users) of each list's items, per user (NaN for an empty list)."""
    if n_users < 1:
        raise ParameterError(f"n_users must be >= 1; got {n_users}")
    recs = np.asarray(recs)
    popularity = np.asarray(popularity, dtype=np.float64)
    valid = recs >= 0
    info = -np.log2(np.maximum(popularity, 1.0) / n_users)
    vals = np.where(valid, info[np.where(valid, recs, 0)], 0.0)
    counts = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, vals.sum(axis=1) / counts, np.nan)


def artist_diversity(recs: np.ndarray, item_artists: np.ndarray) -> np.ndarray:
    """Distinct artists of each list over K, per user; unknown artists (< 0) count as distinct."""
    recs = np.asarray(recs)
    k = recs.shape[1]
    item_artists = np.asarray(item_artists, dtype=np.int64)
    valid = recs >= 0
    artists = np.where(valid, item_artists[np.where(valid, recs, 0)], -1)
    # an unknown artist is its own: give it a code no real artist has
    unknown = valid & (artists < 0)
    artists = np.where(unknown, -2 - np.where(valid, recs, 0), artists)
    artists = np.where(valid, artists, np.iinfo(np.int64).min)
    srt = np.sort(artists, axis=1)
    new = np.ones_like(srt, dtype=bool)
    new[:, 1:] = srt[:, 1:] != srt[:, :-1]
    distinct = (new & (srt != np.iinfo(np.int64).min)).sum(axis=1)
    return distinct / k


def ranking_metrics(recs: np.ndarray, test: sp.csr_matrix, *, n_items: int,
                    popularity: np.ndarray, n_users: int,
                    item_artists: np.ndarray | None = None) -> dict[str, float]:
    """Every metric of `METRICS` averaged over the users (rows) of ``recs`` and ``test``.

    ``n_items`` is the catalogue size for coverage; ``popularity`` and ``n_users`` come from the
    training data (`item_popularity`); without ``item_artists`` diversity is NaN.
    """
    test = sp.csr_matrix(test, copy=True)
    test.eliminate_zeros()
    hits = hits_at_k(recs, test)
    n_rel = np.diff(test.indptr)
    out = {
        "precision": precision_at_k(hits).mean(),
        "recall": recall_at_k(hits, n_rel).mean(),
        "ndcg": ndcg_at_k(hits, n_rel).mean(),
        "map": average_precision_at_k(hits, n_rel).mean(),
        "hit_rate": hit_rate_at_k(hits).mean(),
        "coverage": catalogue_coverage(recs, n_items),
        "novelty": np.nanmean(novelty(recs, popularity, n_users)) if len(recs) else np.nan,
        "diversity": artist_diversity(recs, item_artists).mean() if item_artists is not None
        else np.nan,
    }
    return {k: float(v) for k, v in out.items()}
