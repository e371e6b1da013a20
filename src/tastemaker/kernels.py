"""The small NumPy kernels every model and the blend share, each in one place.

* `topk` — row-wise top-k of a dense score array (best first, -1 where nothing is left);
* `dot_topk` — the top-k items by dot product of query and item vectors, without the dense
  score array (`implicit`'s threaded top-k), with exclusions;
* `sparse_topk` — the same per row of a sparse matrix, over its positive entries;
* `row_dots` — each row's query against its own candidates' vectors;
* `unit_rows` — rows scaled to length 1 (zero rows stay zero);
* `lookup`, `lookup_values` — gather entries of a sparse matrix at (row, id) pairs;
* `zscore` — each row standardised over its finite values;
* `group_sums`, `top_groups` — each user's positive confidence summed by group (artist), and
  the user's strongest groups with weights summing to 1;
* `cap_per_artist` — at most N tracks of each artist, in score order.

All are vectorised over a batch of rows and allocate at most a few arrays of the batch's size.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from implicit.cpu.topk import topk as _implicit_topk
from threadpoolctl import threadpool_limits

#: the z-score given to a missing value: clearly below the row's average
MISSING_Z = -2.0


def topk(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise top-k of a dense (n, m) score array, best first; -inf entries come back as id -1.

    >>> topk(np.array([[0.1, 0.9, -np.inf]]), 3)[0].tolist()
    [[1, 0, -1]]
    """
    n, m = scores.shape
    k_eff = min(k, m)
    part = np.argpartition(-scores, k_eff - 1, axis=1)[:, :k_eff] if k_eff < m else \
        np.tile(np.arange(m), (n, 1))
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    ids = np.take_along_axis(part, order, axis=1).astype(np.int64)
    vals = np.take_along_axis(part_scores, order, axis=1)
    ids[~np.isfinite(vals)] = -1
    if k_eff < k:
        ids = np.pad(ids, ((0, 0), (0, k - k_eff)), constant_values=-1)
        vals = np.pad(vals, ((0, 0), (0, k - k_eff)), constant_values=-np.inf)
    return ids, vals


def dot_topk(item_vectors: np.ndarray, query: np.ndarray, k: int, *, exclude: sp.csr_matrix | None = None,
             banned=None, num_threads: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(B, k) ids and scores of the items with the largest ``query[b] · item_vectors[i]``, best
    first, without a (B × items) score array (`implicit`'s C++ top-k, on every core).
    ``exclude`` (B, n_items) sparse: per-row items never returned; ``banned``: item ids never
    returned. Rows with fewer than k answers are padded with id -1 and score -inf."""
    n = min(k, len(item_vectors))
    items = np.ascontiguousarray(item_vectors, dtype=np.float32)
    query = np.atleast_2d(np.ascontiguousarray(query, dtype=np.float32))
    banned = None if banned is None else np.asarray(banned, np.int32)
    if exclude is None or sp.csr_matrix(exclude).nnz == 0:
        with threadpool_limits(1, "blas"):
            ids, scores = _implicit_topk(items, query, n, filter_items=banned, num_threads=num_threads)
    else:
        ids, scores = _topk_excluding(items, query, n, sp.csr_matrix(exclude), banned, num_threads)
    ids, scores = np.atleast_2d(ids).astype(np.int64), np.atleast_2d(scores)
    if ids.shape[1] < k:
        ids = np.pad(ids, ((0, 0), (0, k - ids.shape[1])), constant_values=-1)
        scores = np.pad(scores, ((0, 0), (0, k - scores.shape[1])), constant_values=-np.inf)
    bad = ~np.isfinite(scores) | (scores <= np.finfo(np.float32).min / 2)
    ids[bad], scores[bad] = -1, -np.inf
    return ids, scores


def _topk_excluding(items, query, n: int, exclude: sp.csr_matrix, banned, num_threads: int):
    """`implicit`'s top-k asked for n + (the row's exclusions) items, the excluded ones then
    dropped: the same answer as filtering each row before selecting (which `implicit` does with
    one sparse-row lookup per query row, under the GIL), in a few vectorised steps. Rows are
    grouped by how many items they exclude so that a long history does not widen every row."""
    B = query.shape[0]
    counts = np.diff(exclude.indptr)
    order = np.argsort(counts, kind="stable")
    ids = np.full((B, n), -1, dtype=np.int64)
    scores = np.full((B, n), -np.inf, dtype=np.float32)
    edges = np.unique(np.searchsorted(counts[order], np.quantile(counts, [0.5, 0.9, 0.99, 1.0]), side="right"))
    start = 0
    for end in edges:
        rows = order[start:end]
        start = end
        if not len(rows):
            continue
        wide = int(min(len(items), n + counts[rows].max()))
        with threadpool_limits(1, "blas"):
            got, sc = _implicit_topk(items, query[rows], wide, filter_items=banned, num_threads=num_threads)
        got = np.atleast_2d(got).astype(np.int64)
        sc = np.atleast_2d(sc)
        drop = lookup(exclude[rows], got) | ~np.isfinite(sc) | (sc <= np.finfo(np.float32).min / 2)
        keep = np.argsort(drop, axis=1, kind="stable")[:, :n]          # the first n kept, in score order
        kept_ids, kept_sc = np.take_along_axis(got, keep, 1), np.take_along_axis(sc, keep, 1)
        gone = np.take_along_axis(drop, keep, 1)
        kept_ids[gone], kept_sc[gone] = -1, -np.inf
        ids[rows, :kept_ids.shape[1]], scores[rows, :kept_sc.shape[1]] = kept_ids, kept_sc
    return ids, scores


def sparse_topk(m: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a sparse matrix the k columns with the largest positive values, best first,
    equal values by column: (B, k) ids (-1 pad) and values (-inf pad).

    Each row's entries are laid out in column order in a padded (B, widest row) array; the k-th
    largest value of each row is found by partition, the entries above it are kept with as many
    of those equal to it as fit, leftmost first, and only those k are sorted (no sort of all the
    entries)."""
    m = sp.csr_matrix(m)
    m.sort_indices()
    B = m.shape[0]
    n = np.diff(m.indptr)
    width = max(int(n.max(initial=0)), k, 1)
    row = np.repeat(np.arange(B), n)
    pos = np.arange(m.nnz) - m.indptr[row]
    vals = np.full((B, width), -np.inf, dtype=np.float32)
    cols = np.full((B, width), -1, dtype=np.int64)
    vals[row, pos] = np.where(m.data > 0, m.data, -np.inf)
    cols[row, pos] = m.indices
    if k <= 0 or B == 0:
        return np.full((B, max(k, 0)), -1, np.int64), np.full((B, max(k, 0)), -np.inf, np.float32)
    kth = -np.partition(-vals, k - 1, axis=1)[:, k - 1:k]           # (B, 1) the k-th largest value
    above = vals > kth
    tied = vals == kth
    need = k - above.sum(axis=1, keepdims=True)
    chosen = above | (tied & (np.cumsum(tied, axis=1) <= need))     # exactly k per row, in column order
    at = np.nonzero(chosen)[1].reshape(B, k)
    top = np.take_along_axis(vals, at, 1)
    order = np.argsort(-top, axis=1, kind="stable")                 # equal values keep column order
    at, top = np.take_along_axis(at, order, 1), np.take_along_axis(top, order, 1)
    ids = np.where(np.isfinite(top), np.take_along_axis(cols, at, 1), -1)
    return ids, np.where(np.isfinite(top), top, -np.inf).astype(np.float32)


def row_dots(queries: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """(B, C) dot products of each row's query (B, d) with its C vectors (B, C, d), as one
    batched matrix product (``np.einsum`` without a plan is ~20× slower here)."""
    return np.matmul(vectors, queries[:, :, None])[..., 0]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero), float32."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)


def lookup(m: sp.csr_matrix, ids: np.ndarray) -> np.ndarray:
    """(B, C) True where row b of sparse `m` has a non-zero at column ids[b, c] (ids < 0: False)."""
    m = sp.csr_matrix(m)
    B, C = ids.shape
    out = np.zeros((B, C), dtype=bool)
    if m.nnz == 0 or out.size == 0:
        return out
    safe = np.maximum(ids, 0)
    vals = np.asarray(m[np.repeat(np.arange(B), C), safe.ravel()]).reshape(B, C)
    return (vals != 0) & (ids >= 0)


def lookup_values(m: sp.csr_matrix, cols: np.ndarray) -> np.ndarray:
    """(B, C) float32 values of row b of sparse `m` at column cols[b, c] (0 where cols < 0)."""
    B, C = cols.shape
    if B * C == 0:                       # no column asked for (a source without candidates)
        return np.zeros((B, C), dtype=np.float32)
    vals = np.asarray(m[np.repeat(np.arange(B), C), np.maximum(cols, 0).ravel()]).reshape(B, C)
    return np.where(cols >= 0, vals, 0).astype(np.float32)


def zscore(values: np.ndarray) -> np.ndarray:
    """Standardise each row over its finite values; non-finite entries become `MISSING_Z`."""
    ok = np.isfinite(values)
    n = ok.sum(axis=1, keepdims=True)
    v = np.where(ok, values, 0.0)
    mean = v.sum(axis=1, keepdims=True) / np.maximum(n, 1)
    var = (np.where(ok, values - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / np.maximum(n, 1)
    z = (values - mean) / np.sqrt(np.where(var > 0, var, 1.0))
    return np.where(ok, z, MISSING_Z).astype(np.float32)


def group_sums(rows: sp.csr_matrix, group_of: np.ndarray, n_groups: int) -> sp.csr_matrix:
    """(B, n_groups) each row's positive values summed by the group of their column (columns of
    group -1 are left out)."""
    pos = sp.csr_matrix(rows).multiply(rows > 0).tocoo()
    group = group_of[pos.col]
    keep = group >= 0
    m = sp.csr_matrix((pos.data[keep].astype(np.float32), (pos.row[keep], group[keep])),
                      shape=(rows.shape[0], max(n_groups, 1)))
    m.sum_duplicates()
    return m


def top_groups(sums: sp.csr_matrix, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(B, n) each row's n largest groups of `group_sums` (-1 pad) and weights summing to 1."""
    ids, w = sparse_topk(sums, n)
    w = np.where(ids >= 0, w, 0).astype(np.float32)
    total = w.sum(axis=1, keepdims=True)
    return ids, np.where(total > 0, w / np.where(total == 0, 1, total), 0).astype(np.float32)


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
