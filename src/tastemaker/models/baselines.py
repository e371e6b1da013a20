"""Baselines every evaluation runs beside our models: popularity, item-kNN (BM25) and BPR.

Each answers the `Recommender` protocol, so the evaluator treats them exactly like ALS. The
neighbour and BPR models of `implicit` read positive data only: they learn from the positive part
of the signed confidence matrix (disliked pairs are left out of learning), while the whole
non-zero pattern still filters what a user has already heard.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from .. import progress
from ..errors import check_param
from ..kernels import topk
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
