"""Baselines every evaluation runs beside our models: popularity, item-kNN (BM25), EASE, RP3beta
and BPR.

Each answers the `Recommender` protocol, so the evaluator treats them exactly like ALS. The
neighbour and BPR models of `implicit` read positive data only: they learn from the positive part
of the signed confidence matrix (disliked pairs are left out of learning), while the whole
non-zero pattern still filters what a user has already heard.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from .. import progress
from ..errors import ParameterError, check_param
from ..kernels import sparse_topk, topk
from .base import FactorModel, Recommender, check_user_items, cosine_neighbours, read_params, rows_for, write_params


def positive_part(user_items: sp.spmatrix) -> sp.csr_matrix:
    """The entries with preference 1 (positive confidence); the others are dropped."""
    m = sp.csr_matrix(user_items, dtype=np.float32, copy=True)
    m.data[m.data < 0] = 0
    m.eliminate_zeros()
    return m


class Popularity(Recommender):
    """The same list for everyone: items by number of users (``by="users"``) or by summed positive
    confidence (``by="confidence"``), minus what each user has heard."""

    name = "popularity"

    def __init__(self, by: str = "users"):
        self.by = by

    def fit(self, user_items: sp.csr_matrix) -> "Popularity":
        check_param("Popularity", "by", self.by, choices={"users", "confidence"})
        pos = positive_part(check_user_items(user_items, "Popularity"))
        if self.by == "users":
            pos.data[:] = 1.0
        self.popularity_ = np.asarray(pos.sum(axis=0), dtype=np.float32).ravel()
        self._order = np.argsort(-self.popularity_, kind="stable")
        return self

    def _score(self, userids, user_items):
        return np.broadcast_to(self.popularity_, (len(userids), self.popularity_.size)).copy()

    def recommend(self, userids, user_items, N: int = 30, *, filter_already_liked_items=True,
                  filter_items=None):
        """Ranks only the first N + (longest history) + len(filter_items) popular items."""
        self._check_fitted()
        single = np.isscalar(userids)
        ids = np.atleast_1d(np.asarray(userids, dtype=np.int64))
        rows = rows_for(ids, user_items)
        extra = int(np.diff(rows.indptr).max(initial=0)) if filter_already_liked_items else 0
        n_filter = 0 if filter_items is None else len(filter_items)
        cand = self._order[:N + extra + n_filter]
        scores = np.tile(self.popularity_[cand], (len(ids), 1))
        if filter_already_liked_items:
            r, c = rows[:, cand].nonzero()
            scores[r, c] = -np.inf
        if n_filter:
            scores[:, np.isin(cand, np.asarray(filter_items))] = -np.inf
        pos, vals = topk(scores, N)
        top = np.where(pos >= 0, cand[np.maximum(pos, 0)], -1).astype(np.int64)
        return (top[0], vals[0]) if single else (top, vals)

    def save(self, folder) -> Path:
        self._check_fitted()
        folder = Path(folder)
        write_params(folder, self)
        np.save(folder / "popularity.npy", self.popularity_)
        return folder

    @classmethod
    def load(cls, folder) -> "Popularity":
        model = cls(**read_params(folder))
        model.popularity_ = np.load(Path(folder) / "popularity.npy")
        model._order = np.argsort(-model.popularity_, kind="stable")
        return model


class ItemKNN(Recommender):
    """Item-based nearest neighbours on BM25-weighted data (`implicit`'s ``BM25Recommender``).

    ``K`` neighbours per item; ``k1`` and ``b`` are BM25's saturation and length normalisation.
    A user's score for an item sums the similarities from the items the user likes, weighted by
    the user's confidence; items no liked item points to get no score and are not recommended.
    """

    name = "itemknn"

    def __init__(self, K: int = 100, k1: float = 1.2, b: float = 0.75, num_threads: int = 0):
        self.K = K
        self.k1 = k1
        self.b = b
        self.num_threads = num_threads

    def fit(self, user_items: sp.csr_matrix) -> "ItemKNN":
        check_param("ItemKNN", "K", self.K, low=1, kind=int)
        check_param("ItemKNN", "k1", self.k1, low=0, kind=(int, float))
        check_param("ItemKNN", "b", self.b, low=0, high=1, kind=(int, float))
        pos = positive_part(check_user_items(user_items, "ItemKNN"))
        from implicit.nearest_neighbours import BM25Recommender
        from implicit.utils import ParameterWarning

        impl = BM25Recommender(K=self.K, K1=float(self.k1), B=float(self.b),
                               num_threads=self.num_threads)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)     # idf of items nobody heard
            warnings.simplefilter("ignore", ParameterWarning)   # its own BM25 step hands on COO
            impl.fit(pos, show_progress=False)
        self.similarity_ = sp.csr_matrix(impl.similarity, dtype=np.float32)
        return self

    def _score(self, userids, user_items):
        scores = (positive_part(user_items) @ self.similarity_).toarray()
        scores[scores <= 0] = -np.inf
        return scores

    def similar_items(self, itemid, N: int = 10):
        """The item's stored neighbours by BM25 similarity (the item itself first when stored)."""
        self._check_fitted()
        check_param("similar_items", "itemid", int(itemid), low=0,
                    high=self.similarity_.shape[0] - 1, kind=int)
        row = self.similarity_[int(itemid)]
        order = np.argsort(-row.data, kind="stable")[:N]
        return row.indices[order].astype(np.int64), row.data[order]

    def save(self, folder) -> Path:
        self._check_fitted()
        folder = Path(folder)
        write_params(folder, self)
        sp.save_npz(folder / "similarity.npz", self.similarity_)
        return folder

    @classmethod
    def load(cls, folder) -> "ItemKNN":
        model = cls(**read_params(folder))
        model.similarity_ = sp.load_npz(Path(folder) / "similarity.npz").tocsr()
        return model


def _kept_items(pos: sp.csr_matrix, min_users: int, max_items: int) -> np.ndarray:
    """The items an item-item model learns and ranks: at least `min_users` users, the
    `max_items` most popular of them when there are more (ties: lower id first)."""
    users = np.diff(pos.tocsc().indptr)
    kept = np.flatnonzero(users >= min_users)
    if len(kept) > max_items:
        kept = np.sort(kept[np.argsort(-users[kept], kind="stable")[:max_items]])
    return kept


class _ItemItem(Recommender):
    """A model whose fitted state is an item-item weight matrix over `items_` (the kept items);
    a user's score for an item sums the weights from the items the user likes, other items are
    never recommended."""

    def _score(self, userids, user_items):
        rows = (positive_part(user_items) > 0).astype(np.float32).tocsc()[:, self.items_]
        scores = np.full((rows.shape[0], user_items.shape[1]), -np.inf, dtype=np.float32)
        part = rows @ self.weights_
        scores[:, self.items_] = part.toarray() if sp.issparse(part) else part
        return scores

    def similar_items(self, itemid, N: int = 10):
        """The items with the largest weight from this one (the item itself first)."""
        self._check_fitted()
        n_items = self.n_items_
        check_param("similar_items", "itemid", int(itemid), low=0, high=n_items - 1, kind=int)
        at = np.searchsorted(self.items_, int(itemid))
        if at == len(self.items_) or self.items_[at] != int(itemid):
            return np.array([int(itemid)], dtype=np.int64), np.array([np.inf], dtype=np.float32)
        row = self.weights_[at]
        row = row.toarray().ravel() if sp.issparse(row) else np.asarray(row, dtype=np.float32).copy()
        row[at] = np.inf
        order = np.argsort(-row, kind="stable")[:N]
        order = order[np.isfinite(row[order]) | (order == at)]
        return self.items_[order].astype(np.int64), row[order].astype(np.float32)

    def save(self, folder) -> Path:
        self._check_fitted()
        folder = Path(folder)
        write_params(folder, self, {"n_items": int(self.n_items_)})
        np.save(folder / "items.npy", self.items_)
        if sp.issparse(self.weights_):
            sp.save_npz(folder / "weights.npz", sp.csr_matrix(self.weights_))
        else:
            np.save(folder / "weights.npy", self.weights_)
        return folder

    @classmethod
    def load(cls, folder):
        folder = Path(folder)
        model = cls(**read_params(folder))
        model.n_items_ = int(json.loads((folder / "params.json").read_text())["n_items"])
        model.items_ = np.load(folder / "items.npy")
        dense = folder / "weights.npy"
        model.weights_ = np.load(dense) if dense.exists() else sp.load_npz(folder / "weights.npz").tocsr()
        return model


class EASE(_ItemItem):
    """Embarrassingly shallow autoencoder (Steck, 2019): the item-item weights B that best
    rebuild the binary user × item matrix X from itself with a zero diagonal, in closed form
    ``P = (XᵀX + λI)⁻¹, B = −P / diag(P)`` (diagonal 0).

    The weights are a dense (items × items) matrix: the model learns the items with at least
    ``min_users`` users, at most ``max_items`` of them (the most popular), and recommends only
    those. 20,000 items take 1.6 GB and a few minutes on two cores; a larger catalogue needs a
    sparse model (item-kNN, RP3beta).
    """

    name = "ease"

    def __init__(self, regularization: float = 200.0, min_users: int = 2, max_items: int = 20000):
        self.regularization = regularization
        self.min_users = min_users
        self.max_items = max_items

    def fit(self, user_items: sp.csr_matrix) -> "EASE":
        check_param("EASE", "regularization", self.regularization, low=0, kind=(int, float))
        check_param("EASE", "min_users", self.min_users, low=1, kind=int)
        check_param("EASE", "max_items", self.max_items, low=1, kind=int)
        pos = (positive_part(check_user_items(user_items, "EASE")) > 0).astype(np.float32)
        items = _kept_items(pos, self.min_users, self.max_items)
        X = pos.tocsc()[:, items]
        gram = (X.T @ X).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += float(self.regularization)
        from scipy.linalg import lapack
        with progress.progress(f"Fitting EASE ({len(items):,} items)", total=1) as step:
            chol, info = lapack.dpotrf(gram, lower=False, overwrite_a=True)
            pivots = np.abs(np.diag(chol))
            if info == 0 and pivots.min() > 1e-6 * pivots.max():
                inv, info = lapack.dpotri(chol, lower=False, overwrite_c=True)
            else:
                info = info or -1
            if info != 0:
                raise ParameterError("EASE: the regularised Gram matrix XᵀX + λI cannot be inverted "
                                     "(items with identical listeners and λ = 0?); raise 'regularization'")
            inv = np.triu(inv) + np.triu(inv, 1).T
            step.advance()
        B = -inv / np.diag(inv)[None, :]
        B[np.diag_indices_from(B)] = 0.0
        self.items_ = items.astype(np.int64)
        self.weights_ = B.astype(np.float32)
        self.n_items_ = int(user_items.shape[1])
        return self


class RP3beta(_ItemItem):
    """RP3beta (Paudel et al., 2017): the probability of a three-step random walk item → user →
    item on the bipartite graph, each step's transition raised to ``alpha``, divided by the target
    item's popularity to the power ``beta``; the ``K`` largest weights of each item are kept
    (a sparse matrix: fits any catalogue that fits in memory; ``block`` items at a time, their
    co-occurrences never dense)."""

    name = "rp3beta"

    def __init__(self, K: int = 200, alpha: float = 1.0, beta: float = 0.5, min_users: int = 1,
                 max_items: int = 1_000_000, block: int = 1024):
        self.K = K
        self.alpha = alpha
        self.beta = beta
        self.min_users = min_users
        self.max_items = max_items
        self.block = block

    def fit(self, user_items: sp.csr_matrix) -> "RP3beta":
        check_param("RP3beta", "K", self.K, low=1, kind=int)
        check_param("RP3beta", "alpha", self.alpha, low=0, kind=(int, float))
        check_param("RP3beta", "beta", self.beta, low=0, kind=(int, float))
        check_param("RP3beta", "min_users", self.min_users, low=1, kind=int)
        check_param("RP3beta", "max_items", self.max_items, low=1, kind=int)
        check_param("RP3beta", "block", self.block, low=1, kind=int)
        pos = (positive_part(check_user_items(user_items, "RP3beta")) > 0).astype(np.float32)
        items = _kept_items(pos, self.min_users, self.max_items)
        X = sp.csr_matrix(pos.tocsc()[:, items])
        def rownorm(m):
            d = np.asarray(m.sum(axis=1)).ravel()
            d[d == 0] = 1.0
            out = sp.diags(1.0 / d).astype(np.float32) @ m
            out.data **= float(self.alpha)
            return sp.csr_matrix(out)
        p_ui, p_iu = rownorm(X), rownorm(sp.csr_matrix(X.T))
        popularity = np.asarray(X.sum(axis=0)).ravel()
        penalty = np.power(np.maximum(popularity, 1.0), -float(self.beta)).astype(np.float32)
        n = len(items)
        scale = sp.diags(penalty).astype(np.float32)
        rows, cols, vals = [], [], []
        with progress.progress(f"Fitting RP3beta ({n:,} items)", total=n) as step:
            for start in range(0, n, self.block):
                W = sp.csr_matrix((p_iu[start:start + self.block] @ p_ui) @ scale)
                top, val = sparse_topk(W, self.K + 1)        # one more: the item itself is dropped
                r = np.arange(W.shape[0])[:, None] + start
                ok = (top >= 0) & (top != r) & (val > 0)
                order = np.cumsum(ok, axis=1) <= self.K
                ok &= order
                rows.append(np.broadcast_to(r, top.shape)[ok])
                cols.append(top[ok])
                vals.append(val[ok])
                step.advance(W.shape[0])
        self.items_ = items.astype(np.int64)
        self.weights_ = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                      shape=(n, n), dtype=np.float32)
        self.n_items_ = int(user_items.shape[1])
        return self


class BPR(FactorModel):
    """Bayesian Personalised Ranking (`implicit`'s CPU engine) on the positive pairs.

    ``num_threads=1`` (the default) makes a seeded fit reproducible; more threads train faster
    but in an order that changes from run to run.
    """

    name = "bpr"

    def __init__(self, factors: int = 64, learning_rate: float = 0.01,
                 regularization: float = 0.01, iterations: int = 100, seed: int = 42,
                 num_threads: int = 1):
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.seed = seed
        self.num_threads = num_threads

    def fit(self, user_items: sp.csr_matrix) -> "BPR":
        check_param("BPR", "factors", self.factors, low=1, kind=int)
        check_param("BPR", "learning_rate", self.learning_rate, low=0, kind=(int, float))
        check_param("BPR", "regularization", self.regularization, low=0, kind=(int, float))
        check_param("BPR", "iterations", self.iterations, low=1, kind=int)
        check_param("BPR", "num_threads", self.num_threads, low=0, kind=int)
        pos = positive_part(check_user_items(user_items, "BPR"))
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        impl = BayesianPersonalizedRanking(
            factors=self.factors, learning_rate=float(self.learning_rate),
            regularization=float(self.regularization), iterations=self.iterations,
            num_threads=self.num_threads, random_state=self.seed)
        with threadpool_limits(1, "blas"), warnings.catch_warnings(), \
                progress.progress("Fitting BPR (epochs)", total=self.iterations) as step:
            warnings.simplefilter("ignore", RuntimeWarning)
            impl.fit(pos, show_progress=False, callback=lambda *_: step.advance())
        # implicit keeps the item bias as the last factor (users hold 1 there)
        self._set_factors(impl.user_factors, impl.item_factors)
        return self

    def _score(self, userids, user_items):
        with threadpool_limits(1, "blas"):
            return self.user_factors_[userids] @ self.item_factors_.T

    def similar_items(self, itemid, N: int = 10):
        self._check_fitted()
        return cosine_neighbours(self.item_factors_[:, :-1], int(itemid), N)
