"""Train stage: interactions → confidence matrix → collaborative model → versioned artefact.

    >>> result = train_collaborative(wh, settings)
    >>> result.version, result.manifest["data_fingerprint"]

The later models (text, audio, blend) add their own functions here and their own folders under
``HOME/models/``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass

from .config import ALSParams, Settings
from .errors import InputError
from .matrix import load_matrix, materialize_interactions
from .models import registry
from .models.als import ALS
from .progress import progress
from .warehouse import Warehouse

COLLABORATIVE = "collaborative"


@dataclass
class TrainResult:
    kind: str
    version: str
    manifest: dict
    model: object


def train_collaborative(wh: Warehouse, settings: Settings, *, params: ALSParams | None = None,
                        validate: bool = False) -> TrainResult:
    """Rebuild interactions from all events, fit ALS on them and save a new model version.

    With ``validate``, the same parameters are first fitted on a seeded per-user 80/20 hold-out
    of the same data and the hold-out metrics at the playlist size go into the manifest.
    """
    params = params or settings.als
    started = time.perf_counter()
    with progress("Aggregating interactions") as _:
        n_pairs = materialize_interactions(wh, settings.signals)
    if n_pairs == 0:
        raise InputError("No interactions to train on: ingest events first (tastemaker ingest events FILE)")
    data = load_matrix(wh, settings.signals, from_table=True)
    t_fit = time.perf_counter()
    model = ALS(factors=params.factors, regularization=params.regularization,
                iterations=params.iterations, seed=params.seed).fit(data.user_items)
    fit_seconds = time.perf_counter() - t_fit
    metrics = _validate(wh, settings, params) if validate else {}
    m = data.user_items
    manifest = {
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "data_fingerprint": data.fingerprint,
        "warehouse": str(wh.path) if wh.path else ":memory:",
        "n_users": m.shape[0], "n_items": m.shape[1], "nnz": int(m.nnz),
        "positives": int((m.data > 0).sum()),
        "signals": dataclasses.asdict(settings.signals),
        "fit_seconds": round(fit_seconds, 3),
        "total_seconds": round(time.perf_counter() - started, 3),
        "metrics": metrics,
    }
    version = registry.save_version(settings.models_dir, COLLABORATIVE, model, manifest)
    record_run(wh, "train", version, {"kind": COLLABORATIVE, **dataclasses.asdict(params)})
    return TrainResult(COLLABORATIVE, version, registry.manifest(settings.models_dir, COLLABORATIVE, version),
                       model)


def _validate(wh: Warehouse, settings: Settings, params: ALSParams) -> dict:
    from .evaluate import Interactions, evaluate_model, holdout_split

    split = holdout_split(Interactions.from_warehouse(wh, settings.signals), seed=params.seed)
    model = ALS(factors=params.factors, regularization=params.regularization,
                iterations=params.iterations, seed=params.seed)
    result = evaluate_model(model, split, weights=settings.signals, k=settings.weekly.size)
    return {"protocol": f"seeded per-user 20% hold-out (seed {params.seed}), "
                        f"{result.users} users, K = {result.k}",
            **{f"{name}@{result.k}": round(float(v), 5) for name, v in result.metrics.items()}}


def load_collaborative(settings: Settings, version: str | None = None) -> tuple[ALS, dict]:
    folder = registry.resolve(settings.models_dir, COLLABORATIVE, version)
    return ALS.load(folder), json.loads((folder / "manifest.json").read_text())


def record_run(wh: Warehouse, kind: str, model_version: str | None, params: dict,
               week: str | None = None) -> str:
    run_id = f"{kind}-{uuid.uuid4().hex[:12]}"
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    wh.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, 'done', ?, ?)",
               [run_id, kind, week, now, now, model_version, json.dumps(params, default=str)])
    return run_id
