"""The one protocol every recommender answers: collaborative, baselines, and later text, audio, blend.

Queries return ``(ids, scores)``: 1-D arrays for one user or item, 2-D ``(n, N)`` arrays for a batch.
Ids are the warehouse's dense indices (``user_idx``, ``track_idx``). Rows that have fewer than N
answers are padded with id -1 and score -inf.

`user_items` is always a ``scipy.sparse.csr_matrix`` of shape (n_users, n_items) holding the
confidence of each (user, item) pair (see `tastemaker.signals`); its non-zero pattern is "what
the user has already heard".
"""

from __future__ import annotations

import abc
import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..errors import NotFittedError, ParameterError, check_param
from ..kernels import topk


class Recommender(abc.ABC):
    """Base class: `fit` validates and returns self; fitted state ends in ``_``."""

    #: short name used in reports and artefact folders
    name: str = "recommender"

    @abc.abstractmethod
    def fit(self, user_items: sp.csr_matrix) -> "Recommender":
        """Learn from a (n_users, n_items) confidence matrix. Returns self."""

    @abc.abstractmethod
    def _score(self, userids: np.ndarray, user_items: sp.csr_matrix) -> np.ndarray:
        """Dense scores (len(userids), n_items) for a batch of users; higher is better."""

    def recommend(self, userids, user_items: sp.csr_matrix, N: int = 30, *,
                  filter_already_liked_items: bool = True, filter_items=None):
        """Top-N items for one user id or an array of user ids.

        ``user_items`` holds the rows of *those users* (shape (len(userids), n_items)) or the whole
        matrix (shape (n_users, n_items)); its non-zeros are excluded when
        ``filter_already_liked_items``. ``filter_items`` is an array of item ids never returned.
        """
        self._check_fitted()
        single = np.isscalar(userids)
        ids = np.atleast_1d(np.asarray(userids, dtype=np.int64))
        rows = rows_for(ids, user_items)
        scores = self._score(ids, rows).astype(np.float32, copy=False)
        if filter_already_liked_items:
            _mask_rows(scores, rows)
        if filter_items is not None and len(filter_items):
            scores[:, np.asarray(filter_items, dtype=np.int64)] = -np.inf
        top_ids, top_scores = topk(scores, N)
        return (top_ids[0], top_scores[0]) if single else (top_ids, top_scores)

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(user vectors (n_users, d), item vectors (n_items, d)) of a model whose score is their
        dot product (collaborative filtering, BPR, the audio model's predictions); the blend
        builds on any model that has them. Not every model does."""
        raise NotImplementedError(f"{type(self).__name__} has no user and item vectors")

    def similar_items(self, itemid, N: int = 10):
        """Items most similar to one item (the item itself first). Not every model has this."""
        raise NotImplementedError(f"{type(self).__name__} has no item similarity")

    def similar_users(self, userid, N: int = 10):
        """Users most similar to one user (the user itself first). Not every model has this."""
        raise NotImplementedError(f"{type(self).__name__} has no user similarity")

    # -- persistence -------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """Write the fitted model into `folder` (created). Returns the folder."""
        raise NotImplementedError

    @classmethod
    def load(cls, folder: str | Path) -> "Recommender":
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------------
    @property
    def is_fitted(self) -> bool:
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit() or load() first")

    def get_params(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")}


def check_user_items(user_items, owner: str) -> sp.csr_matrix:
    """Validate the training matrix once, with a message that says what to change."""
    if not sp.issparse(user_items):
        raise ParameterError(f"{owner}.fit needs a scipy.sparse CSR matrix of shape (users, items); "
                             f"got {type(user_items).__name__}")
    user_items = sp.csr_matrix(user_items)
    if user_items.shape[0] == 0 or user_items.shape[1] == 0:
        raise ParameterError(f"{owner}.fit got an empty matrix of shape {user_items.shape}")
    return user_items


def rows_for(ids: np.ndarray, user_items: sp.csr_matrix) -> sp.csr_matrix:
    """The rows of `user_items` for the users `ids`: the matrix itself when it holds exactly
    those rows (one per id), else the rows at those indices."""
    user_items = sp.csr_matrix(user_items)
    if user_items.shape[0] == len(ids):
        return user_items
    if ids.size and (ids.min() < 0 or ids.max() >= user_items.shape[0]):
        raise ParameterError(f"user ids must be in [0, {user_items.shape[0]}); got {ids.min()}..{ids.max()}")
    return user_items[ids]


def _mask_rows(scores: np.ndarray, rows: sp.csr_matrix) -> None:
    r, c = rows.nonzero()
    scores[r, c] = -np.inf


class FactorModel(Recommender):
    """A model whose fitted state is a user and an item factor matrix (ALS, BPR, …)."""

    def _set_factors(self, user_factors: np.ndarray, item_factors: np.ndarray) -> None:
        self.user_factors_ = np.ascontiguousarray(user_factors, dtype=np.float32)
        self.item_factors_ = np.ascontiguousarray(item_factors, dtype=np.float32)

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted()
        return self.user_factors_, self.item_factors_

    def save(self, folder) -> Path:
        self._check_fitted()
        folder = Path(folder)
        write_params(folder, self)
        np.save(folder / "user_factors.npy", self.user_factors_)
        np.save(folder / "item_factors.npy", self.item_factors_)
        return folder

    @classmethod
    def load(cls, folder) -> "FactorModel":
        folder = Path(folder)
        model = cls(**read_params(folder))
        model._set_factors(np.load(folder / "user_factors.npy"), np.load(folder / "item_factors.npy"))
        return model


def cosine_neighbours(vectors: np.ndarray, index: int, N: int) -> tuple[np.ndarray, np.ndarray]:
    """The N rows most cosine-similar to row `index` (itself first), with their similarities."""
    check_param("similar", "id", index, low=0, high=len(vectors) - 1, kind=(int, np.integer))
    norms = np.linalg.norm(vectors, axis=1)
    norms[norms == 0] = 1.0
    sims = (vectors @ (vectors[index] / norms[index])) / norms
    n = min(N, len(sims))
    top = np.argpartition(-sims, n - 1)[:n]
    top = top[np.argsort(-sims[top], kind="stable")]
    return top.astype(np.int64), sims[top].astype(np.float32)


def read_params(folder: Path) -> dict:
    return json.loads((Path(folder) / "params.json").read_text())["params"]


def write_params(folder: Path, model: Recommender, extra: dict | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"model": type(model).__name__, "params": model.get_params(), **(extra or {})}
    (folder / "params.json").write_text(json.dumps(doc, indent=2, default=str))
