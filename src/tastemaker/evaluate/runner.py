"""The evaluator: fit a model on a split's train, ask it for K items per test user, score the lists.

It needs nothing from a model but the `Recommender` protocol: ``fit(user_items)`` and batched
``recommend(userids, user_items, N, filter_already_liked_items=True, filter_items=...)``, so the
baselines, ALS and any later model (text, audio, blend) are evaluated the same way.

    >>> result = evaluate_model(ALS(factors=64), split, weights=settings.signals, k=30)
    >>> result.metrics["ndcg"]
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import os
import time
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from .. import progress
from ..config import SignalWeights
from ..errors import ParameterError, check_param
from ..models.als import ALS
from ..models.base import Recommender
from ..models.baselines import BPR, EASE, ItemKNN, Popularity, RP3beta
from .metrics import ranking_metrics
from .splits import Split

#: models the evaluator knows by name (``--models``), in report order
MODELS: dict[str, type[Recommender]] = {
    "popularity": Popularity, "itemknn": ItemKNN, "ease": EASE, "rp3beta": RP3beta, "bpr": BPR, "als": ALS}

#: scores held in memory at once while ranking (float32 values): bounds a batch of users
SCORE_BUDGET = 1 << 24


def make_model(name: str, params: dict | None = None, *, seed: int | None = None) -> Recommender:
    """A fresh, unfitted model by name; ``seed`` is passed to models that take one."""
    if name not in MODELS:
        raise ParameterError(f"Unknown model {name!r}; expected one of {list(MODELS)}")
    params = dict(params or {})
    cls = MODELS[name]
    if seed is not None and "seed" in inspect.signature(cls).parameters:
        params.setdefault("seed", seed)
    return cls(**params)


@dataclass
class ModelResult:
    """One model's metrics on one split, with what made it."""

    name: str
    metrics: dict[str, float]
    params: dict
    signals: dict
    fit_seconds: float
    recommend_seconds: float
    users: int
    k: int
    extra: dict = field(default_factory=dict)   # e.g. the search that chose the params
    lists: np.ndarray | None = field(default=None, repr=False)   # (users, k) ids, kept on request

    def to_dict(self) -> dict:
        return {f.name: dataclasses.asdict(self)[f.name] if f.name != "lists" else None
                for f in dataclasses.fields(self) if f.name != "lists"}


@contextlib.contextmanager
def _quiet_models():
    """Models draw their own progress bars unless told to be quiet; inside the evaluator's bars
    (and dozens of search trials) they would only interleave."""
    before = os.environ.get("TASTEMAKER_QUIET")
    os.environ["TASTEMAKER_QUIET"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TASTEMAKER_QUIET", None)
        else:
            os.environ["TASTEMAKER_QUIET"] = before


def _batch_size(n_items: int) -> int:
    return int(max(1, min(4096, SCORE_BUDGET // max(1, n_items))))


def recommend_lists(model: Recommender, split: Split, train, *, k: int,
                    batch_size: int | None = None, step=None) -> np.ndarray:
    """(len(split.users), k) lists for the split's test users, asked for in batches."""
    users = split.users
    out = np.full((len(users), k), -1, dtype=np.int64)
    size = batch_size or _batch_size(split.shape[1])
    for start in range(0, len(users), size):
        batch = users[start:start + size]
        ids, _ = model.recommend(batch, train[batch], N=k, filter_already_liked_items=True,
                                 filter_items=split.filter_items)
        ids = np.atleast_2d(np.asarray(ids, dtype=np.int64))
        if ids.shape != (len(batch), k):
            raise ParameterError(f"{type(model).__name__}.recommend must return ({len(batch)}, {k}) "
                                 f"ids for a batch of {len(batch)} users; got {ids.shape}")
        out[start:start + len(batch)] = ids
        if step is not None:
            step.advance(len(batch))
    return out


def evaluate_model(model: Recommender, split: Split, *, weights: SignalWeights, k: int = 30,
                   fit: bool = True, name: str | None = None, batch_size: int | None = None,
                   show_progress: bool = False, step=None, segments: dict[str, np.ndarray] | None = None,
                   keep_lists: bool = False) -> ModelResult:
    """Fit ``model`` on ``split.train_matrix(weights)`` (unless ``fit=False``: already fitted on
    it) and score its top-``k`` lists of unheard items for every test user.

    ``step``: a progress step to advance (instead of a bar of its own); ``segments``: boolean
    masks over ``split.users`` whose metrics go into ``extra["segments"]`` (with their sizes);
    ``keep_lists``: keep the lists in ``result.lists``."""
    check_param("evaluate_model", "k", k, low=1, kind=int)
    if not len(split.users):
        raise ParameterError(f"The {split.kind} split has no user to evaluate (no test items)")
    train = split.train_matrix(weights)
    t0 = time.perf_counter()
    if fit:
        with contextlib.nullcontext() if show_progress else _quiet_models():
            model.fit(train)
    t1 = time.perf_counter()
    label = name or getattr(model, "name", type(model).__name__)
    if show_progress and step is None:
        with progress.progress(f"Ranking ({label})", total=len(split.users)) as bar:
            recs = recommend_lists(model, split, train, k=k, batch_size=batch_size, step=bar)
    else:
        recs = recommend_lists(model, split, train, k=k, batch_size=batch_size, step=step)
    t2 = time.perf_counter()
    test, catalogue = split.test[split.users], split.catalogue()
    metrics = ranking_metrics(recs, test, **catalogue)
    extra = {}
    if segments:
        extra["segments"] = {seg: {"users": int(mask.sum()), **({m: round(v, 4) for m, v in ranking_metrics(
            recs[mask], test[mask], **catalogue).items()} if mask.any() else {})} for seg, mask in segments.items()}
    return ModelResult(label, metrics, model.get_params(), dataclasses.asdict(weights),
                       round(t1 - t0, 3), round(t2 - t1, 3), int(len(split.users)), k, extra,
                       recs if keep_lists else None)


def evaluate_models(models: Iterable[Recommender | tuple[Recommender, SignalWeights]], split: Split,
                    *, weights: SignalWeights, k: int = 30, show_progress: bool = False
                    ) -> list[ModelResult]:
    """`evaluate_model` for each model (or (model, weights) pair), in order."""
    results = []
    for entry in models:
        model, w = entry if isinstance(entry, tuple) else (entry, weights)
        results.append(evaluate_model(model, split, weights=w, k=k, show_progress=show_progress))
    return results
