"""Implicit-feedback ALS through the `implicit` library (GPU when CUDA is present, CPU otherwise).

The confidence matrix is passed to `implicit` with its values c_ui (positive: preference 1;
negative: preference 0 with confidence |c|), so the objective is Hu, Koren & Volinsky's
``Σ c_ui (p_ui − x_uᵀ y_i)² + λ(Σ‖x_u‖² + Σ‖y_i‖²)``. ``confidence_scale`` s first stretches
every confidence's excess over the baseline, ``|c| → 1 + s·(|c| − 1)``: ALS's own α on top of the
home's shared weighting (`tastemaker.signals`), which the item-item model reads unchanged.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from .. import progress
from ..errors import check_param
from ..kernels import dot_topk
from .base import FactorModel, check_user_items, cosine_neighbours


def _gpu_available() -> bool:
    try:
        import implicit.gpu
        return bool(implicit.gpu.HAS_CUDA)
    except Exception:  # pragma: no cover - depends on the build
        return False


def scale_confidence(user_items: sp.csr_matrix, scale: float) -> sp.csr_matrix:
    """A copy of the signed confidence matrix with every ``|c|`` replaced by ``1 + scale·(|c| − 1)``
    (the sign, i.e. the preference, kept).

    >>> scale_confidence(sp.csr_matrix(np.array([[3.0, -2.0]])), 2.0).toarray()
    array([[ 5., -3.]])
    """
    out = user_items.copy()
    mag = np.abs(out.data)
    out.data = (np.sign(out.data) * (1 + scale * (mag - 1))).astype(out.data.dtype, copy=False)
    return out


class ALS(FactorModel):
    """Matrix factorisation of implicit feedback.

    Parameters: ``factors`` (dimension of x_u and y_i), ``regularization`` (λ), ``iterations``,
    ``seed`` (same seed and data → same vectors), ``use_gpu`` (None: when available),
    ``confidence_scale`` (s above; 1 leaves the matrix as it is).
    """

    name = "als"

    def __init__(self, factors: int = 64, regularization: float = 20.0, iterations: int = 15,
                 seed: int = 42, use_gpu: bool | None = None, num_threads: int = 0,
                 confidence_scale: float = 1.0):
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.seed = seed
        self.use_gpu = use_gpu
        self.num_threads = num_threads
        self.confidence_scale = confidence_scale

    @classmethod
    def from_params(cls, params, **kwargs) -> "ALS":
        """The unfitted model of an `ALSParams` (``[als]``)."""
        return cls(factors=params.factors, regularization=params.regularization, iterations=params.iterations,
                   seed=params.seed, confidence_scale=params.confidence_scale, **kwargs)

    def checked_confidence(self, user_items: sp.csr_matrix) -> sp.csr_matrix:
        """The parameters checked and the matrix to fit: float32, ``confidence_scale`` applied
        (shared by every library that fits these parameters)."""
        owner = type(self).__name__
        check_param(owner, "factors", self.factors, low=1, kind=int)
        check_param(owner, "regularization", self.regularization, low=0, kind=(int, float))
        check_param(owner, "iterations", self.iterations, low=1, kind=int)
        check_param(owner, "confidence_scale", self.confidence_scale, low=0, kind=(int, float))
        user_items = check_user_items(user_items, owner).astype(np.float32)
        return scale_confidence(user_items, self.confidence_scale) if self.confidence_scale != 1 else user_items

    def fit(self, user_items: sp.csr_matrix) -> "ALS":
        user_items = self.checked_confidence(user_items)
        gpu = _gpu_available() if self.use_gpu is None else self.use_gpu
        from implicit.als import AlternatingLeastSquares

        # implicit is fastest with single-threaded BLAS; it parallelises over users itself
        with threadpool_limits(1, "blas"), warnings.catch_warnings(), \
                progress.progress("Fitting ALS (iterations)", total=self.iterations) as step:
            warnings.simplefilter("ignore", RuntimeWarning)
            impl = AlternatingLeastSquares(
                factors=self.factors, regularization=float(self.regularization), alpha=1.0,
                iterations=self.iterations, random_state=self.seed, use_gpu=gpu,
                num_threads=self.num_threads)
            impl.fit(user_items, show_progress=False, callback=lambda *_: step.advance())
        if gpu:
            impl = impl.to_cpu()
        self._set_factors(np.asarray(impl.user_factors), np.asarray(impl.item_factors))
        return self

    def _score(self, userids, user_items):
        return self.user_factors_[userids] @ self.item_factors_.T

    def recommend(self, userids, user_items, N: int = 30, *, filter_already_liked_items=True,
                  filter_items=None):
        """Batched GEMM + a threaded top-k (`tastemaker.kernels.dot_topk`), rows padded with -1
        past the valid items."""
        self._check_fitted()
        single = np.isscalar(userids)
        ids = np.atleast_1d(np.asarray(userids, dtype=np.int64))
        rows = sp.csr_matrix(user_items)
        if rows.shape[0] != len(ids):
            rows = rows[ids]
        top, scores = dot_topk(self.item_factors_, self.user_factors_[ids], N,
                               exclude=rows if filter_already_liked_items else None, banned=filter_items,
                               num_threads=self.num_threads)
        return (top[0], scores[0]) if single else (top, scores)

    def similar_items(self, itemid, N: int = 10):
        """Cosine neighbours of one item's vector (the item itself first)."""
        self._check_fitted()
        return cosine_neighbours(self.item_factors_, int(itemid), N)

    def similar_users(self, userid, N: int = 10):
        self._check_fitted()
        return cosine_neighbours(self.user_factors_, int(userid), N)
