"""Train stage: interactions → confidence matrix → collaborative models → versioned artefacts.

The collaborative stage fits ALS (the vectors every later model builds on) and, unless
``[neighbours] enabled = false``, an item-item model (RP3beta) on the same confidence matrix;
the ALS manifest names the neighbour version fitted with it, so the two are always read as a pair.

    >>> result = train_collaborative(engine, settings)
    >>> result.version, result.manifest["data_fingerprint"]

The later models (text, audio, blend) add their own functions here and their own folders under
``HOME/models/``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

from .config import ALSParams, NeighbourParams, Settings
from .engine import Engine
from .errors import InputError, NotFoundError
from .evaluate import Interactions, evaluate_model, holdout_split
from .evaluate.search import search
from .evaluate.splits import warehouse_split
from .matrix import load_matrix
from .models import registry
from .models.registry import TrainResult
from .models.als import ALS
from .models.base import read_params
from .models.baselines import RP3beta
from .progress import progress
from .runs import record_run

COLLABORATIVE = "collaborative"
NEIGHBOURS = "neighbours"


def neighbour_model(params: NeighbourParams) -> RP3beta:
    """The unfitted item-item model of ``[neighbours]``."""
    return RP3beta(K=params.K, alpha=params.alpha, beta=params.beta, min_users=params.min_users)


def fit_neighbours(user_items, params: NeighbourParams) -> RP3beta | None:
    """The item-item model fitted on a confidence matrix; None when ``[neighbours]`` is disabled."""
    return neighbour_model(params).fit(user_items) if params.enabled else None


def collaborative_model(settings: Settings, params: ALSParams) -> ALS:
    """The unfitted collaborative model of ``[engine] kind``: `ALS` through `implicit` on the
    embedded engine, MLlib's ALS on Spark (`tastemaker.engine.spark.als.SparkALS`)."""
    if settings.engine.kind == "spark":
        from .engine.spark.als import SparkALS
        return SparkALS.from_params(params, settings=settings)
    return ALS.from_params(params)


TUNED = ("factors", "regularization", "confidence_scale")   # what `tune_als` chooses


def tune_als(engine: Engine, settings: Settings, params: ALSParams, n_pairs: int) -> tuple[ALSParams, dict]:
    """``params`` with the factors, regularisation and confidence scale that rank a validation
    split of the home's own events best (NDCG at the list size; `warehouse_split`: the last full
    week, or a seeded hold-out when the events have no time), and what was tried. Unchanged, with
    the reason, when ``[als] tune`` is off, the data is larger than ``tune_max_pairs``, the grid
    has one point, or no split can be cut."""
    if not params.tune:
        return params, {"tuned": False, "reason": "[als] tune = false"}
    if settings.engine.kind != "duckdb":
        return params, {"tuned": False, "reason": f"the {settings.engine.kind} engine fits [als] as given"}
    grid = {"factors": list(params.tune_factors), "regularization": list(params.tune_regularization),
            "confidence_scale": list(params.tune_confidence_scale)}
    if all(len(v) == 1 for v in grid.values()):
        return dataclasses.replace(params, **{k: v[0] for k, v in grid.items()}), \
            {"tuned": False, "reason": "one value each"}
    if n_pairs > params.tune_max_pairs:
        return params, {"tuned": False, "reason": f"{n_pairs:,} pairs > [als] tune_max_pairs"}
    try:
        split = warehouse_split(engine, settings.signals, seed=params.seed)
    except InputError as exc:
        return params, {"tuned": False, "reason": str(exc)}
    if len(split.users) == 0:
        return params, {"tuned": False, "reason": "no user to validate on"}
    found = search("als", split, weights=settings.signals, k=settings.weekly.size, seed=params.seed,
                   grid={"params": {**grid, "iterations": [params.iterations]}}, show_progress=True)
    chosen = dataclasses.replace(params, **{k: found.params[k] for k in TUNED})
    return chosen, {"tuned": True, "split": split.kind, "users": int(len(split.users)),
                    "metric": f"ndcg@{settings.weekly.size}", "score": round(found.score, 5),
                    "tried": [{**{k: t.params[k] for k in TUNED}, "score": round(t.score, 5)}
                              for t in found.trials]}


def tuned_settings(settings: Settings) -> Settings:
    """``settings`` with the factors, regularisation and confidence scale the saved collaborative
    model was fitted with (its ``params.json``; tuned): what every refit of ALS for the blend must
    use. Unchanged when no model is saved or ``[als] tune`` is off."""
    if not settings.als.tune:
        return settings
    try:
        used = read_params(registry.resolve(settings.models_dir, COLLABORATIVE))
    except (NotFoundError, FileNotFoundError):
        return settings
    fitted = {k: used[k] for k in TUNED if k in used}     # models saved before a value was tuned lack it
    return dataclasses.replace(settings, als=dataclasses.replace(settings.als, **fitted))


def train_collaborative(engine: Engine, settings: Settings, *, params: ALSParams | None = None,
                        validate: bool = False) -> TrainResult:
    """Rebuild interactions from all events, fit ALS on them and save a new model version.

    The factors, regularisation and confidence scale are first chosen on a validation split of the same events when ``[als]
    tune`` is on (`tune_als`). With ``validate``, the chosen parameters are also fitted on a
    seeded per-user 80/20 hold-out of the same data and the hold-out metrics at the playlist
    size go into the manifest.
    """
    params = params or settings.als
    started = time.perf_counter()
    with progress("Aggregating interactions") as _:
        n_pairs = engine.materialize_interactions(settings.signals.min_play_ms)
    if n_pairs == 0:
        raise InputError("No interactions to train on: ingest events first (tastemaker ingest events FILE)")
    params, tuning = tune_als(engine, settings, params, n_pairs)
    data = load_matrix(engine, settings.signals, from_table=True)
    t_fit = time.perf_counter()
    model = collaborative_model(settings, params).fit(data.user_items)
    fit_seconds = time.perf_counter() - t_fit
    metrics = _validate(engine, settings, params) if validate else {}
    m = data.user_items
    neighbours = None
    t_nb = time.perf_counter()
    item_model = fit_neighbours(m, settings.neighbours)
    if item_model is not None:
        neighbours = registry.save_version(settings.models_dir, NEIGHBOURS, item_model, {
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "data_fingerprint": data.fingerprint, "n_items": m.shape[1],
            "tracks_learned": int(len(item_model.items_)), "pairs": int(item_model.weights_.nnz),
            "fit_seconds": round(time.perf_counter() - t_nb, 3)})
    manifest = {
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "data_fingerprint": data.fingerprint,
        "warehouse": engine.location,
        "n_users": m.shape[0], "n_items": m.shape[1], "nnz": int(m.nnz),
        "positives": int((m.data > 0).sum()),
        "signals": dataclasses.asdict(settings.signals),
        "fit_seconds": round(fit_seconds, 3),
        "neighbours_version": neighbours,
        "total_seconds": round(time.perf_counter() - started, 3),
        "metrics": metrics,
        "tuning": tuning,
        "engine": settings.engine.kind,
        **({"spark": model.spark_} if hasattr(model, "spark_") else {}),
    }
    version = registry.save_version(settings.models_dir, COLLABORATIVE, model, manifest)
    record_run(engine, "train", version, {"kind": COLLABORATIVE, **dataclasses.asdict(params)})
    return TrainResult(COLLABORATIVE, version, registry.manifest(settings.models_dir, COLLABORATIVE, version),
                       model)


def _validate(engine: Engine, settings: Settings, params: ALSParams) -> dict:
    split = holdout_split(Interactions.from_engine(engine, settings.signals), seed=params.seed)
    model = collaborative_model(settings, params)
    result = evaluate_model(model, split, weights=settings.signals, k=settings.weekly.size)
    return {"protocol": f"seeded per-user 20% hold-out (seed {params.seed}), "
                        f"{result.users} users, K = {result.k}",
            **{f"{name}@{result.k}": round(float(v), 5) for name, v in result.metrics.items()}}


def load_collaborative(settings: Settings, version: str | None = None) -> tuple[ALS, dict]:
    return registry.load(settings.models_dir, COLLABORATIVE, ALS.load, version)


def load_neighbours(settings: Settings, manifest: dict) -> tuple[RP3beta | None, str | None]:
    """(item-item model, version) fitted with the collaborative model of `manifest`; (None, None)
    when none was (an older model, or ``[neighbours]`` disabled then or now)."""
    version = manifest.get("neighbours_version")
    if not version or not settings.neighbours.enabled:
        return None, None
    try:
        model, _ = registry.load(settings.models_dir, NEIGHBOURS, RP3beta.load, version)
    except NotFoundError:
        return None, None
    return model, version
