"""The shared kernels against plain NumPy written the obvious way."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tastemaker.kernels import dot_topk, lookup, lookup_values, row_dots


def _brute(items, query, k, exclude, banned):
    scores = query @ items.T
    scores[exclude.toarray() != 0] = -np.inf
    scores[:, banned] = -np.inf
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(scores, order, 1)
    return np.where(np.isfinite(top), order, -1), top


def test_dot_topk_with_exclusions_equals_filtering_each_row_first():
    rng = np.random.default_rng(0)
    items = rng.standard_normal((300, 8)).astype(np.float32)
    query = rng.standard_normal((257, 8)).astype(np.float32)
    counts = rng.choice([0, 1, 5, 40, 290, 300], size=len(query), p=[0.3, 0.3, 0.2, 0.15, 0.04, 0.01])
    rows = np.repeat(np.arange(len(query)), counts)
    cols = np.concatenate([rng.choice(300, size=c, replace=False) for c in counts])
    exclude = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(query), 300))
    banned = np.array([3, 99, 250])
    ids, scores = dot_topk(items, query, 20, exclude=exclude, banned=banned)
    want_ids, want_scores = _brute(items, query, 20, exclude, banned)
    assert ids.shape == (257, 20)
    for got, want, gs, ws in zip(ids, want_ids, scores, want_scores):
        assert set(got[got >= 0]) == set(want[want >= 0])      # rows with < 20 left are padded with -1
        np.testing.assert_allclose(np.sort(gs[np.isfinite(gs)]), np.sort(ws[np.isfinite(ws)]), rtol=1e-5)
    assert (ids[counts >= 290] == -1).sum() > 0                  # nothing, or almost, left for those
    assert not np.isin(ids, banned).any()


def test_row_dots_is_each_rows_dot_products():
    rng = np.random.default_rng(1)
    q, v = rng.standard_normal((5, 4)), rng.standard_normal((5, 3, 4))
    np.testing.assert_allclose(row_dots(q, v), [[v[b, c] @ q[b] for c in range(3)] for b in range(5)])


def test_lookups_read_the_sparse_rows_and_take_an_empty_set_of_columns():
    m = sp.csr_matrix(np.array([[0, 2.5, 0], [1.0, 0, 0]], np.float32))
    cols = np.array([[1, 0, -1], [0, 2, -1]])
    assert lookup_values(m, cols).tolist() == [[2.5, 0, 0], [1.0, 0, 0]]
    assert lookup(m, cols).tolist() == [[True, False, False], [True, False, False]]
    # a source with no candidates for a batch: (B, 0) columns give (B, 0) answers
    assert lookup_values(m, np.zeros((2, 0), np.int64)).shape == (2, 0)
    assert lookup(m, np.zeros((2, 0), np.int64)).shape == (2, 0)
