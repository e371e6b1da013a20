"""Collaborative filtering on Spark: MLlib's implicit-feedback ALS on the home's confidence matrix.

The same objective as `tastemaker.models.als.ALS` (Hu, Koren & Volinsky), with two differences
that are MLlib's:

* **Confidence.** MLlib reads a rating r as preference ``r > 0`` with confidence ``1 + α·|r|``;
  a pair of confidence c (signed: negative means preference 0) is passed as
  ``r = sign(c)·(|c| − 1)`` with α = 1, so MLlib weighs each pair exactly as `implicit` does
  (a positive pair at the baseline keeps a tiny positive r so that its preference stays 1).
* **Regularisation.** MLlib multiplies λ by each user's (each track's) number of positive pairs
  (ALS-WR, Zhou et al. 2008) where `implicit` uses one λ for all. ``[engine.spark] reg_param``
  sets MLlib's λ; 0 (the default) maps ``[als] regularization`` onto its scale, divided by the
  mean positives per user, so that an average user is held back as much as by `implicit`.
  Heavy users and popular tracks are then held back more, light ones less.

The factors are saved in `FactorModel`'s format with the parameters of `ALS` (and the Spark
ones beside them), so the blend, ``similar`` and the service read them whatever engine trained
them. ALS's lineage grows with every iteration; it is checkpointed every
``checkpoint_interval`` iterations into ``[engine.spark] checkpoint_dir``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from ... import progress
from ...config import ALSParams, Settings
from ...errors import check_param
from ...models.als import ALS
from ...models.base import write_params
from .connection import checkpoint_dir, session

#: the smallest rating handed to MLlib for a positive pair at the baseline confidence
_TINY = 1e-6


def mllib_ratings(user_items: sp.csr_matrix) -> pa.Table:
    """The pairs of a signed confidence matrix as MLlib's implicit ratings: columns ``user``,
    ``item`` (int32) and ``rating`` (float32) = ``sign(c)·(|c| − 1)``, positives at least 1e-6.

    >>> mllib_ratings(sp.csr_matrix(np.array([[3.0, -2.0, 1.0]], np.float32))).column("rating").to_pylist()
    [2.0, -1.0, 9.999999974752427e-07]
    """
    coo = sp.coo_matrix(user_items)
    c = coo.data.astype(np.float32)
    excess = np.abs(c) - 1
    rating = np.where(c > 0, np.maximum(excess, _TINY), -np.maximum(excess, 0)).astype(np.float32)
    return pa.table({"user": coo.row.astype(np.int32), "item": coo.col.astype(np.int32), "rating": rating})


def mapped_reg_param(user_items: sp.csr_matrix, regularization: float) -> float:
    """`implicit`'s λ on MLlib's scale: λ divided by the mean positive pairs of the users that have any."""
    positives = np.diff(sp.csr_matrix(user_items > 0).indptr)
    mean = positives[positives > 0].mean() if (positives > 0).any() else 1.0
    return float(regularization) / float(mean)


class SparkALS(ALS):
    """`ALS` fitted by Spark MLlib (``pyspark.ml.recommendation.ALS``, ``implicitPrefs``).

    Parameters are those of `ALS` (``factors`` → rank, ``iterations`` → maxIter, ``seed``,
    ``regularization`` mapped as the module says unless ``reg_param`` > 0, ``confidence_scale``)
    and ``checkpoint_interval``; ``settings``: the home whose Spark session and checkpoint
    folder are used. Once fitted it is an `ALS` in every respect (recommend, similar, save)."""

    def __init__(self, factors: int = 64, regularization: float = 20.0, iterations: int = 15,
                 seed: int = 42, confidence_scale: float = 1.0, *, settings: Settings,
                 reg_param: float = 0.0, checkpoint_interval: int = 5, num_threads: int = 0):
        super().__init__(factors=factors, regularization=regularization, iterations=iterations, seed=seed,
                         use_gpu=False, num_threads=num_threads, confidence_scale=confidence_scale)
        self._settings = settings
        self._reg_param = reg_param
        self._checkpoint_interval = checkpoint_interval

    @classmethod
    def from_params(cls, params: ALSParams, *, settings: Settings, **kwargs) -> "SparkALS":
        """The unfitted model of ``[als]`` with ``[engine.spark]``'s regularisation and checkpoints."""
        spark = settings.engine.spark
        return cls(factors=params.factors, regularization=params.regularization, iterations=params.iterations,
                   seed=params.seed, confidence_scale=params.confidence_scale, settings=settings,
                   reg_param=spark.reg_param, checkpoint_interval=spark.checkpoint_interval, **kwargs)

    def fit(self, user_items: sp.csr_matrix) -> "SparkALS":
        check_param("SparkALS", "reg_param", self._reg_param, low=0, kind=(int, float))
        user_items = self.checked_confidence(user_items)
        reg = float(self._reg_param) or mapped_reg_param(user_items, self.regularization)
        n_users, n_items = user_items.shape
        with progress.progress(f"Fitting ALS on Spark ({self._settings.engine.spark.master}, "
                               f"{self.iterations} iterations)") as _:
            spark = session(self._settings)
            spark.sparkContext.setCheckpointDir(checkpoint_dir(self._settings))
            from pyspark.ml.recommendation import ALS as MLlibALS

            started = time.perf_counter()
            ratings = spark.createDataFrame(mllib_ratings(user_items))
            mllib = MLlibALS(rank=self.factors, maxIter=self.iterations, regParam=reg, implicitPrefs=True,
                             alpha=1.0, userCol="user", itemCol="item", ratingCol="rating", seed=self.seed,
                             checkpointInterval=self._checkpoint_interval, nonnegative=False,
                             coldStartStrategy="drop")
            fitted = mllib.fit(ratings)
            users = _factors(fitted.userFactors, n_users, self.factors)
            items = _factors(fitted.itemFactors, n_items, self.factors)
            self.spark_ = {"master": self._settings.engine.spark.master, "reg_param": reg,
                           "reg_param_mapped": not self._reg_param,
                           "checkpoint_interval": self._checkpoint_interval,
                           "seconds": round(time.perf_counter() - started, 3)}
        self._set_factors(users, items)
        return self

    def save(self, folder) -> Path:
        """The factors in `ALS`'s format; params.json also says that Spark fitted them, and how."""
        self._check_fitted()
        folder = Path(folder)
        write_params(folder, ALS(**self.get_params()), {"fitted_by": {"engine": "spark", **self.spark_}})
        np.save(folder / "user_factors.npy", self.user_factors_)
        np.save(folder / "item_factors.npy", self.item_factors_)
        return folder


def _factors(frame, n: int, rank: int) -> np.ndarray:
    """MLlib's (id, features) factor table as a dense (n, rank) array, zeros for ids it never saw."""
    table = frame.toArrow()
    out = np.zeros((n, rank), dtype=np.float32)
    ids = table.column("id").to_numpy()
    if len(ids):
        values = table.column("features").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        out[ids] = np.asarray(values, dtype=np.float32).reshape(len(ids), rank)
    return out

