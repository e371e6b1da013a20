"""Choosing parameters: a small grid per model on the validation split, selected by NDCG@K, then
the chosen model refitted on the full train and scored on the test (`compare`).

A grid names model parameters (every combination is tried) and, for models that read confidence
values, a list of changes to the signal weights (``alpha``, ``epsilon``, ``scheme``, BM25's
``bm25_k1``/``bm25_b``); ``{}`` keeps the home's weights as they are. Two sizes: ``small`` (the
CLI default, a minute on a few thousand users) and ``large`` (the benchmark's).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import time
from dataclasses import dataclass, field

from .. import progress
from ..config import SignalWeights
from ..errors import ParameterError, check_param
from .runner import MODELS, ModelResult, evaluate_model, make_model
from .splits import Split

_BM25 = {"scheme": "bm25", "bm25_k1": 1.2, "bm25_b": 0.5}

GRIDS: dict[str, dict[str, dict]] = {
    "small": {
        "popularity": {"params": {"by": ["users", "confidence"]}},
        "itemknn": {"params": {"K": [100, 400], "b": [0.25, 0.75]}},
        "ease": {"params": {"regularization": [50.0, 200.0, 800.0]}},
        "rp3beta": {"params": {"K": [100, 300], "alpha": [0.8, 1.0], "beta": [0.3, 0.5]}},
        "bpr": {"params": {"factors": [64], "learning_rate": [0.01, 0.02], "iterations": [100]}},
        "als": {"params": {"factors": [32, 64], "regularization": [1.0, 10.0, 50.0]},
                "signals": [{}, {**_BM25, "alpha": 1.0}]},
    },
    "large": {
        "popularity": {"params": {"by": ["users", "confidence"]}},
        "itemknn": {"params": {"K": [100, 400, 1000], "k1": [1.2, 3.0], "b": [0.25, 0.75]},
                    "signals": [{}, {"scheme": "log", "alpha": 1.0},
                                {"scheme": "linear", "alpha": 1.0}]},
        "ease": {"params": {"regularization": [25.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0]}},
        "rp3beta": {"params": {"K": [50, 100, 300, 1000], "alpha": [0.6, 0.8, 1.0],
                               "beta": [0.2, 0.3, 0.4, 0.5, 0.6]}},
        "bpr": {"params": {"factors": [64, 128], "learning_rate": [0.01, 0.02],
                           "regularization": [0.001, 0.01], "iterations": [100]}},
        "als": {"params": {"factors": [64, 128], "regularization": [1.0, 10.0, 50.0, 100.0]},
                "signals": [{"scheme": "log", "alpha": a, "epsilon": 1.0} for a in (2.0, 4.0)]
                + [{**_BM25, "alpha": a} for a in (1.0, 2.0, 4.0)]
                + [{**_BM25, "alpha": 2.0, "bm25_b": 0.8}]},
    },
}
GRID_SIZES = tuple(GRIDS)


def grid_points(grid: dict) -> list[tuple[dict, dict]]:
    """Every (model params, signal changes) pair of a grid, in a fixed order."""
    params = grid.get("params", {})
    names = list(params)
    combos = [dict(zip(names, values)) for values in itertools.product(*params.values())]
    return [(p, dict(s)) for s in grid.get("signals", [{}]) for p in combos]


@dataclass
class Trial:
    params: dict
    signals: dict
    score: float
    seconds: float


@dataclass
class SearchResult:
    """The chosen parameters of one model, and every trial that led there."""

    name: str
    metric: str
    params: dict
    signals: dict                  # the changes to the home's weights
    weights: SignalWeights         # the weights they give
    score: float                   # the validation score of the choice
    trials: list[Trial] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return round(sum(t.seconds for t in self.trials), 3)

    def summary(self) -> dict:
        return {"metric": self.metric, "validation_score": self.score, "trials": len(self.trials),
                "seconds": self.seconds, "params": self.params, "signals": self.signals,
                "grid": [dataclasses.asdict(t) for t in self.trials]}


def search(name: str, validation: Split, *, weights: SignalWeights, k: int = 30, seed: int = 42,
           grid: dict | None = None, size: str = "small", metric: str = "ndcg",
           show_progress: bool = False) -> SearchResult:
    """Try every point of the model's grid on ``validation``; the best ``metric``@k wins (the
    first in grid order on a tie)."""
    if grid is None:
        check_param("search", "size", size, choices=set(GRIDS))
        grid = GRIDS[size].get(name, {})
    points = grid_points(grid)
    best: SearchResult | None = None
    trials = []
    with progress.progress(f"Searching {name} ({len(points)} trials)", total=len(points)) \
            if show_progress else contextlib.nullcontext(progress.Step(None, None)) as step:
        for params, changes in points:
            try:
                w = dataclasses.replace(weights, **changes)
            except TypeError as exc:
                raise ParameterError(f"Grid for {name}: unknown signal weight in {changes}") from exc
            t0 = time.perf_counter()
            result = evaluate_model(make_model(name, params, seed=seed), validation, weights=w, k=k)
            score = result.metrics[metric]
            trials.append(Trial(params, changes, score, round(time.perf_counter() - t0, 3)))
            if best is None or score > best.score:
                best = SearchResult(name, metric, params, changes, w, score)
            step.advance()
    best.trials = trials
    return best


@dataclass
class Comparison:
    """Every model's result on one split, side by side, with how they were chosen."""

    k: int
    seed: int
    split: dict
    validation: dict | None
    results: list[ModelResult]
    searches: dict[str, SearchResult]
    seconds: float

    def result(self, name: str) -> ModelResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"No result for {name!r}; have {[r.name for r in self.results]}")


def compare(split: Split, *, weights: SignalWeights, models=tuple(MODELS), k: int = 30,
            seed: int = 42, validation: Split | None = None, size: str = "small",
            grids: dict | None = None, defaults: dict | None = None,
            show_progress: bool = False, keep_lists: bool = False) -> Comparison:
    """Evaluate ``models`` (names) on ``split``.

    With a ``validation`` split each model's parameters come from `search` on it (grids from
    ``grids`` or ``GRIDS[size]``); without one, from ``defaults[name]`` (or the class defaults)
    with ``weights``. Either way the model is then fitted on the full train of ``split``.
    ``keep_lists``: each result keeps its lists (``result.lists``, one row per test user).
    """
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ParameterError(f"Unknown models {unknown}; expected some of {list(MODELS)}")
    t0 = time.perf_counter()
    results, searches = [], {}
    for name in models:
        params, w = dict((defaults or {}).get(name, {})), weights
        if validation is not None:
            grid = (grids or {}).get(name) if grids is not None else None
            found = search(name, validation, weights=weights, k=k, seed=seed, grid=grid, size=size,
                           show_progress=show_progress)
            searches[name] = found
            params, w = found.params, found.weights
        result = evaluate_model(make_model(name, params, seed=seed), split, weights=w, k=k,
                                show_progress=show_progress, keep_lists=keep_lists)
        if name in searches:
            result.extra["search"] = searches[name].summary()
        results.append(result)
    return Comparison(k, seed, split.describe(),
                      validation.describe() if validation is not None else None,
                      results, searches, round(time.perf_counter() - t0, 3))
